"""The federations of a stack: config in, one :class:`Federation` each, exports out.

Called by the stack program (:func:`modelfleet.program.run`) after the endpoints; on its
own it also runs as an Automation API inline program.
"""

from collections.abc import Mapping
from typing import Any

import pulumi

from modelfleet.args import EdgeHostArgs
from modelfleet.config import EdgeHost, EdgeLocation, KubernetesLocation, StackConfig
from modelfleet.federation.component import (
    Federation,
    FederationArgs,
    FederationRoleArgs,
    KubernetesSiteRoleArgs,
)
from modelfleet.federation.config import FederationSpec, parse_federations
from modelfleet.federation.validate import validate
from modelfleet.stack_args import secret_output
from modelfleet.stackfile import NAMESPACE, ConfigError

SECTION = "federations"


def federation_args(spec: FederationSpec, stack: StackConfig) -> FederationArgs:
    """Component args for one valid federation of ``stack`` (its TLS set: ``validate``)."""
    model = stack.models[spec.model]
    tls = spec.tls
    assert tls is not None, "validate() refuses a federation without TLS before the program"
    return {
        "model": spec.model,
        "version": image_version(spec.image),
        "classification": model.data.classification.value,
        "residency": list(model.data.residency),
        "image": spec.image,
        "port": spec.port,
        "aggregator": _role(stack, spec.aggregator, spec.aggregator_host),
        "sites": [
            {**_role(stack, location, site.host), "data": str(site.data)}
            for location, site in spec.sites.items()
            if isinstance(stack.locations[location], EdgeLocation)
        ],
        "kubernetes_sites": [
            _kubernetes_site(stack, location, site.claim or "", site.data_file)
            for location, site in spec.sites.items()
            if isinstance(stack.locations[location], KubernetesLocation)
        ],
        "tls": {"ca": tls.ca, "cert": tls.cert, "key": secret_output(tls.key)},
    }


def _kubernetes_site(
    stack: StackConfig, location_name: str, claim: str, data_file: str
) -> KubernetesSiteRoleArgs:
    location = stack.locations[location_name]
    assert isinstance(location, KubernetesLocation), "called for kubernetes sites only"
    site: KubernetesSiteRoleArgs = {
        "location": location_name,
        "jurisdiction": location.jurisdiction,
        "namespace": location.namespace,
        "claim": claim,
        "data_file": data_file,
    }
    if location.kubeconfig is not None:
        site["kubeconfig"] = secret_output(location.kubeconfig)
    if location.context is not None:
        site["context"] = location.context
    return site


def image_version(image: str) -> str:
    """An image reference's tag (or digest), for the version label: ``latest`` when none."""
    reference = image.split("@", 1)
    if len(reference) == 2:
        return reference[1].replace(":", "-")[:63]
    name, _, tag = reference[0].rpartition(":")
    return tag if name and "/" not in tag else "latest"


def _host_args(host: EdgeHost) -> EdgeHostArgs:
    args: EdgeHostArgs = {
        "name": host.name,
        "docker_host": host.docker_host,
        "wave": host.wave,
        "bind": host.bind,
        "port_offset": host.port_offset,
    }
    if host.tls is not None:
        args["tls"] = {"ca": host.tls.ca, "cert": host.tls.cert, "key": secret_output(host.tls.key)}
    return args


def _role(stack: StackConfig, location_name: str, host_name: str | None) -> FederationRoleArgs:
    location = stack.locations[location_name]
    assert isinstance(location, EdgeLocation), "validate() admits edge locations only"
    host = next(h for h in location.hosts if host_name in (None, h.name))
    return {
        "location": location_name,
        "jurisdiction": location.jurisdiction,
        "host": _host_args(host),
    }


def run(stack: StackConfig, raw: Mapping[str, Any] | None = None) -> dict[str, Federation]:
    """Build the stack's federations and export ``federations`` (name -> where to run it)."""
    if raw is None:
        raw = pulumi.Config(NAMESPACE).get_object(SECTION)
    issues = validate(raw, stack)
    if issues:
        raise pulumi.RunError(str(ConfigError(issues)))
    built = {
        name: Federation(name, federation_args(spec, stack))
        for name, spec in parse_federations(raw).items()
    }
    pulumi.export(
        SECTION,
        {
            name: {
                "model": spec.model,
                "serving_image": stack.models[spec.model].image,
                "superlink_container": built[name].superlink_container,
                "docker_host": built[name].docker_host,
                "site_containers": built[name].site_containers,
                "sites": len(spec.sites),
                "rounds": spec.rounds,
                "min_clients": spec.required_clients,
                "local_epochs": spec.local_epochs,
                "round_timeout_s": spec.round_timeout_s,
            }
            for name, spec in parse_federations(raw).items()
        },
    )
    return built
