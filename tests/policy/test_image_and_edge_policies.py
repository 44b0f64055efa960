"""Images (digest, registry), edge containers (transport, hardening) and the label policy."""

from typing import Any

import pytest

from tests.policy.builders import (
    DIGEST,
    IMAGE,
    UNKNOWN,
    Spec,
    run,
    specs_for,
    stack_config,
)

PINNED = "image-pinned-by-digest"
REGISTRY = "image-registry-allowed"
TRANSPORT = "edge-docker-host-secure-transport"
EDGE_HARDENED = "edge-container-hardened"
LABELS = "modelfleet-labels-present"
TAGGED = "111122223333.dkr.ecr.eu-central-1.amazonaws.com/ml/fraud-scorer:1.4.0"
ECR = {"registries": ["111122223333.dkr.ecr.*.amazonaws.com"]}

LOCATIONS: dict[str, dict[str, Any]] = {
    "kubernetes": {
        "kind": "kubernetes",
        "jurisdiction": "DE",
        "context": "c",
        "namespace": "models",
    },
    "aws": {"kind": "aws", "region": "eu-central-1"},
    "azure": {
        "kind": "azure",
        "location": "westeurope",
        "resource_group": "ml",
        "workspace": "ml-ws",
    },
    "edge": {
        "kind": "edge",
        "jurisdiction": "FR",
        "hosts": [
            {"name": "gw-1", "docker_host": "ssh://ops@gw-1"},
            {
                "name": "gw-2",
                "docker_host": "tcp://gw-2:2376",
                "tls": {"ca": "CA PEM", "cert": "CERT PEM", "key": "KEY PEM"},
            },
        ],
    },
}
RUNNERS = {  # the resource of each kind that names the image
    "kubernetes": "fraud-scorer-here-deployment",
    "aws": "fraud-scorer-here-model",
    "edge": "fraud-scorer-here-gw-1",
}
WHICH = {"kubernetes": "container 'model'", "aws": "primary container", "edge": "container"}


def placed(kind: str, image: str = IMAGE, classification: str = "internal") -> dict[str, Spec]:
    raw = stack_config(
        {"classification": classification, "residency": ["EU"]}, "here", LOCATIONS[kind], image
    )
    return {spec.name: spec for spec in specs_for(raw)}


def runner(kind: str, image: str = IMAGE) -> Spec:
    return placed(kind, image)[RUNNERS[kind]]


def set_image(spec: Spec, image: Any) -> None:
    if spec.type == "aws:sagemaker/model:Model":
        spec.props["primaryContainer"]["image"] = image
    elif spec.type.startswith("kubernetes:"):
        spec.props["spec"]["template"]["spec"]["containers"][0]["image"] = image
    else:
        spec.props["image"] = image


# --- image-pinned-by-digest --------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(RUNNERS))
def test_a_pinned_image_passes_and_a_tag_is_refused(kind):
    assert run(PINNED, runner(kind).resource_args()).messages == []
    assert run(PINNED, runner(kind, TAGGED).resource_args()).messages == [
        f"{WHICH[kind]}: image '{TAGGED}' is not pinned by digest (@sha256:<64 hex>)"
    ]


@pytest.mark.parametrize("kind", sorted(RUNNERS))
def test_an_unknown_image_is_noted_not_passed(kind):
    spec = runner(kind)
    set_image(spec, UNKNOWN)
    outcome = run(PINNED, spec.resource_args())
    assert outcome.messages == []
    assert outcome.preview is not None
    assert outcome.preview.endswith(f"of {spec.name}: unknown at preview; checked again at update")


def test_an_unknown_image_names_its_property():
    spec = runner("kubernetes")
    set_image(spec, UNKNOWN)
    assert run(PINNED, spec.resource_args()).preview == (
        "spec.template.spec.containers[0].image of fraud-scorer-here-deployment: "
        "unknown at preview; checked again at update"
    )


def test_a_container_without_an_image_is_refused():
    spec = runner("kubernetes")
    del spec.props["spec"]["template"]["spec"]["containers"][0]["image"]
    assert run(PINNED, spec.resource_args()).messages == ["container 'model' names no image"]
    assert run(REGISTRY, spec.resource_args(ECR)).messages == ["container 'model' names no image"]


def test_the_azure_environment_image_is_checked():
    environment = Spec(
        "azure-native:machinelearningservices:EnvironmentVersion",
        "fraud-scorer-here-environment-v1-4-0",
        {"properties": {"image": TAGGED, "osType": "Linux"}},
    )
    assert run(PINNED, environment.resource_args()).messages == [
        f"environment: image '{TAGGED}' is not pinned by digest (@sha256:<64 hex>)"
    ]


# --- image-registry-allowed --------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(RUNNERS))
def test_any_registry_passes_without_an_allow_list(kind):
    assert (
        run(REGISTRY, runner(kind, f"docker.io/library/python@{DIGEST}").resource_args({})).messages
        == []
    )


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (IMAGE, []),
        (
            f"444455556666.dkr.ecr.us-east-1.amazonaws.com/ml/x@{DIGEST}",
            ["444455556666.dkr.ecr.us-east-1.amazonaws.com"],
        ),
        (f"python@{DIGEST}", ["docker.io"]),
        (f"localhost:5000/ml/x@{DIGEST}", ["localhost:5000"]),
    ],
)
def test_the_configured_allow_list_decides(image, expected):
    outcome = run(REGISTRY, runner("kubernetes", image).resource_args(ECR))
    assert outcome.messages == [
        f"container 'model': image '{image}' comes from {registry}, which is not an allowed "
        "registry (111122223333.dkr.ecr.*.amazonaws.com)"
        for registry in expected
    ]


