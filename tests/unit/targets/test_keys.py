"""No config key is silently ignored: each target uses it, refuses it, or says it does not.

Every key of the model and of each target's location is changed in turn; the target
must then register different resources (it uses the key), refuse to build (its checks,
which ``modelfleet validate`` runs too), or note the key at its path as unused there.
A key added to the args without an entry here fails the completeness tests.
"""

import json
from typing import Any, NotRequired, get_args, get_origin, is_typeddict

import pulumi
import pytest

from modelfleet import ModelArgs, ModelfleetError
from modelfleet.args import LocationArgs
from modelfleet.targets.aws import checks as aws_checks
from modelfleet.targets.azure import checks as azure_checks
from modelfleet.targets.edge import checks as edge_checks
from modelfleet.targets.kubernetes import checks as kubernetes_checks
from tests.unit.targets.args import LOCATIONS, aws_location, build, model, target_mocks

CHECKS: dict[str, Any] = {
    "aws": aws_checks,
    "azure": azure_checks,
    "kubernetes": kubernetes_checks,
    "edge": edge_checks,
}
OTHER_ECR = "111122223333.dkr.ecr.eu-central-1.amazonaws.com/ml/iris@sha256:" + "c" * 64
MODEL_CHANGES: dict[str, Any] = {
    "version": "2.0.0",
    "image": OTHER_ECR,
    "artifact": "s3://bucket/iris/model.tar.gz",
    "port": 9090,
    "host_port": 19090,
    "health_path": "/healthz",
    "invoke_path": "/predict",
    "env": {"LOG_LEVEL": "debug"},
    "secret_env": {"TOKEN": "t0ken"},
    "resources.cpu": 2.0,
    "resources.memory_mb": 2048,
    "resources.gpus": 1,
    "scaling.min": 2,
    "scaling.max": 5,
    "data.classification": "restricted",
    "data.residency": ["DE"],
}
HOST = {"docker_host": "unix:///var/run/docker.sock", "bind": "127.0.0.1", "port_offset": 0}
TLS = {"ca": "CA", "cert": "CERT", "key": "KEY"}
LOCATION_CHANGES: dict[str, list[tuple[str, Any, dict[str, Any]]]] = {
    "aws": [
        ("name", "aws-other", {}),
        ("region", "eu-west-1", {}),
        ("instance_type", "ml.c5.large", {}),
        ("kms_key_arn", "arn:aws:kms:eu-central-1:111122223333:key/k", {}),
        ("subnet_ids", ["subnet-0def"], {}),
        ("security_group_ids", ["sg-0def"], {}),
        ("serverless", {"memory_mb": 2048, "max_concurrency": 5}, {}),
        (
            "serverless",
            {"memory_mb": 4096, "max_concurrency": 5},
            {
                "serverless": {"memory_mb": 2048, "max_concurrency": 5},
                "subnet_ids": [],
                "security_group_ids": [],
            },
        ),
        ("registry", "111122223333.dkr.ecr.eu-central-1.amazonaws.com/mirror", {}),
    ],
    "azure": [
        ("name", "azure-other", {}),
        ("location", "northeurope", {}),
        ("resource_group", "ml-2", {}),
        ("workspace", "ml-2", {}),
        ("instance_type", "Standard_DS4_v2", {}),
        ("jurisdiction", "IE", {}),
        ("rollout", {"previous_version": "0.9.0", "canary_percent": 10, "mirror_percent": 0}, {}),
        ("compute", "arc-k8s", {}),
        ("registry", "mlprod.azurecr.io", {}),
    ],
    "kubernetes": [
        ("name", "vienna", {}),
        ("jurisdiction", "AT", {}),
        ("namespace", "ml", {}),
        ("create_namespace", True, {}),
        ("registry", "harbor.munich.example/ml", {}),
        ("registry_auth", {"username": "u", "password": "p"}, {}),
    ],
    "edge": [
        ("name", "paris", {}),
        ("jurisdiction", "DE", {}),
        ("hosts", [{**HOST, "name": "gw-9", "wave": 0}, {**HOST, "name": "gw-2", "wave": 1}], {}),
        ("hosts", [{**HOST, "name": "gw-1", "wave": 1}, {**HOST, "name": "gw-2", "wave": 0}], {}),
        ("hosts", [{**HOST, "name": "gw-1", "wave": 0, "bind": "10.0.0.1"}], {}),
        ("hosts", [{**HOST, "name": "gw-1", "wave": 0, "port_offset": 5}], {}),
        ("hosts", [{**HOST, "name": "gw-1", "wave": 0, "docker_host": "ssh://ops@gw"}], {}),
        (
            "hosts",
            [{**HOST, "name": "gw-1", "wave": 0, "docker_host": "tcp://gw:2376", "tls": TLS}],
            {},
        ),
        ("registry", "registry.plant-lyon.example:5000", {}),
        ("registry_auth", {"username": "u", "password": "p"}, {}),
        ("health_timeout_s", 90.0, {}),
        ("rollout", {"max_parallel": 4}, {}),
    ],
}


