"""modelfleet's components as a Pulumi plugin package, usable from every Pulumi language.

``pulumi package add <this directory>`` has Pulumi's Python language host run this file
to read the package schema, which the SDK infers from the components' type annotations
and docstrings; a consumer's ``pulumi up`` runs it again to construct the components.
The classes are modelfleet's own, so a component built here behaves exactly as one
built by a Python program that imports modelfleet.

This is ``component_provider_host`` (pulumi 3.260) with one fix: see :class:`Provider`.
"""

import sys
from importlib.metadata import version
from typing import Any

from pulumi import Output
from pulumi.provider import main
from pulumi.provider.experimental.analyzer import PropertyDefinition, PropertyType
from pulumi.provider.experimental.component import ComponentProvider

from modelfleet.aws import SageMakerEndpoint
from modelfleet.azure import AzureMLEndpoint
from modelfleet.edge import EdgeEndpoint
from modelfleet.endpoint import ModelEndpoint
from modelfleet.kubernetes import KubernetesEndpoint

PACKAGE = "modelfleet"
COMPONENTS = [ModelEndpoint, EdgeEndpoint, KubernetesEndpoint, SageMakerEndpoint, AzureMLEndpoint]
"""What the package offers; each is the component a Python program would import."""


class Provider(ComponentProvider):
    """The SDK's component provider, handing integer inputs to the components as ``int``.

    The wire carries every number as a float. In pulumi 3.260 the SDK's
    ``map_input_properties`` converts an integer property with ``int()``, then overwrites
    the result with the float (a port arrives as 8080.0, a URL reads ``:8080.0``), and
    fails on an integer that is an Output (secret, or another resource's output).
    """

    def map_input_properties(
        self,
        inputs: Any,
        properties: dict[str, PropertyDefinition],
        mapping: dict[str, str],
        component_name: str,
        property_path: str,
    ) -> Any:
        integers = {
            key: value
            for key, value in (inputs.items() if isinstance(inputs, dict) else ())
            if value is not None
            and key in properties
            and properties[key].type == PropertyType.INTEGER
        }
        # The SDK sees a 0 it can convert; the real value replaces it afterwards.
        known = {**inputs, **dict.fromkeys(integers, 0)} if integers else inputs
        mapped = dict(
            super().map_input_properties(known, properties, mapping, component_name, property_path)
        )
        for key, value in integers.items():
            mapped[mapping[key]] = (
                value.apply(_whole) if isinstance(value, Output) else _whole(value)
            )
        return mapped


def _whole(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def provider() -> Provider:
    """The provider this plugin serves; tests build it to read the schema it would send."""
    return Provider(COMPONENTS, PACKAGE, version=version(PACKAGE))


if __name__ == "__main__":
    # As component_provider_host does: the engine passes its address as the first argument.
    main(provider(), sys.argv[1:])
