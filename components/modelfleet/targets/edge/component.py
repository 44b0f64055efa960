"""``EdgeEndpoint``: one model on every Docker host of an edge site, in waves.

Waves are plain ``depends_on`` edges: every container of a wave waits for all
containers of the wave before it, so a canary that fails its health check stops the
rollout before the next wave is touched.
"""

import pulumi

from modelfleet.errors import EdgeConfigError, refuse
from modelfleet.targets import unused
from modelfleet.targets.edge import checks
from modelfleet.targets.edge.args import EdgeEndpointArgs
from modelfleet.targets.edge.plan import container_args, waves
from modelfleet.targets.edge.resource import EdgeContainer

RESOURCE_TYPE = "modelfleet:edge:EdgeEndpoint"


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
        refuse(EdgeConfigError, checks.location_issues(location) + checks.issues(model, location))
        unused.log(self, checks.notes(model, location))
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
