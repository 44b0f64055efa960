"""``SageMakerEndpoint``: a model served by a SageMaker real-time endpoint in one region.

SageMaker models and endpoint configurations are immutable, so every change creates
new ones under new names (a digest of their inputs) while the endpoint — whose name
never changes — keeps serving the old configuration until a blue/green deployment has
moved traffic over, watched by two alarms that roll it back. The decisions (names,
the IAM policy, the image and artifact locations) are pure functions below, tested
without mocks; the component only wires resources.
"""

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from modelfleet import jurisdictions
from modelfleet.args import AwsLocationArgs, ModelArgs, SageMakerEndpointArgs
from modelfleet.labels import labels

RESOURCE_TYPE = "modelfleet:aws:SageMakerEndpoint"

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


class SageMakerConfigError(ValueError):
    """A model or location SageMaker cannot serve as given; the message says what to change."""


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


@dataclass(frozen=True)
class ContainerImage:
    """The image a SageMaker model in one region pulls, and how it reaches it."""

    uri: str
    ecr: EcrImage | None
    """Set when SageMaker pulls from ECR; None for a private registry in the VPC."""


def container_image(image: str, region: str, in_vpc: bool) -> ContainerImage:
    """Where the endpoint in ``region`` pulls ``image`` from.

    SageMaker pulls only from ECR in the endpoint's own region, or from a private
    registry reachable in the endpoint's VPC. An ECR image from another region is
    pulled from its replica in this region (ECR cross-region replication keeps the
    account, repository name, tags and digests), so one model spec serves every region.
    """
    ecr = EcrImage.parse(image)
    if ecr is not None:
        regional = ecr.in_region(region)
        return ContainerImage(regional.uri, regional)
    if in_vpc:
        return ContainerImage(image, None)
    raise SageMakerConfigError(
        f"image {image!r}: SageMaker pulls from Amazon ECR "
        "(<account>.dkr.ecr.<region>.amazonaws.com/<repository>) or, for an endpoint in a "
        "VPC (subnet_ids and security_group_ids), from a private registry reachable there"
    )


