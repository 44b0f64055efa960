"""The inputs of an ``aws`` location: the only definition of them (config and component)."""

from collections.abc import Sequence
from typing import NotRequired, TypedDict

import pulumi

from modelfleet.model import ModelArgs


class ServerlessArgs(TypedDict):
    """SageMaker Serverless Inference settings."""

    memory_mb: pulumi.Input[int]
    """Memory per invocation environment, MiB."""
    max_concurrency: pulumi.Input[int]
    """Concurrent invocations."""


class AwsLocationArgs(TypedDict):
    """A SageMaker endpoint in one AWS region."""

    name: str
    """Location name."""
    region: str
    """AWS region; every resource of this location is created there."""
    instance_type: pulumi.Input[str]
    """SageMaker instance type."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """KMS key for the endpoint's storage."""
    subnet_ids: NotRequired[Sequence[pulumi.Input[str]]]
    """Subnets for a VPC endpoint (with security_group_ids)."""
    security_group_ids: NotRequired[Sequence[pulumi.Input[str]]]
    """Security groups for a VPC endpoint."""
    serverless: NotRequired[ServerlessArgs]
    """Serverless Inference instead of instances (plain: no autoscaling then)."""
    registry: NotRequired[str]
    """Registry this location pulls the model image from, host[:port][/prefix]: Amazon ECR
    in the location's region (or, in a VPC, a registry reachable there); the image keeps
    its repository path and digest."""


class SageMakerEndpointArgs(TypedDict):
    """Args of :class:`modelfleet.SageMakerEndpoint`."""

    model: ModelArgs
    """The model to serve."""
    location: AwsLocationArgs
    """The region and its settings; the AWS provider comes from ``opts.provider``."""
