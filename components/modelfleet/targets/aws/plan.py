"""SageMaker decisions as pure functions: names, image and artifact locations, IAM, traffic.

SageMaker models and endpoint configurations are immutable, so every change creates
new ones under new names (a digest of their inputs) while the endpoint, whose name
never changes, keeps serving the old configuration until a blue/green deployment has
moved traffic over. Everything here is tested without mocks; the component wires it.
"""

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from modelfleet import rulebook
from modelfleet.errors import SageMakerConfigError
from modelfleet.images.reference import resolve

VARIANT = "primary"
"""The one production variant. Blue/green deployments require the new configuration
to keep the old variant name, and autoscaling targets name it: it never changes."""
SAGEMAKER_PORT = 8080
SAGEMAKER_HEALTH_PATH = "/ping"
SAGEMAKER_INVOKE_PATH = "/invocations"
BAKE_SECONDS = 600
"""How long the new fleet is watched by the rollback alarms before the old one goes."""
LOG_RETENTION_DAYS = 90
INVOCATIONS_PER_INSTANCE = 70.0
"""Target-tracking goal: invocations per instance per minute (AWS's own example value)."""
LATENCY_P99_MICROSECONDS = 1_000_000
"""Rollback when the p99 model latency stays above one second."""
NAME_LIMIT = 63
"""SageMaker names (endpoint, config, model) and alarm prefixes: at most 63 chars."""
DIGEST_CHARS = 10

_NOT_NAME_CHARS = re.compile(r"[^A-Za-z0-9]+")
_ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr(?P<fips>-fips)?\.(?P<region>[a-z0-9-]+)"
    r"\.(?P<suffix>amazonaws\.com(?:\.cn)?)/(?P<repository>[a-z0-9][a-z0-9._/-]*)"
    r"(?P<reference>(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?)$"
)
_S3_URI = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(?P<key>.+)$")


# --- where things are -----------------------------------------------------------------


def partition(region: str) -> str:
    """The ARN partition of a region: ``aws``, ``aws-cn`` or ``aws-us-gov``."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def dns_suffix(region: str) -> str:
    """The service domain of a region's partition."""
    return "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"


def invoke_url(region: str, endpoint_name: str) -> str:
    """The SageMaker runtime URL a signed ``POST`` invokes the endpoint at."""
    return f"https://runtime.sagemaker.{region}.{dns_suffix(region)}/endpoints/{endpoint_name}/invocations"


@dataclass(frozen=True)
class EcrImage:
    """An image in an Amazon ECR private repository."""

    account: str
    region: str
    repository: str
    reference: str
    """``:tag``, ``@sha256:…`` or both, as written."""
    fips: bool = False

    @classmethod
    def parse(cls, image: str) -> "EcrImage | None":
        """The ECR parts of ``image``, or None when it is in another registry."""
        match = _ECR_IMAGE.match(image)
        if match is None:
            return None
        return cls(
            account=match["account"],
            region=match["region"],
            repository=match["repository"],
            reference=match["reference"],
            fips=bool(match["fips"]),
        )

    def in_region(self, region: str) -> "EcrImage":
        """The same repository and reference in ``region``'s registry (its replica)."""
        return EcrImage(self.account, region, self.repository, self.reference, self.fips)

    @property
    def uri(self) -> str:
        fips = "-fips" if self.fips else ""
        return (
            f"{self.account}.dkr.ecr{fips}.{self.region}.{dns_suffix(self.region)}/"
            f"{self.repository}{self.reference}"
        )

    @property
    def repository_arn(self) -> str:
        return (
            f"arn:{partition(self.region)}:ecr:{self.region}:{self.account}:"
            f"repository/{self.repository}"
        )


def ecr_account(registry: str) -> str | None:
    """The account of an ECR private registry, ``host[/prefix]``; None for any other registry."""
    ecr = EcrImage.parse(f"{registry}/any:tag")
    return ecr.account if ecr is not None else None


@dataclass(frozen=True)
class ContainerImage:
    """The image a SageMaker model in one region pulls, and how it reaches it."""

    uri: str
    ecr: EcrImage | None
    """Set when SageMaker pulls from ECR; None for a private registry in the VPC."""


