"""The stack config contract (docs/design.md, "Stack config format"), as pydantic models.

These models only describe shape and local validity (types, names, ranges, one
field against its neighbours). Checks that span the whole stack — placements that
name a missing model, residency rules — live in :mod:`modelfleet.stackfile` and
:mod:`modelfleet.rules`, where each problem gets its full key path.
"""

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from modelfleet import jurisdictions, rulebook
from modelfleet.args import LocationArgs
from modelfleet.fielddocs import doc
from modelfleet.images.reference import Registry as RegistryRef
from modelfleet.model import DataArgs, ModelArgs, ResourcesArgs, ScalingArgs
from modelfleet.targets.aws.args import AwsLocationArgs, ServerlessArgs
from modelfleet.targets.azure.args import AzureLocationArgs, RolloutArgs
from modelfleet.targets.edge.args import EdgeHostArgs, EdgeLocationArgs, EdgeRolloutArgs, TlsArgs
from modelfleet.targets.edge.rollout import DEFAULT_MAX_PARALLEL
from modelfleet.targets.kubernetes.args import KubernetesLocationArgs

NAME_PATTERN = r"^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$"
"""Names of models, locations and hosts: DNS labels of at most 40 characters."""

Name = Annotated[str, Field(pattern=NAME_PATTERN, description="A DNS label, at most 40 chars.")]

_IMAGE_REFERENCE = re.compile(
    r"^(?:(?P<registry>[a-zA-Z0-9.-]+(?::[0-9]+)?)/)?"
    r"(?P<path>[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?"
    r"(?:@(?P<digest>sha256:[a-f0-9]{64}))?$"
)
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def image_digest(image: str) -> str | None:
    """The ``sha256:`` digest an image reference is pinned to, or None for a tag."""
    match = _IMAGE_REFERENCE.match(image)
    return match.group("digest") if match else None


def _check_image(image: str) -> str:
    if not _IMAGE_REFERENCE.match(image):
        raise ValueError(rulebook.IMAGE_REFERENCE.text())
    return image


def _check_path(path: str) -> str:
    if not path.startswith("/"):
        raise ValueError(rulebook.HTTP_PATH.text())
    return path


def _check_env(env: dict[str, Any]) -> dict[str, Any]:
    for key in env:
        if not _ENV_NAME.match(key):
            raise ValueError(rulebook.ENV_NAME.text(name=key))
    return env


def _check_country(code: str) -> str:
    if not jurisdictions.is_country(code):
        raise ValueError(rulebook.COUNTRY.text(code=code))
    return code


def _check_residency(codes: list[str]) -> list[str]:
    bad = [code for code in codes if not jurisdictions.is_residency_code(code)]
    if bad:
        raise ValueError(rulebook.RESIDENCY_CODE.text(codes=", ".join(map(repr, bad))))
    return codes


def _scalar_as_text(value: object) -> object:
    """YAML and ``pulumi config set --path`` turn ``1`` and ``true`` into numbers and booleans."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def _check_registry(registry: str) -> str:
    try:
        return str(RegistryRef.parse(registry))
    except ValueError:
        raise ValueError(rulebook.LOCATION_REGISTRY.text(registry=registry)) from None


Text = Annotated[str, BeforeValidator(_scalar_as_text)]
"""A string that also accepts a bare number or boolean, as environment values are written."""
Image = Annotated[str, AfterValidator(_check_image)]
HttpPath = Annotated[str, AfterValidator(_check_path)]
Country = Annotated[str, AfterValidator(_check_country)]
Registry = Annotated[str, AfterValidator(_check_registry)]


@dataclass(frozen=True)
class Secret:
    """A secret config value: plain text inside a Pulumi program, ciphertext on disk.

    The engine decrypts ``{secure: ...}`` values before the program sees them; the
    ``modelfleet`` command reads the stack file directly and only ever holds the
    ciphertext. Either way the value never shows in a repr, a log or an error.
    """

    plaintext: str | None = None
    ciphertext: str | None = None

    def __repr__(self) -> str:
        return "Secret(***)"

    __str__ = __repr__


def _to_secret(value: object) -> Secret:
    if isinstance(value, Secret):
        return value
    if isinstance(value, str):
        return Secret(plaintext=value)
    if isinstance(value, dict) and set(value) == {"secure"} and isinstance(value["secure"], str):
        return Secret(ciphertext=value["secure"])
    raise ValueError(rulebook.SECRET_VALUE.text())


SecretValue = Annotated[
    Secret,
    PlainValidator(_to_secret),
    WithJsonSchema(
        {
            "description": "A Pulumi secret: set it with `pulumi config set --secret`.",
            "anyOf": [
                {"type": "string"},
                {
                    "type": "object",
                    "properties": {"secure": {"type": "string"}},
                    "required": ["secure"],
                    "additionalProperties": False,
                },
            ],
        }
    ),
]


class Strict(BaseModel):
    """Base for every config model: unknown keys are errors, models are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


