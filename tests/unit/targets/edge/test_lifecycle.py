"""What the edge provider asks Docker for when it creates a container: the contract."""

from typing import Any

import docker
from docker.models.containers import ContainerCollection

from modelfleet.targets.edge import lifecycle
from modelfleet.targets.edge.plan import container_args
from modelfleet.targets.edge.spec import Spec
from tests.unit.targets.args import edge_location, model


class RecordingApi(docker.APIClient):
    """The docker SDK's own request building; ``create_container`` records, sends nothing."""

    def __init__(self) -> None:
        super().__init__(base_url="unix:///nowhere.sock", version="1.41")
        self.created: dict[str, Any] = {}

    def create_container(self, **kwargs: Any) -> dict[str, str]:
        self.created = kwargs
        return {"Id": "c0ffee"}


class Client:
    def __init__(self) -> None:
        self.api = RecordingApi()
        self.containers = ContainerCollection(client=self)


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
    container = lifecycle.create(client, Spec.of(args), "c-1")
    assert (container.id, container.name) == ("c0ffee", "c-1")
    return client.api.created


def test_gpus_become_a_docker_device_request():
    request = created(gpus=2)["host_config"]["DeviceRequests"]
    assert [(r["Count"], r["Capabilities"]) for r in request] == [(2, [["gpu"]])]


def test_no_gpus_no_device_request_and_no_input_that_would_diff_old_state():
    assert "DeviceRequests" not in created(gpus=0)["host_config"]
    site = edge_location()
    assert "gpus" not in container_args(model(), site, site["hosts"][0])


def test_the_container_gets_the_contracts_environment_and_limits():
    got = created(gpus=0)
    assert got["environment"] == {
        "LOG_LEVEL": "info",
        "MODEL_NAME": "iris",
        "MODEL_VERSION": "1.0.0",
    }
    limits = got["host_config"]
    assert (limits["NanoCpus"], limits["Memory"]) == (500_000_000, 256 * 2**20)


def test_the_container_is_hardened_and_published_only_where_asked():
    got = created(gpus=0)
    host_config = got["host_config"]
    assert host_config["PortBindings"] == {
        "8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}]
    }
    assert (host_config["ReadonlyRootfs"], host_config.get("Privileged", False)) == (True, False)
    assert (host_config["CapDrop"], host_config["SecurityOpt"]) == (
        ["ALL"],
        ["no-new-privileges:true"],
    )
    assert host_config["Init"] is True
    assert list(got["networking_config"]["EndpointsConfig"]) == [host_config["NetworkMode"]]