def container_image(
    image: str, region: str, in_vpc: bool, registry: str | None = None
) -> ContainerImage:
    """Where the endpoint in ``region`` pulls ``image`` from: the one aws-image-source rule.

    SageMaker pulls only from ECR in the endpoint's own region, or from a private
    registry reachable in the endpoint's VPC (docs/images.md cites AWS's docs). With a
    ``registry`` the image is the model's repository path and digest under it, and an
    ECR registry must be in ``region``: it says where the image is. Without one, an ECR
    image from another region is pulled from its replica in this region (ECR
    cross-region replication keeps the account, repository name, tags and digests),
    so one model spec serves every region.
    """
    if registry is not None:
        image = resolve(image, registry)
    ecr = EcrImage.parse(image)
    if ecr is not None and (registry is None or ecr.region == region):
        regional = ecr.in_region(region)
        return ContainerImage(regional.uri, regional)
    if ecr is None and in_vpc:
        return ContainerImage(image, None)
    raise SageMakerConfigError(rulebook.AWS_IMAGE_SOURCE.text(image=image, region=region))


@dataclass(frozen=True)
class S3Location:
    """A model artifact in S3."""

    bucket: str
    key: str

    @classmethod
    def parse(cls, uri: str) -> "S3Location":
        match = _S3_URI.match(uri)
        if match is None:
            raise SageMakerConfigError(rulebook.AWS_ARTIFACT_S3.text(uri=uri))
        return cls(match["bucket"], match["key"])

    @property
    def prefix(self) -> str:
        """The folder the artifact is in (``a/b/`` for ``a/b/model.tar.gz``); may be empty."""
        if self.key.endswith("/"):
            return self.key
        folder, sep, _ = self.key.rpartition("/")
        return folder + sep


# --- names ----------------------------------------------------------------------------


def digest(value: Any) -> str:
    """A short, stable digest of a JSON-able value (key order does not matter)."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:DIGEST_CHARS]


def physical_name(base: str, suffix: str = "") -> str:
    """A SageMaker-safe name (letters, digits, ``-``; at most 63) for ``base-suffix``.

    A base too long keeps its start and gains a digest of the whole, so two long bases
    that share a start still get different names.
    """
    clean = _NOT_NAME_CHARS.sub("-", base).strip("-")
    tail = f"-{suffix}" if suffix else ""
    if len(clean) + len(tail) > NAME_LIMIT:
        keep = NAME_LIMIT - len(tail) - 7
        clean = f"{clean[:keep].rstrip('-')}-{digest(clean)[:6]}"
    return clean + tail


def endpoint_name(component_name: str, stack: str) -> str:
    """The endpoint's name: stable for the life of the endpoint, unique per stack.

    It carries the stack because stacks share accounts and regions (staging and
    prod-eu both serve fraud-scorer at aws-frankfurt); the log group, the alarms
    and the role's log permissions are known from it before anything exists.
    """
    return physical_name(f"{component_name}-{stack}")


# --- the execution role ---------------------------------------------------------------


def trust_policy() -> dict[str, Any]:
    """Only SageMaker may assume the execution role."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def log_group_name(endpoint: str) -> str:
    """The log group SageMaker writes an endpoint's container logs to."""
    return f"/aws/sagemaker/Endpoints/{endpoint}"


def execution_policy(
    *,
    region: str,
    endpoint: str,
    image: ContainerImage,
    artifact: S3Location | None,
    kms_key_arn: str | None,
    subnet_ids: Sequence[str],
    security_group_ids: Sequence[str],
) -> dict[str, Any]:
    """The execution role's inline policy: what this one endpoint needs, nothing more.

    Every action is named. Resources are real ARNs except where AWS offers none, each
    such ``*`` explained at its statement.
    """
    part = partition(region)
    statements = _image_statements(image) + _artifact_statements(part, artifact)
    statements += _log_statements(part, region, endpoint)
    if kms_key_arn:
        # Decrypt only: the role reads what the location's key protects (the artifact,
        # when SSE-KMS). It writes nothing encrypted, so no GenerateDataKey; the
        # volume encryption itself runs on grants SageMaker makes for the deployer.
        statements.append(
            {
                "Sid": "DecryptWithLocationKey",
                "Effect": "Allow",
                "Action": ["kms:Decrypt"],
                "Resource": [kms_key_arn],
            }
        )
    if subnet_ids:
        statements += _network_statements(part, region, subnet_ids, security_group_ids)
    return {"Version": "2012-10-17", "Statement": statements}