def changed(args: Any, key: str, value: Any) -> Any:
    """A deep copy of ``args`` with the dotted ``key`` set to ``value``."""
    copy = json.loads(json.dumps(args))
    *parents, last = key.split(".")
    target = copy
    for part in parents:
        target = target[part]
    target[last] = value
    return copy


def recorded(kind: str, model_args: Any, location: Any) -> str | ModelfleetError:
    """The URL and every registration the target makes, canonically; or its refusal."""
    mocks = target_mocks()
    if "secret_env" in model_args:
        model_args["secret_env"] = {
            k: pulumi.Output.secret(v) for k, v in model_args["secret_env"].items()
        }
    try:
        url = build(mocks, kind, model_args, location)
    except ModelfleetError as error:
        return error
    graph = [(r.type, r.name, r.inputs, sorted(r.dependencies)) for r in mocks.resources]
    return json.dumps([url, graph], sort_keys=True, default=str)


def outcome(kind: str, base_model: Any, model_args: Any, base: Any, location: Any, key: str) -> str:
    before = recorded(kind, base_model, base)
    after = recorded(kind, model_args, location)
    if isinstance(after, ModelfleetError):
        return "refused"
    if after != before:
        return "used"
    noted = [str(n) for n in CHECKS[kind].notes(model_args, location)]
    if any(f".{key}: not used by" in note for note in noted):
        return "noted"
    return "IGNORED"


@pytest.mark.parametrize("kind", list(LOCATIONS))
@pytest.mark.parametrize("key", list(MODEL_CHANGES))
def test_every_model_key_is_used_refused_or_noted(kind, key):
    base = model()
    result = outcome(
        kind,
        base,
        changed(base, key, MODEL_CHANGES[key]),
        LOCATIONS[kind](),
        LOCATIONS[kind](),
        key,
    )
    assert result != "IGNORED", f"{kind} silently ignores model key {key}"


@pytest.mark.parametrize(
    ("kind", "key", "value", "base"),
    [(kind, *change) for kind, changes in LOCATION_CHANGES.items() for change in changes],
)
def test_every_location_key_is_used_or_refused(kind, key, value, base):
    location = LOCATIONS[kind](**base)
    result = outcome(kind, model(), model(), location, changed(location, key, value), key)
    assert result in ("used", "refused"), f"{kind} silently ignores location key {key}"


def fields(typed: Any) -> dict[str, Any]:
    """A TypedDict's fields, ``NotRequired[...]`` unwrapped (no forward refs resolved)."""
    return {
        name: get_args(hint)[0] if get_origin(hint) is NotRequired else hint
        for name, hint in typed.__annotations__.items()
    }


def leaf_keys(typed: Any, prefix: str = "") -> set[str]:
    """The dotted keys of a TypedDict, nested TypedDicts walked."""
    keys: set[str] = set()
    for name, hint in fields(typed).items():
        nested = is_typeddict(hint)
        keys |= leaf_keys(hint, f"{prefix}{name}.") if nested else {f"{prefix}{name}"}
    return keys


def test_every_model_key_is_walked():
    assert leaf_keys(ModelArgs) - {"name"} == set(MODEL_CHANGES)


@pytest.mark.parametrize("kind", list(LOCATIONS))
def test_every_location_key_is_walked(kind):
    typed = fields(LocationArgs)[kind]
    assert set(fields(typed)) == {key for key, _, _ in LOCATION_CHANGES[kind]}


def test_a_key_a_target_does_not_use_is_noted_at_its_path():
    # GIVEN a model sized for Kubernetes, placed on SageMaker
    sized = changed(model(), "resources.cpu", 4.0)
    # WHEN SageMaker's checks look at it THEN the key is named, with the reason
    assert (
        "modelfleet:models.iris.resources.cpu: not used by SageMaker at 'aws-fra': it runs "
        "one container per instance, sized by the location's instance_type"
    ) in [str(n) for n in aws_checks.notes(sized, aws_location())]
