"""Issue 15's acceptance on a hybrid stack: one digest everywhere, each under its own registry.

The stack (tests/fixtures/Pulumi.hybrid-registries.yaml) places one model on AWS in two
regions, Azure, a Kubernetes cluster and an edge site, each naming its registry. Under
mocks, ``ModelEndpoint`` copies the digest into each registry and every target's
container image is an output of that copy: the model's path, same digest, its registry.
"""

from pathlib import Path
from typing import Any

import pulumi
import yaml

from modelfleet import cli
from modelfleet.endpoint import ModelEndpoint
from modelfleet.images.reference import ImageRef
from modelfleet.stack_args import endpoint_args
from modelfleet.stackfile import load_stack_file
from tests.unit.conftest import RecordingMocks, new_mocks, secret_value

STACK = Path(__file__).resolve().parents[1] / "fixtures" / "Pulumi.hybrid-registries.yaml"
DIGEST = "sha256:" + "ab" * 32
COPY = "pulumi-python:dynamic/images:RegistryCopy"
ECR_TOKEN = "aws:ecr/getAuthorizationToken:getAuthorizationToken"
REGISTRIES = {
    "aws-frankfurt": "111122223333.dkr.ecr.eu-central-1.amazonaws.com/ml",
    "aws-virginia": "111122223333.dkr.ecr.us-east-1.amazonaws.com/ml",
    "azure-westeurope": "mlprod.azurecr.io/ml",
    "munich-onprem": "harbor.munich.example/ml",
    "plant-lyon": "registry.plant-lyon.example:5000/ml",
}
"""Each location's registry and the model's repository path ``ml/...`` under it."""


def deploy() -> RecordingMocks:
    mocks = new_mocks("hybrid-registries")
    mocks.invokes[ECR_TOKEN] = {"userName": "AWS", "password": "ecr-token", "registryId": "1"}
    config = load_stack_file(STACK)

    def program() -> pulumi.Output[Any]:
        args = endpoint_args(config, pin=lambda image: image)["fraud-scorer"]
        return ModelEndpoint("fraud-scorer", args).endpoint_names

    mocks.run(program)
    return mocks


def running_images(mocks: RecordingMocks) -> dict[str, str]:
    """The image each placement's container runs, as the provider would receive it."""
    sagemaker = mocks.of_type("aws:sagemaker/model:Model")
    return {
        **{
            m.name.removeprefix("fraud-scorer-").removesuffix("-model"): m.inputs[
                "primaryContainer"
            ]["image"]
            for m in sagemaker
        },
        "azure-westeurope": mocks.of_type(
            "azure-native:machinelearningservices:EnvironmentVersion"
        )[0].inputs["properties"]["image"],
        "munich-onprem": mocks.of_type("kubernetes:apps/v1:Deployment")[0].inputs["spec"][
            "template"
        ]["spec"]["containers"][0]["image"],
        "plant-lyon": mocks.of_type("pulumi-python:dynamic/edge:EdgeContainer")[0].inputs["image"],
    }


def test_every_placement_runs_one_digest_each_from_its_own_registry():
    mocks = deploy()
    images = running_images(mocks)
    assert images == {
        name: f"{registry}/fraud-scorer@{DIGEST}" for name, registry in REGISTRIES.items()
    }
    assert {ImageRef.parse(image).digest for image in images.values()} == {DIGEST}


def test_each_registry_gets_the_digest_by_a_copy_the_targets_wait_for():
    mocks = deploy()
    copies = {c.inputs["registry"]: c for c in mocks.of_type(COPY)}
    assert set(copies) == {
        "111122223333.dkr.ecr.eu-central-1.amazonaws.com/ml",
        "111122223333.dkr.ecr.us-east-1.amazonaws.com/ml",
        "mlprod.azurecr.io",
        "harbor.munich.example/ml",
        "registry.plant-lyon.example:5000",
    }
    assert all("modelfleet:images:ModelImage$" in c.urn for c in copies.values())
    # AND the ECR copies push with a login token of the registry's account, kept secret
    for registry, copy in copies.items():
        if ".dkr.ecr." in registry:
            assert secret_value(copy.inputs["auth"]) == {"username": "AWS", "password": "ecr-token"}
        else:
            assert copy.inputs.get("auth") is None, registry
    edge = mocks.of_type("pulumi-python:dynamic/edge:EdgeContainer")[0]
    assert copies["registry.plant-lyon.example:5000"].urn in edge.dependencies


def test_plan_shows_the_image_each_placement_runs(capsys):
    assert cli.main(["plan", "--stack", str(STACK)]) == 0
    table = capsys.readouterr().out.split("\n\n")[0]  # the edge rollout line follows it
    rows = [line.split() for line in table.splitlines()[1:]]
    assert {row[1]: row[4] for row in rows} == {
        name: f"{registry}/fraud-scorer@{DIGEST}" for name, registry in REGISTRIES.items()
    }


def test_a_registry_outside_the_aws_location_s_region_is_refused_at_its_key(tmp_path, capsys):
    document = yaml.safe_load(STACK.read_text(encoding="utf-8"))
    locations = document["config"]["modelfleet:locations"]
    locations["aws-virginia"]["registry"] = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/ml"
    wrong = tmp_path / "Pulumi.hybrid-registries.yaml"
    wrong.write_text(yaml.safe_dump(document), encoding="utf-8")
    assert cli.main(["validate", "--stack", str(wrong)]) == 2
    assert capsys.readouterr().err.startswith(
        "error: modelfleet:locations.aws-virginia.registry: image "
        "'111122223333.dkr.ecr.eu-west-1.amazonaws.com/ml/fraud-scorer@"
        f"{DIGEST}': SageMaker in us-east-1 pulls only from Amazon ECR in its own region"
    )