def _image_statements(image: ContainerImage) -> list[dict[str, Any]]:
    if image.ecr is None:
        return []
    return [
        {
            # GetAuthorizationToken is account-wide: ECR has no resource to scope
            # it to. It is the one "*" outside the VPC statements; the token only
            # works together with the repository statement below.
            "Sid": "EcrLogin",
            "Effect": "Allow",
            "Action": ["ecr:GetAuthorizationToken"],
            "Resource": "*",
        },
        {
            "Sid": "PullImage",
            "Effect": "Allow",
            "Action": [
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
            ],
            "Resource": [image.ecr.repository_arn],
        },
    ]


def _artifact_statements(part: str, artifact: S3Location | None) -> list[dict[str, Any]]:
    if artifact is None:
        return []
    prefix = artifact.prefix
    objects = f"{prefix}*" if prefix else artifact.key
    return [
        {
            "Sid": "ReadArtifact",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": [f"arn:{part}:s3:::{artifact.bucket}/{objects}"],
        },
        {
            "Sid": "ListArtifactPrefix",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": [f"arn:{part}:s3:::{artifact.bucket}"],
            "Condition": {"StringLike": {"s3:prefix": [objects]}},
        },
    ]


def _log_statements(part: str, region: str, endpoint: str) -> list[dict[str, Any]]:
    # The account is "*" in these ARNs: the program knows no account without an API
    # call, and CloudWatch Logs cannot grant another account's log group to this role
    # anyway; partition, region and the endpoint's own group pin it.
    group = f"arn:{part}:logs:{region}:*:log-group:{log_group_name(endpoint)}"
    return [
        {
            "Sid": "WriteLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
            "Resource": [group, f"{group}:log-stream:*"],
        }
    ]


def _network_statements(
    part: str, region: str, subnet_ids: Sequence[str], security_group_ids: Sequence[str]
) -> list[dict[str, Any]]:
    in_region = {"StringEquals": {"aws:RequestedRegion": region}}
    ec2 = f"arn:{part}:ec2:{region}:*"
    return [
        {
            # EC2's Describe* calls have no resource-level permissions: "*" is the
            # only value AWS accepts; the condition keeps them in this region.
            "Sid": "DescribeNetwork",
            "Effect": "Allow",
            "Action": [
                "ec2:DescribeDhcpOptions",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcs",
            ],
            "Resource": "*",
            "Condition": in_region,
        },
        {
            "Sid": "CreateNetworkInterfaces",
            "Effect": "Allow",
            "Action": ["ec2:CreateNetworkInterface"],
            "Resource": [
                *(f"{ec2}:subnet/{subnet}" for subnet in subnet_ids),
                *(f"{ec2}:security-group/{group_id}" for group_id in security_group_ids),
                f"{ec2}:network-interface/*",
            ],
        },
        {
            # The interfaces SageMaker manages do not exist (and have no IDs) when
            # this policy is written, and interface permissions are addressed by
            # their own IDs: "*", held to this region.
            "Sid": "ManageNetworkInterfaces",
            "Effect": "Allow",
            "Action": [
                "ec2:CreateNetworkInterfacePermission",
                "ec2:DeleteNetworkInterface",
                "ec2:DeleteNetworkInterfacePermission",
            ],
            "Resource": "*",
            "Condition": in_region,
        },
    ]


# --- the deployment -------------------------------------------------------------------


def traffic_routing(min_instances: int) -> dict[str, Any]:
    """Blue/green traffic shifting for a fleet of at least ``min_instances``.

    A canary may be at most half the fleet, so one instance goes first when there are
    two or more; a single-instance fleet moves all at once, still watched by the
    alarms for the bake time before the old fleet is released.
    """
    if min_instances >= 2:
        return {
            "type": "CANARY",
            "canary_size": {"type": "INSTANCE_COUNT", "value": 1},
            "wait_interval_in_seconds": BAKE_SECONDS,
        }
    return {"type": "ALL_AT_ONCE", "wait_interval_in_seconds": BAKE_SECONDS}