class Classification(StrEnum):
    """How sensitive the data a model sees is, least to most."""

    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    RESTRICTED = "restricted"


SENSITIVE = frozenset({Classification.CONFIDENTIAL, Classification.RESTRICTED})
"""Classifications that require a residency list and private endpoints."""


class Resources(Strict):
    """Compute one replica (or one edge container) gets."""

    cpu: float = Field(1.0, gt=0, le=256, description=doc(ResourcesArgs, "cpu"))
    memory_mb: int = Field(1024, ge=64, le=1_048_576, description=doc(ResourcesArgs, "memory_mb"))
    gpus: int = Field(0, ge=0, le=16, description=doc(ResourcesArgs, "gpus"))


class Scaling(Strict):
    """Replica bounds, used by autoscalers where the target has one."""

    min: int = Field(1, ge=1, le=1000, description=doc(ScalingArgs, "min"))
    max: int = Field(1, ge=1, le=1000, description=doc(ScalingArgs, "max"))

    @model_validator(mode="after")
    def _max_not_below_min(self) -> "Scaling":
        if self.max < self.min:
            raise ValueError(rulebook.SCALING_BOUNDS.text(max=self.max, min=self.min))
        return self


class Data(Strict):
    """What the model's data is, and where it may be processed."""

    classification: Classification = Field(description=doc(DataArgs, "classification"))
    residency: Annotated[list[str], AfterValidator(_check_residency)] = Field(
        default_factory=list,
        description=doc(DataArgs, "residency"),
    )

    def allowed_countries(self) -> frozenset[str] | None:
        """Countries the residency list allows; None when the model sets no residency."""
        return jurisdictions.expand(self.residency) if self.residency else None