@dataclass(frozen=True)
class S3Location:
    """A model artifact in S3."""

    bucket: str
    key: str

    @classmethod
    def parse(cls, uri: str) -> "S3Location":
        match = _S3_URI.match(uri)
        if match is None:
            raise SageMakerConfigError(
                f"artifact {uri!r}: SageMaker loads model artifacts from S3 only "
                "(s3://<bucket>/<key>, in the endpoint's region)"
            )
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
    statements: list[dict[str, Any]] = []
    if image.ecr is not None:
        statements += [
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
    if artifact is not None:
        prefix = artifact.prefix
        objects = f"{prefix}*" if prefix else artifact.key
        statements += [
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
    # The account is "*" in these ARNs: the program knows no account without an API
    # call, and CloudWatch Logs cannot grant another account's log group to this role
    # anyway; partition, region and the endpoint's own group pin it.
    group = f"arn:{part}:logs:{region}:*:log-group:{log_group_name(endpoint)}"
    statements.append(
        {
            "Sid": "WriteLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
            "Resource": [group, f"{group}:log-stream:*"],
        }
    )
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
        in_region = {"StringEquals": {"aws:RequestedRegion": region}}
        ec2 = f"arn:{part}:ec2:{region}:*"
        statements += [
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
    return {"Version": "2012-10-17", "Statement": statements}


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


def check_contract(model: ModelArgs) -> None:
    """SageMaker talks to the container on port 8080 at ``/ping`` and ``/invocations``."""
    contract: list[tuple[str, object, object]] = [
        ("port", model["port"], SAGEMAKER_PORT),
        ("health_path", model["health_path"], SAGEMAKER_HEALTH_PATH),
        ("invoke_path", model["invoke_path"], SAGEMAKER_INVOKE_PATH),
    ]
    for key, given, value in contract:
        if isinstance(given, int | str) and given != value:
            raise SageMakerConfigError(
                f"model {model['name']!r}: {key} is {given!r}, but SageMaker only calls "
                f"{value!r} (its hosting contract: port 8080, GET /ping, POST /invocations)"
            )


def check_location(location: AwsLocationArgs) -> None:
    """Settings SageMaker would refuse only after the deployer waited for it."""
    subnets = bool(location.get("subnet_ids"))
    groups = bool(location.get("security_group_ids"))
    if subnets != groups:
        raise SageMakerConfigError(
            f"location {location['name']!r}: set both subnet_ids and security_group_ids "
            "for an endpoint in a VPC, or neither"
        )
    if subnets and "serverless" in location:
        raise SageMakerConfigError(
            f"location {location['name']!r}: Serverless Inference cannot run in a VPC; "
            "remove serverless, or subnet_ids and security_group_ids"
        )
    if location["region"] not in jurisdictions.AWS_REGIONS:
        raise SageMakerConfigError(
            f"location {location['name']!r}: unknown AWS region {location['region']!r}"
        )


def _aws_provider(opts: pulumi.ResourceOptions | None) -> pulumi.ProviderResource | None:
    if opts is None:
        return None
    if opts.provider is not None and opts.provider.package == "aws":
        return opts.provider
    providers = opts.providers
    if isinstance(providers, Mapping):
        return providers.get("aws")
    return next((p for p in providers or [] if p.package == "aws"), None)


def _environment(model: ModelArgs) -> dict[str, pulumi.Input[str]] | pulumi.Output[Any]:
    fixed: dict[str, pulumi.Input[str]] = {
        "MODEL_NAME": model["name"],
        "MODEL_VERSION": model["version"],
    }
    env, secret_env = model.get("env", {}), model.get("secret_env", {})
    if isinstance(env, Mapping) and isinstance(secret_env, Mapping):
        return {**fixed, **env, **secret_env}
    return pulumi.Output.all(env, secret_env).apply(lambda p: {**fixed, **p[0], **p[1]})


def _named(base: str, spec: Mapping[str, Any]) -> pulumi.Output[str]:
    """``base-<digest of spec>``: any change to an immutable resource's inputs renames it.

    A digest over secret inputs (secret_env) is itself kept a secret.
    """
    return pulumi.Output.from_input(dict(spec)).apply(lambda s: physical_name(base, digest(s)))


class SageMakerEndpoint(pulumi.ComponentResource):
    """A model on a SageMaker real-time (or serverless) endpoint, rolled out blue/green.

    Example
    -------
    >>> SageMakerEndpoint("fraud-frankfurt", {"model": model, "location": frankfurt},
    ...                   pulumi.ResourceOptions(provider=aws.Provider("fra", region="eu-central-1")))
    """

    url: pulumi.Output[str]
    """Invoke URL of the SageMaker runtime (requests are SigV4-signed)."""
    endpoint_name: pulumi.Output[str]
    """Name of the endpoint; it stays the same across model versions."""
    arn: pulumi.Output[str]
    """ARN of the endpoint."""

    def __init__(
        self, name: str, args: SageMakerEndpointArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(RESOURCE_TYPE, name, {}, opts)
        model, location = args["model"], args["location"]
        check_contract(model)
        check_location(location)
        region = location["region"]
        subnet_ids = list(location.get("subnet_ids", []))
        security_group_ids = list(location.get("security_group_ids", []))
        in_vpc = bool(subnet_ids)
        serverless = location.get("serverless")
        # Plain values fail here, with the message alone; outputs fail in their apply.
        if isinstance(model["image"], str):
            container_image(model["image"], region, in_vpc)
        if isinstance(artifact_uri := model.get("artifact"), str):
            S3Location.parse(artifact_uri)

        # The region lives on one provider per location, not on each resource (v7's
        # per-resource `region`): one place holds the location's region and, later,
        # its account and credentials; the IAM role (global) is made with the same
        # credentials; and the policy pack reads the region off each resource's
        # provider. Used on its own without an AWS provider, the component makes one,
        # so the region can never come from the ambient AWS config.
        provider = _aws_provider(opts) or aws.Provider(
            f"{name}-provider", region=region, opts=pulumi.ResourceOptions(parent=self)
        )
        self.provider = provider

        def child(**extra: Any) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(parent=self, provider=provider, **extra)

        physical = endpoint_name(name, pulumi.get_stack())
        tags = labels(model, location["name"], jurisdictions.AWS_REGIONS[region])
        image = pulumi.Output.from_input(model["image"]).apply(
            lambda i: container_image(i, region, in_vpc)
        )
        artifact = pulumi.Output.from_input(model.get("artifact")).apply(
            lambda a: S3Location.parse(a) if a else None
        )

        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=log_group_name(physical),
            retention_in_days=LOG_RETENTION_DAYS,
            tags=tags,
            opts=child(),
        )
        role = aws.iam.Role(
            f"{name}-role",
            description=f"SageMaker execution role of endpoint {physical}",
            assume_role_policy=json.dumps(trust_policy()),
            tags=tags,
            opts=child(),
        )
        policy = aws.iam.RolePolicy(
            f"{name}-role-policy",
            role=role.id,
            policy=pulumi.Output.all(
                image=image,
                artifact=artifact,
                kms=location.get("kms_key_arn"),
                subnets=subnet_ids,
                groups=security_group_ids,
            ).apply(
                lambda v: json.dumps(
                    execution_policy(
                        region=region,
                        endpoint=physical,
                        image=v["image"],
                        artifact=v["artifact"],
                        kms_key_arn=v["kms"],
                        subnet_ids=v["subnets"],
                        security_group_ids=v["groups"],
                    ),
                    indent=2,
                )
            ),
            opts=child(),
        )

        container: dict[str, Any] = {
            "image": image.apply(lambda i: i.uri),
            "environment": _environment(model),
        }
        if "artifact" in model:
            container["model_data_url"] = model["artifact"]
        if in_vpc:
            # Platform (ECR) is SageMaker's default; Vpc pulls from a registry in the VPC.
            container["image_config"] = image.apply(
                lambda i: {"repository_access_mode": "Platform" if i.ecr else "Vpc"}
            )
        model_spec: dict[str, Any] = {
            "execution_role_arn": role.arn,
            "primary_container": container,
            # Restricted data: the container may not open a connection to anything.
            "enable_network_isolation": model["data"]["classification"] == "restricted",
        }
        if in_vpc:
            model_spec["vpc_config"] = {
                "subnets": subnet_ids,
                "security_group_ids": security_group_ids,
            }
        # SageMaker models and endpoint configurations cannot change: every change is
        # a replacement. Their names are a digest of their inputs, so a replacement
        # gets a new name and is created before the old one is deleted, and the
        # endpoint (same name, new configuration name) is updated in place.
        sm_model = aws.sagemaker.Model(
            f"{name}-model",
            name=_named(physical, model_spec),
            tags=tags,
            # The role must hold its permissions before SageMaker validates the model.
            opts=child(depends_on=[policy]),
            **model_spec,
        )

        variant: dict[str, Any] = {"variant_name": VARIANT, "model_name": sm_model.name}
        if serverless is not None:
            variant["serverless_config"] = {
                "memory_size_in_mb": serverless["memory_mb"],
                "max_concurrency": serverless["max_concurrency"],
            }
        else:
            variant["instance_type"] = location["instance_type"]
            variant["initial_instance_count"] = model["scaling"]["min"]
        config_spec: dict[str, Any] = {"production_variants": [variant]}
        if location.get("kms_key_arn"):
            config_spec["kms_key_arn"] = location["kms_key_arn"]
        config = aws.sagemaker.EndpointConfiguration(
            f"{name}-config",
            name=_named(physical, config_spec),
            tags=tags,
            opts=child(),
            **config_spec,
        )

        deployment: dict[str, Any] | None = None
        if serverless is None:
            alarms = self._rollback_alarms(name, physical, tags, child)
            deployment = {
                "blue_green_update_policy": {
                    "traffic_routing_configuration": traffic_routing(model["scaling"]["min"]),
                    "termination_wait_in_seconds": BAKE_SECONDS,
                },
                "auto_rollback_configuration": {
                    "alarms": [{"alarm_name": alarm.name} for alarm in alarms]
                },
            }
        # No deployment_config for serverless: canaries are a share of an instance
        # fleet, which a serverless variant does not have (SageMaker refuses it); an
        # update still starts the new configuration before the old one stops serving.
        endpoint = aws.sagemaker.Endpoint(
            f"{name}-endpoint",
            name=physical,
            endpoint_config_name=config.name,
            deployment_config=deployment,
            tags=tags,
            opts=child(depends_on=[log_group]),
        )

        if serverless is None:
            target = aws.appautoscaling.Target(
                f"{name}-scaling-target",
                service_namespace="sagemaker",
                resource_id=pulumi.Output.concat("endpoint/", endpoint.name, f"/variant/{VARIANT}"),
                scalable_dimension="sagemaker:variant:DesiredInstanceCount",
                min_capacity=model["scaling"]["min"],
                max_capacity=model["scaling"]["max"],
                tags=tags,
                opts=child(depends_on=[endpoint]),
            )
            aws.appautoscaling.Policy(
                f"{name}-scaling-policy",
                policy_type="TargetTrackingScaling",
                service_namespace=target.service_namespace,
                resource_id=target.resource_id,
                scalable_dimension=target.scalable_dimension,
                target_tracking_scaling_policy_configuration={
                    "target_value": INVOCATIONS_PER_INSTANCE,
                    "predefined_metric_specification": {
                        "predefined_metric_type": "SageMakerVariantInvocationsPerInstance"
                    },
                    "scale_in_cooldown": 300,
                    "scale_out_cooldown": 60,
                },
                opts=child(),
            )

        self.endpoint_name = endpoint.name
        self.arn = endpoint.arn
        self.url = endpoint.name.apply(lambda n: invoke_url(region, n))
        self.register_outputs(
            {"url": self.url, "endpoint_name": self.endpoint_name, "arn": self.arn}
        )

    @staticmethod
    def _rollback_alarms(
        name: str, endpoint: str, tags: dict[str, str], child: Callable[[], pulumi.ResourceOptions]
    ) -> list[aws.cloudwatch.MetricAlarm]:
        """Errors and latency of the endpoint's variant; either one rolls a deployment back."""
        common: dict[str, Any] = {
            "namespace": "AWS/SageMaker",
            "dimensions": {"EndpointName": endpoint, "VariantName": VARIANT},
            "comparison_operator": "GreaterThanOrEqualToThreshold",
            "period": 60,
            # No traffic is no evidence against the new version.
            "treat_missing_data": "notBreaching",
            "tags": tags,
            "opts": child(),
        }
        errors = aws.cloudwatch.MetricAlarm(
            f"{name}-alarm-5xx",
            name=physical_name(endpoint, "5xx"),
            alarm_description=f"Server errors of SageMaker endpoint {endpoint}; rolls back a deployment.",
            metric_name="Invocation5XXErrors",
            statistic="Sum",
            threshold=1,
            evaluation_periods=2,
            datapoints_to_alarm=2,
            **common,
        )
        latency = aws.cloudwatch.MetricAlarm(
            f"{name}-alarm-latency",
            name=physical_name(endpoint, "latency"),
            alarm_description=f"p99 model latency of SageMaker endpoint {endpoint}; rolls back a deployment.",
            metric_name="ModelLatency",
            extended_statistic="p99",
            threshold=LATENCY_P99_MICROSECONDS,
            evaluation_periods=3,
            datapoints_to_alarm=2,
            **common,
        )
        return [errors, latency]
