"""Typed component args: the shape every modelfleet component takes.

``TypedDict``s, as Pulumi's multi-language component packages require; field
docstrings become the package schema. Fields typed with a plain type (not
``pulumi.Input``) decide which resources exist — a name, a replica floor, a host
list — so they must be known when the program runs, even at preview.
"""

from collections.abc import Mapping, Sequence
from typing import NotRequired, TypedDict

import pulumi


class ResourcesArgs(TypedDict):
    """Compute one replica or container gets."""

    cpu: pulumi.Input[float]
    """CPU cores."""
    memory_mb: pulumi.Input[int]
    """Memory in MiB."""
    gpus: pulumi.Input[int]
    """GPUs."""


class ScalingArgs(TypedDict):
    """Replica bounds."""

    min: int
    """Replicas always running (plain: a floor of 2 adds a disruption budget)."""
    max: pulumi.Input[int]
    """Upper bound for autoscaling."""


class DataArgs(TypedDict):
    """What the model's data is and where it may be processed."""

    classification: str
    """public, internal, confidential or restricted (plain: it changes the resources)."""
    residency: Sequence[str]
    """Countries or groups (EU, EEA) the data may be processed in."""


class ModelArgs(TypedDict):
    """One model version to serve, with its container contract."""

    name: str
    """Model name, a DNS label; names the resources."""
    version: str
    """Model version (plain: it is in every label and names versioned resources)."""
    image: pulumi.Input[str]
    """Serving image reference; pinned by digest outside dev."""
    artifact: NotRequired[pulumi.Input[str]]
    """Model artifact URI, if the image does not bake the model in."""
    port: pulumi.Input[int]
    """Port the container listens on."""
    host_port: pulumi.Input[int]
    """Port published on edge hosts."""
    health_path: pulumi.Input[str]
    """GET path answering 200 once the model is loaded."""
    invoke_path: pulumi.Input[str]
    """POST path for predictions."""
    env: NotRequired[Mapping[str, pulumi.Input[str]]]
    """Plain environment variables (plain keys: each is a container setting)."""
    secret_env: NotRequired[Mapping[str, pulumi.Input[str]]]
    """Environment variables whose values are secrets (plain keys, secret values)."""
    resources: ResourcesArgs
    """Compute per replica."""
    scaling: ScalingArgs
    """Replica bounds."""
    data: DataArgs
    """Data classification and residency."""


class KubernetesLocationArgs(TypedDict):
    """A namespace on a Kubernetes cluster."""

    name: str
    """Location name."""
    jurisdiction: str
    """Country the cluster is in (ISO 3166-1 alpha-2)."""
    namespace: str
    """Namespace the model runs in."""
    create_namespace: NotRequired[bool]
    """Create the namespace rather than use an existing one."""


class KubernetesEndpointArgs(TypedDict):
    """Args of :class:`modelfleet.kubernetes.KubernetesEndpoint`."""

    model: ModelArgs
    """The model to serve."""
    location: KubernetesLocationArgs
    """Where to serve it. The cluster comes from ``opts.provider``."""


class TlsArgs(TypedDict):
    """Mutual TLS material for a tcp:// Docker host, PEM contents."""

    ca: pulumi.Input[str]
    """CA certificate of the daemon."""
    cert: pulumi.Input[str]
    """Client certificate."""
    key: pulumi.Input[str]
    """Client private key (pass a secret)."""


class EdgeHostArgs(TypedDict):
    """One Docker engine at an edge site."""

    name: str
    """Host name, a DNS label."""
    docker_host: str
    """unix:///path, ssh://user@host or tcp://host:port (tcp needs tls)."""
    wave: int
    """Rollout wave: every host of wave N+1 waits for all of wave N."""
    bind: str
    """Address published ports bind to."""
    port_offset: int
    """Added to the model's host port, for hosts sharing one engine."""
    tls: NotRequired[TlsArgs]
    """Mutual TLS for tcp:// hosts."""


class RegistryAuthArgs(TypedDict):
    """Credentials edge hosts pull the image with."""

    username: pulumi.Input[str]
    """Registry user."""
    password: pulumi.Input[str]
    """Registry password (pass a secret)."""


class EdgeLocationArgs(TypedDict):
    """A site of Docker hosts."""

    name: str
    """Location name."""
    jurisdiction: str
    """Country the site is in (ISO 3166-1 alpha-2)."""
    hosts: Sequence[EdgeHostArgs]
    """The site's Docker engines."""
    registry_auth: NotRequired[RegistryAuthArgs]
    """Pull credentials, when the image is not on the hosts already."""
    health_timeout_s: NotRequired[float]
    """How long a new container may take to answer its health path."""


class EdgeEndpointArgs(TypedDict):
    """Args of :class:`modelfleet.edge.EdgeEndpoint`."""

    model: ModelArgs
    """The model to serve."""
    location: EdgeLocationArgs
    """The site and its hosts."""


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


class SageMakerEndpointArgs(TypedDict):
    """Args of :class:`modelfleet.aws.SageMakerEndpoint`."""

    model: ModelArgs
    """The model to serve."""
    location: AwsLocationArgs
    """The region and its settings; the AWS provider comes from ``opts.provider``."""


class RolloutArgs(TypedDict):
    """Safe rollout: the new version takes a share while the previous one serves."""

    previous_version: NotRequired[str]
    """Version still serving beside the new one (plain: it names a deployment)."""
    canary_percent: pulumi.Input[int]
    """Live traffic share of the new version."""
    mirror_percent: pulumi.Input[int]
    """Share of traffic copied to the new version, at most 50."""


class AzureLocationArgs(TypedDict):
    """An Azure ML workspace."""

    name: str
    """Location name."""
    location: str
    """Azure region."""
    resource_group: pulumi.Input[str]
    """Resource group of the workspace."""
    workspace: pulumi.Input[str]
    """Azure ML workspace name."""
    instance_type: pulumi.Input[str]
    """VM size of the managed deployment."""
    jurisdiction: str
    """Country the deployment runs in (derived, or declared for an Arc compute)."""
    rollout: NotRequired[RolloutArgs]
    """Safe rollout settings."""
    compute: NotRequired[str]
    """Azure ML Kubernetes compute (Arc) to deploy on instead of managed instances."""


class AzureMLEndpointArgs(TypedDict):
    """Args of :class:`modelfleet.azure.AzureMLEndpoint`."""

    model: ModelArgs
    """The model to serve."""
    location: AzureLocationArgs
    """The workspace and its settings; the Azure provider comes from ``opts.provider``."""


class LocationArgs(TypedDict):
    """One location of a :class:`ModelEndpoint`: its kind and that kind's settings."""

    name: str
    """Location name."""
    kind: str
    """aws, azure, kubernetes or edge."""
    jurisdiction: str
    """Country the location is in."""
    aws: NotRequired[AwsLocationArgs]
    """Settings when kind is aws."""
    azure: NotRequired[AzureLocationArgs]
    """Settings when kind is azure."""
    kubernetes: NotRequired[KubernetesLocationArgs]
    """Settings when kind is kubernetes."""
    kubeconfig: NotRequired[pulumi.Input[str]]
    """Kubeconfig contents for kind kubernetes (a secret); or set context."""
    context: NotRequired[str]
    """Kubeconfig context for kind kubernetes."""
    edge: NotRequired[EdgeLocationArgs]
    """Settings when kind is edge."""


class ModelEndpointArgs(TypedDict):
    """Args of :class:`modelfleet.endpoint.ModelEndpoint`."""

    model: ModelArgs
    """The model to serve."""
    locations: Sequence[LocationArgs]
    """Every location the model is placed at."""
