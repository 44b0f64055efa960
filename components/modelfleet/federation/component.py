"""``Federation``: a Flower SuperLink at the aggregator and a SuperNode per site.

Sites sharing the aggregator's Docker engine reach the SuperLink by its container name
on the federation's own network; sites on another engine dial the aggregator host's
bind address and published port. Either way over TLS: the SuperLink's certificate
must name what sites dial (its container name or that address) and 127.0.0.1, where
``modelfleet federate`` submits runs from inside its container.
"""

from collections.abc import Mapping, Sequence
from typing import NotRequired, TypedDict

import pulumi

from modelfleet.args import EdgeHostArgs
from modelfleet.federation.container import FederationContainer, FederationContainerArgs
from modelfleet.federation.kubernetes_site import KubernetesSiteArgs, deploy_site

DATA_MOUNT = "/data/rows.csv"
"""Where a site's file appears inside its SuperNode: the only host path it sees."""
READY_S = 60.0
HEALTH_PROBE = (
    "import ssl, sys, urllib.request; "
    "ctx = ssl.create_default_context(cafile='/tmp/tls/ca.pem'); "
    "urllib.request.urlopen(f'https://127.0.0.1:{sys.argv[1]}/health', context=ctx, timeout=2)"
)


class FederationTlsArgs(TypedDict):
    """The SuperLink's TLS material (PEM)."""

    ca: pulumi.Input[str]
    """CA certificate sites verify the SuperLink with."""
    cert: pulumi.Input[str]
    """SuperLink certificate."""
    key: pulumi.Input[str]
    """SuperLink private key (pass a secret)."""


class FederationRoleArgs(TypedDict):
    """Where one Flower process runs: a location and one of its hosts."""

    location: str
    """Location name."""
    jurisdiction: str
    """The location's jurisdiction, for labels the policy pack reads."""
    host: EdgeHostArgs
    """The Docker engine."""
    data: NotRequired[str]
    """For a site: its rows' file on that host, mounted read-only."""


class KubernetesSiteRoleArgs(TypedDict):
    """A site on a Kubernetes location: its cluster, namespace and claim."""

    location: str
    """Location name."""
    jurisdiction: str
    """The location's jurisdiction, for labels the policy pack reads."""
    namespace: str
    """Namespace the SuperNode runs in."""
    kubeconfig: NotRequired[pulumi.Input[str]]
    """Kubeconfig contents (a secret); or set context."""
    context: NotRequired[str]
    """Kubeconfig context."""
    claim: str
    """PersistentVolumeClaim holding the site's rows, mounted read-only."""
    data_file: str
    """The rows' file within the claim."""


class FederationArgs(TypedDict):
    """Args of :class:`Federation`."""

    model: str
    """The model trained (labels, container names)."""
    version: str
    """Version label of the federation's containers: the federation image's tag. Not the
    model's version, so rolling a new serving version out leaves the federation running."""
    classification: str
    """The model data's classification."""
    residency: Sequence[str]
    """The model data's residency."""
    image: pulumi.Input[str]
    """Federation image (SuperLink and SuperNode roles)."""
    port: int
    """SuperLink port inside its container and published on the aggregator host."""
    aggregator: FederationRoleArgs
    """Where the SuperLink runs."""
    sites: Sequence[FederationRoleArgs]
    """Edge sites: a SuperNode container each."""
    kubernetes_sites: NotRequired[Sequence[KubernetesSiteRoleArgs]]
    """Kubernetes sites: a SuperNode Deployment each, dialling the aggregator host."""
    tls: FederationTlsArgs
    """SuperLink TLS."""


