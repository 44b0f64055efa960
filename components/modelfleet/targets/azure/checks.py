"""What Azure ML would refuse, checked by ``modelfleet validate`` and by the component."""

from modelfleet import contract, rulebook
from modelfleet.errors import ConfigIssue
from modelfleet.keypaths import location_key, model_key
from modelfleet.model import ModelArgs
from modelfleet.targets import unused
from modelfleet.targets.azure.args import AzureLocationArgs
from modelfleet.targets.azure.plan import rollout_problems


def no_secret_env(model: ModelArgs, location: AzureLocationArgs) -> list[ConfigIssue]:
    """Deployment environment variables are readable by anyone who can read the workspace."""
    if not model.get("secret_env"):
        return []
    reason = rulebook.AZURE_SECRET_ENV.text(location=location["name"])
    return [ConfigIssue(model_key(model["name"], "secret_env"), reason)]


def rollout(model: ModelArgs, location: AzureLocationArgs) -> list[ConfigIssue]:
    """The traffic split Azure would refuse, at the rollout key that causes it."""
    problems = rollout_problems(
        model["version"], location.get("rollout"), kubernetes="compute" in location
    )
    return [ConfigIssue(location_key(location["name"], key), why) for key, why in problems]


GPU_SIZES = ("Standard_NC", "Standard_ND", "Standard_NV")
"""Azure VM sizes with GPUs: the N-series."""


def gpus(model: ModelArgs, location: AzureLocationArgs) -> list[ConfigIssue]:
    """On managed instances GPUs come with the VM size; on Arc they are requested."""
    count, size = model["resources"]["gpus"], location["instance_type"]
    if "compute" in location or not contract.wants_gpus(count) or not isinstance(size, str):
        return []
    if size.startswith(GPU_SIZES):
        return []
    return [
        ConfigIssue(
            model_key(model["name"], "resources.gpus"),
            f"{count} GPUs asked at location {location['name']!r}, whose instance_type {size} "
            f"has none: use an N-series size ({', '.join(GPU_SIZES)}*)",
        )
    ]


def notes(model: ModelArgs, location: AzureLocationArgs) -> list[ConfigIssue]:
    """Model keys Azure ML does not use here, each said at its key path."""
    said = unused.notes(
        model, ("host_port",), ("Azure ML", location["name"]), "it publishes no host port"
    )
    said += unused.notes(
        model,
        ("scaling.max",),
        ("Azure ML", location["name"]),
        "default scale settings keep scaling.min instances",
    )
    if "compute" not in location:
        said += unused.notes(
            model,
            ("resources.cpu", "resources.memory_mb"),
            ("Azure ML managed instances", location["name"]),
            "each instance is sized by the location's instance_type",
        )
    return said


def location_issues(location: AzureLocationArgs) -> list[ConfigIssue]:
    """The rules about the location itself: none beyond the config's own shape."""
    return []


def issues(model: ModelArgs, location: AzureLocationArgs) -> list[ConfigIssue]:
    """The rules about one model at the location."""
    return no_secret_env(model, location) + rollout(model, location) + gpus(model, location)
