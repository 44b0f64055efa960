"""The federations of a stack: config in, one :class:`Federation` each, exports out.

Called by the stack program after the endpoints (docs/federation.md says how it is
wired); on its own it also runs as an Automation API inline program.
"""

from collections.abc import Mapping
from typing import Any

import pulumi

from modelfleet.args import EdgeHostArgs
from modelfleet.config import EdgeHost, EdgeLocation, StackConfig
from modelfleet.federation.component import Federation, FederationArgs, FederationRoleArgs
from modelfleet.federation.config import FederationSpec, parse_federations
from modelfleet.federation.validate import validate
from modelfleet.stack_args import secret_output
from modelfleet.stackfile import NAMESPACE, ConfigError

SECTION = "federations"


def federation_args(spec: FederationSpec, stack: StackConfig) -> FederationArgs:
    """Component args for one valid federation of ``stack``."""
    model = stack.models[spec.model]
    return {
        "model": spec.model,
        "version": model.version,
        "classification": model.data.classification.value,
        "residency": list(model.data.residency),
        "image": spec.image,
        "port": spec.port,
        "aggregator": _role(stack, spec.aggregator, spec.aggregator_host),
        "sites": [
            {**_role(stack, location, site.host), "data": site.data}
            for location, site in spec.sites.items()
        ],
        "tls": {"ca": spec.tls.ca, "cert": spec.tls.cert, "key": secret_output(spec.tls.key)},
    }


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
                "rounds": spec.rounds,
                "min_clients": spec.required_clients,
                "local_epochs": spec.local_epochs,
                "round_timeout_s": spec.round_timeout_s,
            }
            for name, spec in parse_federations(raw).items()
        },
    )
    return built