class Federation(pulumi.ComponentResource):
    """A Flower federation on modelfleet locations.

    Example
    -------
    >>> Federation("iris-fl", {"model": "iris-classifier", "aggregator": {...}, "sites": [...]})
    """

    superlink_container: pulumi.Output[str]
    """Container name of the SuperLink (``modelfleet federate`` runs the app in it)."""
    superlink_address: pulumi.Output[str]
    """host:port the SuperNodes dial."""
    docker_host: pulumi.Output[str]
    """The aggregator's Docker engine."""
    site_containers: pulumi.Output[Mapping[str, str]]
    """Site location -> its SuperNode's container name."""

    def __init__(
        self, name: str, args: FederationArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("modelfleet:federation:Federation", name, {}, opts)
        aggregator = args["aggregator"]
        network = f"modelfleet-fed-{name}"
        superlink_name = f"modelfleet-fed-{name}-superlink"
        superlink = FederationContainer(
            f"{name}-superlink",
            _superlink_args(args, name, superlink_name, network),
            pulumi.ResourceOptions(parent=self),
        )
        address = superlink_address(args, superlink_name)
        sites = {
            site["location"]: FederationContainer(
                f"{name}-{site['location']}",
                _supernode_args(args, name, site, address, network),
                pulumi.ResourceOptions(parent=self, depends_on=[superlink]),
            )
            for site in args["sites"]
        }
        for site in args.get("kubernetes_sites", []):
            deploy_site(f"{name}-{site['location']}", _kubernetes_site_args(args, name, site), self)
        self.superlink_container = pulumi.Output.from_input(superlink_name)
        self.superlink_address = pulumi.Output.from_input(address)
        self.docker_host = pulumi.Output.from_input(aggregator["host"]["docker_host"])
        self.site_containers = pulumi.Output.from_input(
            {site: _supernode_name(name, site) for site in sites}
        )
        self.register_outputs(
            {
                "superlink_container": self.superlink_container,
                "superlink_address": self.superlink_address,
                "docker_host": self.docker_host,
                "site_containers": self.site_containers,
            }
        )


def superlink_address(args: FederationArgs, superlink_name: str) -> str:
    """What edge SuperNodes dial: the container by name on a shared engine, else the host."""
    aggregator = args["aggregator"]["host"]
    if all(site["host"]["docker_host"] == aggregator["docker_host"] for site in args["sites"]):
        return f"{superlink_name}:{args['port']}"
    return host_address(args)


def host_address(args: FederationArgs) -> str:
    """The SuperLink's published address on the aggregator host."""
    aggregator = args["aggregator"]["host"]
    return f"{aggregator['bind']}:{args['port'] + aggregator['port_offset']}"


def _role_labels(
    args: FederationArgs, federation: str, location: str, jurisdiction: str, kind: str
) -> dict[str, str]:
    """The labels the pack judges residency by, plus the federation and the role."""
    return {
        "modelfleet/model": args["model"],
        "modelfleet/version": args["version"],
        "modelfleet/location": location,
        "modelfleet/classification": args["classification"],
        "modelfleet/jurisdiction": jurisdiction,
        "modelfleet/residency": "_".join(args["residency"]),
        "modelfleet/federation": federation,
        "modelfleet/role": kind,
        "managed-by": "modelfleet",
    }


def _labels(
    args: FederationArgs, federation: str, role: FederationRoleArgs, kind: str
) -> dict[str, str]:
    found = _role_labels(args, federation, role["location"], role["jurisdiction"], kind)
    return {**found, "modelfleet/host": role["host"]["name"]}


def _kubernetes_site_args(
    args: FederationArgs, federation: str, site: KubernetesSiteRoleArgs
) -> KubernetesSiteArgs:
    labels = _role_labels(args, federation, site["location"], site["jurisdiction"], "site")
    site_args: KubernetesSiteArgs = {
        "federation": federation,
        "namespace": site["namespace"],
        "claim": site["claim"],
        "data_file": site["data_file"],
        "image": args["image"],
        "superlink": host_address(args),
        "ca": args["tls"]["ca"],
        "labels": labels,
    }
    if "kubeconfig" in site:
        site_args["kubeconfig"] = site["kubeconfig"]
    if "context" in site:
        site_args["context"] = site["context"]
    return site_args


def _on_engine(role: FederationRoleArgs, args: FederationContainerArgs) -> FederationContainerArgs:
    """``args`` placed on ``role``'s Docker engine."""
    host = role["host"]
    args["docker_host"], args["host"], args["location"] = (
        host["docker_host"],
        host["name"],
        role["location"],
    )
    if "tls" in host:
        args["tls"] = host["tls"]
    return args


def _superlink_args(
    args: FederationArgs, federation: str, container: str, network: str
) -> FederationContainerArgs:
    aggregator = args["aggregator"]
    host = aggregator["host"]
    container_args: FederationContainerArgs = {
        "docker_host": "",
        "host": "",
        "location": "",
        "name": container,
        "image": args["image"],
        "command": ["superlink"],
        "env": {"PORT": str(args["port"])},
        "secret_env": {
            "FEDERATION_CA": args["tls"]["ca"],
            "FEDERATION_CERT": args["tls"]["cert"],
            "FEDERATION_KEY": args["tls"]["key"],
        },
        "labels": _labels(args, federation, aggregator, "aggregator"),
        "mounts": [],
        "network": network,
        "ports": [
            {
                "container_port": args["port"],
                "host_port": args["port"] + host["port_offset"],
                "bind": host["bind"],
            }
        ],
        "ready_cmd": ["python", "-c", HEALTH_PROBE, str(args["port"])],
        "ready_timeout_s": READY_S,
        "read_only": True,
        "privileged": False,
    }
    return _on_engine(aggregator, container_args)


def _supernode_name(federation: str, site: str) -> str:
    return f"modelfleet-fed-{federation}-{site}"


def _supernode_args(
    args: FederationArgs, federation: str, site: FederationRoleArgs, address: str, network: str
) -> FederationContainerArgs:
    container_args: FederationContainerArgs = {
        "docker_host": "",
        "host": "",
        "location": "",
        "name": _supernode_name(federation, site["location"]),
        "image": args["image"],
        "command": ["supernode"],
        "env": {"SUPERLINK": address, "DATA_PATH": DATA_MOUNT},
        "secret_env": {"FEDERATION_CA": args["tls"]["ca"]},
        "labels": _labels(args, federation, site, "site"),
        "mounts": [{"source": site["data"], "target": DATA_MOUNT, "read_only": True}],
        "network": network,
        "ports": [],
        "ready_cmd": [],
        "ready_timeout_s": READY_S,
        "read_only": True,
        "privileged": False,
    }
    return _on_engine(site, container_args)
