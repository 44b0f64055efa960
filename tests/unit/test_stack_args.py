"""stack_args: what only it does with the config — secrets wrapped, tags pinned at deploy."""

from modelfleet.config import StackConfig
from modelfleet.stack_args import endpoint_args, location_args

DIGEST = "sha256:" + "ef" * 32
LOCAL = "127.0.0.1:5500/modelfleet/model-server"


def local_stack(pin_at_deploy: bool) -> StackConfig:
    return StackConfig.model_validate(
        {
            "models": {
                "iris": {
                    "version": "1.0.0",
                    "image": f"{LOCAL}:dev",
                    "pin_at_deploy": pin_at_deploy,
                    "data": {"classification": "public"},
                }
            },
            "locations": {
                "laptop": {
                    "kind": "edge",
                    "jurisdiction": "DE",
                    "hosts": [{"name": "local", "docker_host": "unix:///var/run/docker.sock"}],
                }
            },
            "placements": {"iris": ["laptop"]},
        }
    )


def test_pin_at_deploy_runs_the_digest_the_registry_holds_now():
    asked: list[str] = []

    def pin(image: str) -> str:
        asked.append(image)
        return f"{LOCAL}@{DIGEST}"

    model = endpoint_args(local_stack(True), pin=pin)["iris"]["model"]
    assert (asked, model["image"]) == ([f"{LOCAL}:dev"], f"{LOCAL}@{DIGEST}")
    assert "pin_at_deploy" not in model  # the program's key, not a target's


def test_without_pin_at_deploy_the_registry_is_not_asked():
    def pin(image: str) -> str:
        raise AssertionError(f"asked to pin {image}")

    assert endpoint_args(local_stack(False), pin=pin)["iris"]["model"]["image"] == f"{LOCAL}:dev"


def test_push_credentials_are_the_fan_out_s_and_stay_secret():
    config = StackConfig.model_validate(
        {
            "locations": {
                "lyon": {
                    "kind": "edge",
                    "jurisdiction": "FR",
                    "registry": "registry.plant-lyon.example:5000",
                    "registry_push_auth": {"username": "ci", "password": "push"},
                    "hosts": [{"name": "gw-1", "docker_host": "ssh://ops@gw-1"}],
                }
            }
        }
    )
    args = location_args("lyon", config.locations["lyon"], lambda s: {"secret": s.plaintext})
    assert args["registry_push_auth"] == {"username": "ci", "password": {"secret": "push"}}
    assert "registry_push_auth" not in args["edge"]
    assert args["edge"]["registry"] == "registry.plant-lyon.example:5000"
