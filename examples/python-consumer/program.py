"""A program of another team that reuses modelfleet's components directly.

No ``modelfleet:*`` stack config, no placement rules: the args are built by hand as
the ``TypedDict``s :mod:`modelfleet.args` declares, which a type checker verifies.
``EdgeEndpoint`` is a single target on its own; ``ModelEndpoint`` fans the same model
out to a list of locations (here one edge site) and adds the placement table.

Ports 18180 and 18181, and the model name, differ from the ``local`` stack's, so both
can run on one Docker engine at once.
"""

import pulumi

from modelfleet.args import EdgeLocationArgs, ModelArgs
from modelfleet.edge import EdgeEndpoint
from modelfleet.endpoint import ModelEndpoint

MODEL = "iris-consumer"
HOST_PORT = 18180
"""The direct EdgeEndpoint's port; the ModelEndpoint's host adds a port offset of 1."""
LOCAL_DOCKER = "unix:///var/run/docker.sock"


def model_args() -> ModelArgs:
    """The serving image ``scripts/build-images`` makes, on the SageMaker contract."""
    return {
        "name": MODEL,
        "version": "1.0.0",
        "image": "modelfleet/model-server:dev",
        "port": 8080,
        "host_port": HOST_PORT,
        "health_path": "/ping",
        "invoke_path": "/invocations",
        "resources": {"cpu": 0.5, "memory_mb": 256, "gpus": 0},
        "scaling": {"min": 1, "max": 1},
        "data": {"classification": "internal", "residency": ["EU"]},
    }


def site(name: str, host: str, docker_host: str, port_offset: int) -> EdgeLocationArgs:
    """An edge site of one Docker engine, publishing on loopback only."""
    return {
        "name": name,
        "jurisdiction": "FR",
        "health_timeout_s": 30,
        "hosts": [
            {
                "name": host,
                "docker_host": docker_host,
                "wave": 0,
                "bind": "127.0.0.1",
                "port_offset": port_offset,
            }
        ],
    }


def main() -> None:
    """Serve the model twice: once through EdgeEndpoint, once through ModelEndpoint."""
    docker_host = pulumi.Config().get("dockerHost") or LOCAL_DOCKER
    model = model_args()
    direct = EdgeEndpoint(
        "iris-direct",
        {"model": model, "location": site("consumer-direct", "direct-1", docker_host, 0)},
    )
    fleet = ModelEndpoint(
        "iris-fleet",
        {
            "model": model,
            "locations": [
                {
                    "name": "consumer-fleet",
                    "kind": "edge",
                    "jurisdiction": "FR",
                    "edge": site("consumer-fleet", "fleet-1", docker_host, 1),
                }
            ],
        },
    )
    pulumi.export("url", direct.url)
    pulumi.export("fleet_urls", fleet.urls)
    pulumi.export("placements", fleet.placements)