def test_an_unknown_image_registry_is_noted_not_passed():
    spec = runner("edge")
    set_image(spec, UNKNOWN)
    outcome = run(REGISTRY, spec.resource_args(ECR))
    assert outcome.messages == []
    assert (
        outcome.preview
        == "image of fraud-scorer-here-gw-1: unknown at preview; checked again at update"
    )


# --- edge-docker-host-secure-transport ---------------------------------------------------


def test_ssh_unix_and_tcp_with_tls_pass():
    hosts = placed("edge")
    for name in ("fraud-scorer-here-gw-1", "fraud-scorer-here-gw-2"):
        assert run(TRANSPORT, hosts[name].resource_args()).messages == [], name
    unix = hosts["fraud-scorer-here-gw-1"]
    unix.props["docker_host"] = "unix:///var/run/docker.sock"
    assert run(TRANSPORT, unix.resource_args()).messages == []


@pytest.mark.parametrize("tls", [None, {"ca": "CA PEM", "cert": "CERT PEM", "key": ""}])
def test_plain_tcp_is_refused(tls):
    spec = placed("edge")["fraud-scorer-here-gw-2"]
    if tls is None:
        del spec.props["tls"]
    else:
        spec.props["tls"] = tls
    assert run(TRANSPORT, spec.resource_args()).messages == [
        "Docker host 'tcp://gw-2:2376' is plain tcp:// without mutual TLS: anyone who reaches "
        "the port controls the engine (set tls: ca, cert, key; or use ssh://)"
    ]


def test_an_unknown_scheme_or_no_host_is_refused():
    spec = placed("edge")["fraud-scorer-here-gw-1"]
    spec.props["docker_host"] = "http://gw-1:2375"
    assert run(TRANSPORT, spec.resource_args()).messages == [
        "Docker host 'http://gw-1:2375': expected unix://, ssh:// or tcp:// with mutual TLS"
    ]
    spec.props["docker_host"] = ""
    assert run(TRANSPORT, spec.resource_args()).messages == [
        "no docker_host: cannot tell how its Docker engine is reached"
    ]


def test_unknown_tls_is_noted_not_passed():
    spec = placed("edge")["fraud-scorer-here-gw-2"]
    spec.props["tls"] = UNKNOWN
    assert run(TRANSPORT, spec.resource_args()).preview == (
        "tls of fraud-scorer-here-gw-2: unknown at preview; checked again at update"
    )


def test_other_dynamic_resources_are_not_edge_containers():
    other = Spec("pulumi-python:dynamic:Resource", "something", {"docker_host": None})
    other.props = {"value": 1}
    assert run(TRANSPORT, other.resource_args()).violations == []
    assert run(EDGE_HARDENED, other.resource_args()).violations == []


# --- edge-container-hardened -------------------------------------------------------------


def test_a_hardened_edge_container_passes():
    assert (
        run(EDGE_HARDENED, placed("edge")["fraud-scorer-here-gw-1"].resource_args()).messages == []
    )


def test_every_edge_hardening_gap_is_named():
    spec = placed("edge")["fraud-scorer-here-gw-1"]
    spec.props.update(privileged=True, network_mode="host", read_only=False)
    assert run(EDGE_HARDENED, spec.resource_args()).messages == [
        "the container runs privileged",
        "the container uses the host network (network_mode: host)",
        "the container's root filesystem is writable (read_only is not true)",
    ]


def test_an_undeclared_read_only_is_not_read_only():
    spec = placed("edge")["fraud-scorer-here-gw-1"]
    del spec.props["read_only"]
    assert run(EDGE_HARDENED, spec.resource_args()).messages == [
        "the container's root filesystem is writable (read_only is not true)"
    ]


def test_unknown_edge_settings_are_noted_not_passed():
    spec = placed("edge")["fraud-scorer-here-gw-1"]
    spec.props["read_only"] = UNKNOWN
    outcome = run(EDGE_HARDENED, spec.resource_args())
    assert outcome.messages == []
    assert (
        outcome.preview
        == "read_only of fraud-scorer-here-gw-1: unknown at preview; checked again at update"
    )


# --- modelfleet-labels-present -----------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(LOCATIONS))
def test_every_resource_a_target_makes_carries_all_labels(kind):
    for spec in placed(kind).values():
        assert run(LABELS, spec.resource_args()).messages == [], spec.urn


def test_missing_labels_are_listed_in_the_targets_spelling():
    endpoint = placed("azure")["fraud-scorer-here-endpoint"]
    del endpoint.props["tags"]["modelfleet.residency"]
    del endpoint.props["tags"]["managed-by"]
    assert run(LABELS, endpoint.resource_args()).messages == [
        "missing labels: modelfleet.residency, managed-by"
    ]
    deployment = placed("kubernetes")["fraud-scorer-here-deployment"]
    del deployment.props["metadata"]["labels"]
    assert run(LABELS, deployment.resource_args()).messages == [
        "missing labels: modelfleet/model, modelfleet/version, modelfleet/location, "
        "modelfleet/classification, modelfleet/jurisdiction, modelfleet/residency, managed-by"
    ]


def test_resources_outside_modelfleet_components_are_not_its_business():
    deployment = placed("kubernetes")["fraud-scorer-here-deployment"]
    del deployment.props["metadata"]["labels"]
    deployment.parents = ()
    assert run(LABELS, deployment.resource_args()).violations == []


def test_unknown_labels_are_noted_not_passed():
    deployment = placed("kubernetes")["fraud-scorer-here-deployment"]
    deployment.props["metadata"]["labels"] = UNKNOWN
    assert run(LABELS, deployment.resource_args()).preview == (
        "metadata.labels of fraud-scorer-here-deployment: unknown at preview; checked again at update"
    )
