"""``EdgeEndpoint``: one model on every Docker host of an edge site, in waves.

Waves are plain ``depends_on`` edges: every container of a wave waits for all
containers of the wave before it, so a canary that fails its health check stops the
rollout before the next wave is touched.
"""

from collections.abc import Mapping, Sequence
from itertools import groupby

import pulumi

from modelfleet.args import EdgeEndpointArgs, EdgeHostArgs, EdgeLocationArgs, ModelArgs
from modelfleet.edge.container import EdgeContainer, EdgeContainerArgs
from modelfleet.labels import labels

RESOURCE_TYPE = "modelfleet:edge:EdgeEndpoint"
DEFAULT_HEALTH_TIMEOUT_S = 60.0


def waves(hosts: Sequence[EdgeHostArgs]) -> list[list[EdgeHostArgs]]:
    """Hosts grouped by wave, lowest first, in the order given within a wave."""
    ordered = sorted(hosts, key=lambda host: host["wave"])
    return [list(group) for _, group in groupby(ordered, key=lambda host: host["wave"])]


def container_args(
    model: ModelArgs, location: EdgeLocationArgs, host: EdgeHostArgs
) -> EdgeContainerArgs:
    """What one host's container gets: the model's contract, the host's address, the labels."""
    env: pulumi.Input[Mapping[str, pulumi.Input[str]]] = model.get("env", {})
    if "artifact" in model:
        env = pulumi.Output.all(pulumi.Output.from_input(env), model["artifact"]).apply(
            lambda both: {**both[0], "MODEL_ARTIFACT": both[1]}
        )
    args: EdgeContainerArgs = {
        "docker_host": host["docker_host"],
        "host": host["name"],
        "location": location["name"],
        "image": model["image"],
        "model": model["name"],
        "version": model["version"],
        "container_port": model["port"],
        "host_port": pulumi.Output.from_input(model["host_port"]).apply(
            lambda port: port + host["port_offset"]
        ),
        "bind": host["bind"],
        "invoke_path": model["invoke_path"],
        "env": env,
        "secret_env": model.get("secret_env", {}),
        "cpu": model["resources"]["cpu"],
        "memory_mb": model["resources"]["memory_mb"],
        "health_path": model["health_path"],
        "health_timeout_s": location.get("health_timeout_s", DEFAULT_HEALTH_TIMEOUT_S),
        "labels": {
            **labels(model, location["name"], location["jurisdiction"]),
            "modelfleet/host": host["name"],
        },
        "read_only": True,
        "privileged": False,
        "network_mode": "bridge",
    }
    if "tls" in host:
        args["tls"] = host["tls"]
    if "registry_auth" in location:
        args["registry_auth"] = location["registry_auth"]
    return args


class EdgeEndpoint(pulumi.ComponentResource):
    """A model served by a container on each Docker host of an edge site.

    Example
    -------
    >>> EdgeEndpoint("fraud-lyon", {"model": model, "location": plant_lyon})
    """

    url: pulumi.Output[str]
    """Invoke URL on the first host listed."""
    urls: pulumi.Output[dict[str, str]]
    """Invoke URL per host name."""
    endpoint_name: pulumi.Output[str]
    """Name of the container serving on the first host listed."""

    def __init__(
        self, name: str, args: EdgeEndpointArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(RESOURCE_TYPE, name, {}, opts)
        model, location = args["model"], args["location"]
        containers: dict[str, EdgeContainer] = {}
        previous: list[pulumi.Resource] = []
        for wave in waves(location["hosts"]):
            current: list[pulumi.Resource] = []
            for host in wave:
                container = EdgeContainer(
                    f"{name}-{host['name']}",
                    container_args(model, location, host),
                    pulumi.ResourceOptions(parent=self, depends_on=previous),
                )
                containers[host["name"]] = container
                current.append(container)
            previous = current
        first = containers[location["hosts"][0]["name"]]
        self.url = first.url
        self.urls = pulumi.Output.all(**{host: c.url for host, c in containers.items()})
        self.endpoint_name = first.container_name
        self.register_outputs(
            {"url": self.url, "urls": self.urls, "endpoint_name": self.endpoint_name}
        )
