"""What the edge provider asks Docker for when it creates a container: the contract."""

from typing import Any

from modelfleet.targets.edge import lifecycle
from modelfleet.targets.edge.plan import container_args
from modelfleet.targets.edge.spec import Spec
from tests.unit.targets.args import edge_location, model


class Containers:
    """Records ``containers.create`` as the docker SDK would receive it."""

    def __init__(self) -> None:
        self.created: dict[str, Any] = {}

    def create(self, image: str, **kwargs: Any) -> str:
        self.created = {"image": image, **kwargs}
        return "container"


class Client:
    def __init__(self) -> None:
        self.containers = Containers()


def created(gpus: int) -> dict[str, Any]:
    site = edge_location()
    args: dict[str, Any] = dict(
        container_args(
            model(**{"resources": {"cpu": 0.5, "memory_mb": 256, "gpus": gpus}}),
            site,
            site["hosts"][0],
        )
    )
    args["host_port"] = 8080  # an output in the args; the provider gets the number
    client = Client()
    lifecycle.create(client, Spec.of(args), "c-1")
    return client.containers.created


def test_gpus_become_a_docker_device_request():
    request = created(gpus=2)["device_requests"]
    assert [(r["Count"], r["Capabilities"]) for r in request] == [(2, [["gpu"]])]


def test_no_gpus_no_device_request_and_no_input_that_would_diff_old_state():
    assert created(gpus=0)["device_requests"] is None
    site = edge_location()
    assert "gpus" not in container_args(model(), site, site["hosts"][0])


def test_the_container_gets_the_contracts_environment_and_limits():
    got = created(gpus=0)
    assert got["environment"] == {
        "LOG_LEVEL": "info",
        "MODEL_NAME": "iris",
        "MODEL_VERSION": "1.0.0",
    }
    assert (got["nano_cpus"], got["mem_limit"]) == (500_000_000, "256m")