class ModelSpec(Strict):
    """What to serve: one model version, its container contract and its data."""

    version: str = Field(min_length=1, max_length=63, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    image: Image = Field(description=doc(ModelArgs, "image"))
    artifact: str | None = Field(None, description=doc(ModelArgs, "artifact"))
    port: int = Field(8080, ge=1, le=65535, description=doc(ModelArgs, "port"))
    host_port: int | None = Field(None, ge=1, le=65535, description=doc(ModelArgs, "host_port"))
    health_path: HttpPath = Field("/ping", description=doc(ModelArgs, "health_path"))
    invoke_path: HttpPath = Field("/invocations", description=doc(ModelArgs, "invoke_path"))
    env: Annotated[dict[str, Text], AfterValidator(_check_env)] = Field(default_factory=dict)
    secret_env: Annotated[dict[str, SecretValue], AfterValidator(_check_env)] = Field(
        default_factory=dict, description=doc(ModelArgs, "secret_env")
    )
    resources: Resources = Field(default_factory=Resources)
    scaling: Scaling = Field(default_factory=Scaling)
    data: Data
    pin_at_deploy: bool = Field(
        False,
        description=(
            "Resolve the image's tag to the digest its registry holds when the program "
            "runs, so every resource runs (and the policy pack sees) a digest: for a stack "
            "whose image is built where it deploys (local)."
        ),
    )

    @property
    def published_port(self) -> int:
        """Port published on edge hosts: ``host_port``, else the container port."""
        return self.host_port if self.host_port is not None else self.port


def _region_of(regions: Mapping[str, str], rule: rulebook.Rule) -> Callable[[str], str]:
    """A validator accepting only the cloud's regions (the jurisdiction table's keys)."""

    def known(region: str) -> str:
        if region not in regions:
            raise ValueError(rule.text(region=region))
        return region

    return known


class RegistryAuth(Strict):
    """Credentials a location pulls (or the deployer pushes) the model image with."""

    username: str = Field(min_length=1)
    password: SecretValue


PUSH_AUTH = (
    "Credentials the deployer pushes the image into `registry` with, when they differ from "
    "the location's pull credentials (registry_auth); an ECR registry defaults to a token "
    "of the location's AWS account."
)


class Serverless(Strict):
    """SageMaker Serverless Inference instead of instances (no autoscaling target)."""

    memory_mb: Literal[1024, 2048, 3072, 4096, 5120, 6144] = Field(
        2048, description=doc(ServerlessArgs, "memory_mb")
    )
    max_concurrency: int = Field(
        5, ge=1, le=200, description=doc(ServerlessArgs, "max_concurrency")
    )


class AwsLocation(Strict):
    """A SageMaker real-time endpoint in one AWS region."""

    kind: Literal["aws"]
    region: str = Field(description=doc(AwsLocationArgs, "region"))
    instance_type: str = Field("ml.m5.large", pattern=r"^ml\.[a-z0-9]+\.[a-z0-9]+$")
    kms_key_arn: str | None = Field(None, pattern=r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/.+$")
    subnet_ids: list[Annotated[str, Field(pattern=r"^subnet-[0-9a-f]+$")]] = Field(
        default_factory=list
    )
    security_group_ids: list[Annotated[str, Field(pattern=r"^sg-[0-9a-f]+$")]] = Field(
        default_factory=list
    )
    serverless: Serverless | None = Field(None, description=doc(AwsLocationArgs, "serverless"))
    registry: Registry | None = Field(None, description=doc(AwsLocationArgs, "registry"))
    registry_push_auth: RegistryAuth | None = Field(None, description=PUSH_AUTH)

    _known_region = field_validator("region")(
        _region_of(jurisdictions.AWS_REGIONS, rulebook.AWS_REGION)
    )

    @property
    def jurisdiction(self) -> str:
        return jurisdictions.AWS_REGIONS[self.region]


class Rollout(Strict):
    """Safe rollout on Azure ML: the new version takes a share while the previous one serves."""

    previous_version: str | None = Field(None, description=doc(RolloutArgs, "previous_version"))
    canary_percent: int = Field(10, ge=0, le=100, description=doc(RolloutArgs, "canary_percent"))
    mirror_percent: int = Field(0, ge=0, le=50, description=doc(RolloutArgs, "mirror_percent"))


class AzureLocation(Strict):
    """An Azure ML workspace in one Azure region, or its Arc-attached Kubernetes compute."""

    kind: Literal["azure"]
    location: str = Field(description=doc(AzureLocationArgs, "location"))
    resource_group: str = Field(min_length=1, max_length=90)
    workspace: str = Field(min_length=3, max_length=33)
    instance_type: str = Field("Standard_DS3_v2", pattern=r"^Standard_[A-Za-z0-9_]+$")
    rollout: Rollout | None = None
    compute: str | None = Field(
        None,
        min_length=2,
        max_length=32,
        description=doc(AzureLocationArgs, "compute"),
    )
    registry: Registry | None = Field(None, description=doc(AzureLocationArgs, "registry"))
    registry_push_auth: RegistryAuth | None = Field(None, description=PUSH_AUTH)
    declared_jurisdiction: Country | None = Field(
        None,
        alias="jurisdiction",
        description="Country of the Arc cluster; required with compute, refused without.",
    )

    _known_region = field_validator("location")(
        _region_of(jurisdictions.AZURE_REGIONS, rulebook.AZURE_REGION)
    )

    @model_validator(mode="after")
    def _arc_jurisdiction(self) -> "AzureLocation":
        if (self.compute is None) != (self.declared_jurisdiction is None):
            raise ValueError(rulebook.AZURE_ARC_JURISDICTION.text())
        return self

    @property
    def jurisdiction(self) -> str:
        if self.declared_jurisdiction is not None:
            return self.declared_jurisdiction
        return jurisdictions.AZURE_REGIONS[self.location]


class KubernetesLocation(Strict):
    """A namespace on a Kubernetes cluster the team runs itself."""

    kind: Literal["kubernetes"]
    jurisdiction: Country = Field(description=doc(KubernetesLocationArgs, "jurisdiction"))
    kubeconfig: SecretValue | None = Field(None, description=doc(LocationArgs, "kubeconfig"))
    context: str | None = Field(None, min_length=1, description=doc(LocationArgs, "context"))
    namespace: str = Field("default", pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
    create_namespace: bool = Field(
        False, description=doc(KubernetesLocationArgs, "create_namespace")
    )
    registry: Registry | None = Field(None, description=doc(KubernetesLocationArgs, "registry"))
    registry_push_auth: RegistryAuth | None = Field(None, description=PUSH_AUTH)
    registry_auth: RegistryAuth | None = Field(
        None, description=doc(KubernetesLocationArgs, "registry_auth")
    )

    @model_validator(mode="after")
    def _one_way_in(self) -> "KubernetesLocation":
        if (self.kubeconfig is None) == (self.context is None):
            raise ValueError(rulebook.K8S_ONE_WAY_IN.text())
        return self


class Tls(Strict):
    """Mutual TLS material for a ``tcp://`` Docker host (PEM contents)."""

    ca: str = Field(min_length=1, description=doc(TlsArgs, "ca"))
    cert: str = Field(min_length=1, description=doc(TlsArgs, "cert"))
    key: SecretValue = Field(description=doc(TlsArgs, "key"))


def _check_bind(address: str) -> str:
    ipaddress.ip_address(address)
    return address


def _check_docker_host(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in {"unix", "ssh", "tcp"} or not rest:
        raise ValueError(rulebook.EDGE_DOCKER_HOST_URL.at(repr(url)))
    return url


class EdgeHost(Strict):
    """One Docker engine at an edge site."""

    name: Name
    docker_host: Annotated[str, AfterValidator(_check_docker_host)] = Field(
        description=doc(EdgeHostArgs, "docker_host")
    )
    wave: int = Field(1, ge=0, le=100, description=doc(EdgeHostArgs, "wave"))
    bind: Annotated[str, AfterValidator(_check_bind)] = Field(
        "127.0.0.1", description=doc(EdgeHostArgs, "bind")
    )
    port_offset: int = Field(0, ge=0, le=10_000, description=doc(EdgeHostArgs, "port_offset"))
    tls: Tls | None = None


class EdgeRollout(Strict):
    """How an edge site takes a new version (Azure ML's is :class:`Rollout`)."""

    max_parallel: int = Field(
        DEFAULT_MAX_PARALLEL, ge=1, le=1000, description=doc(EdgeRolloutArgs, "max_parallel")
    )


class EdgeLocation(Strict):
    """A site of Docker hosts: plants, shops, clinics."""

    kind: Literal["edge"]
    jurisdiction: Country = Field(description=doc(EdgeLocationArgs, "jurisdiction"))
    hosts: list[EdgeHost] = Field(min_length=1)
    registry: Registry | None = Field(None, description=doc(EdgeLocationArgs, "registry"))
    registry_push_auth: RegistryAuth | None = Field(None, description=PUSH_AUTH)
    registry_auth: RegistryAuth | None = None
    health_timeout_s: float = Field(
        60.0, gt=0, le=3600, description=doc(EdgeLocationArgs, "health_timeout_s")
    )
    rollout: EdgeRollout | None = Field(None, description=doc(EdgeLocationArgs, "rollout"))


AnyLocation = AwsLocation | AzureLocation | KubernetesLocation | EdgeLocation
Location = Annotated[AnyLocation, Field(discriminator="kind")]
LOCATION_KINDS = ("aws", "azure", "kubernetes", "edge")


class StackConfig(Strict):
    """The three maps of a stack: ``modelfleet:models``, ``:locations``, ``:placements``."""

    models: dict[Name, ModelSpec] = Field(default_factory=dict)
    locations: dict[Name, Location] = Field(default_factory=dict)
    placements: dict[Name, list[Name]] = Field(default_factory=dict)
