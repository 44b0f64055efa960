"""What SageMaker would refuse, checked by ``modelfleet validate`` and by the component.

One function per rule, each returning the issues at their key paths, so a stack that
validates is a stack the component builds (the image-outside-ECR rule used to be
found only inside ``pulumi up``). Values that are outputs are checked when known.
"""

from modelfleet import contract, jurisdictions, rulebook
from modelfleet.errors import ConfigIssue, SageMakerConfigError
from modelfleet.keypaths import location_key, model_key
from modelfleet.model import ModelArgs
from modelfleet.targets import unused
from modelfleet.targets.aws.args import AwsLocationArgs
from modelfleet.targets.aws.plan import (
    SAGEMAKER_HEALTH_PATH,
    SAGEMAKER_INVOKE_PATH,
    SAGEMAKER_PORT,
    S3Location,
    container_image,
)

GPU_INSTANCE_FAMILIES = ("ml.g", "ml.p")
"""SageMaker instance families with NVIDIA GPUs (ml.g4dn, ml.g5, ml.p3, ml.p4d, ...)."""


def hosting_contract(model: ModelArgs) -> list[ConfigIssue]:
    """SageMaker talks to the container on port 8080 at ``/ping`` and ``/invocations``."""
    contract: list[tuple[str, object, object]] = [
        ("port", model["port"], SAGEMAKER_PORT),
        ("health_path", model["health_path"], SAGEMAKER_HEALTH_PATH),
        ("invoke_path", model["invoke_path"], SAGEMAKER_INVOKE_PATH),
    ]
    return [
        ConfigIssue(
            model_key(model["name"], key),
            rulebook.AWS_HOSTING_CONTRACT.text(key=key, given=given, expected=expected),
        )
        for key, given, expected in contract
        if isinstance(given, int | str) and given != expected
    ]


def location_settings(location: AwsLocationArgs) -> list[ConfigIssue]:
    """Settings SageMaker would refuse only after the deployer waited for it."""
    issues: list[ConfigIssue] = []
    subnets = bool(location.get("subnet_ids"))
    if subnets != bool(location.get("security_group_ids")):
        missing = "security_group_ids" if subnets else "subnet_ids"
        issues.append(
            ConfigIssue(location_key(location["name"], missing), rulebook.AWS_VPC_PAIR.text())
        )
    if subnets and "serverless" in location:
        issues.append(
            ConfigIssue(
                location_key(location["name"], "serverless"), rulebook.AWS_SERVERLESS_VPC.text()
            )
        )
    if location["region"] not in jurisdictions.AWS_REGIONS:
        issues.append(
            ConfigIssue(
                location_key(location["name"], "region"),
                rulebook.AWS_REGION.text(region=location["region"]),
            )
        )
    return issues


def sources(model: ModelArgs, location: AwsLocationArgs) -> list[ConfigIssue]:
    """Where SageMaker pulls the image and the artifact from must be somewhere it can.

    A wrong image is said at the location's ``registry`` when it names one (that is
    what to change), else at the model's image.
    """
    issues: list[ConfigIssue] = []
    in_vpc = bool(location.get("subnet_ids"))
    image, artifact, registry = model["image"], model.get("artifact"), location.get("registry")
    if isinstance(image, str):
        try:
            container_image(image, location["region"], in_vpc, registry)
        except SageMakerConfigError as error:
            path = (
                location_key(location["name"], "registry")
                if registry is not None
                else model_key(model["name"], "image")
            )
            issues.append(ConfigIssue(path, str(error)))
    if isinstance(artifact, str):
        try:
            S3Location.parse(artifact)
        except SageMakerConfigError as error:
            issues.append(ConfigIssue(model_key(model["name"], "artifact"), str(error)))
    return issues


def gpus(model: ModelArgs, location: AwsLocationArgs) -> list[ConfigIssue]:
    """GPUs come with the instance type: a model that asks for them needs a GPU instance."""
    count, instance_type = model["resources"]["gpus"], location["instance_type"]
    if not contract.wants_gpus(count) or not isinstance(instance_type, str):
        return []
    if "serverless" in location:
        why = "SageMaker Serverless Inference has no GPUs: place it on instances"
    elif instance_type.startswith(GPU_INSTANCE_FAMILIES):
        return []
    else:
        why = f"instance_type {instance_type} has no GPU: use a GPU type ({', '.join(GPU_INSTANCE_FAMILIES)}*)"
    path = model_key(model["name"], "resources.gpus")
    return [ConfigIssue(path, f"{count} GPUs asked at location {location['name']!r}: {why}")]


def notes(model: ModelArgs, location: AwsLocationArgs) -> list[ConfigIssue]:
    """Model keys SageMaker does not use here, each said at its key path."""
    sized = unused.notes(
        model,
        ("host_port", "resources.cpu", "resources.memory_mb"),
        ("SageMaker", location["name"]),
        "it runs one container per instance, sized by the location's instance_type",
    )
    if "serverless" in location:
        sized += unused.notes(
            model,
            ("scaling.min", "scaling.max"),
            ("SageMaker Serverless Inference", location["name"]),
            "it scales itself, up to serverless.max_concurrency",
        )
    return sized


def location_issues(location: AwsLocationArgs) -> list[ConfigIssue]:
    """The rules about the location itself, whatever model it serves."""
    return location_settings(location)


def issues(model: ModelArgs, location: AwsLocationArgs) -> list[ConfigIssue]:
    """The rules about one model at the location."""
    return hosting_contract(model) + sources(model, location) + gpus(model, location)
