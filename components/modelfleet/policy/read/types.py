"""The resource types the policies look at, and which location kind each belongs to."""

DYNAMIC = "pulumi-python:dynamic:Resource"
"""Type of a Python dynamic resource that names no module and type of its own."""
EDGE_CONTAINER = "pulumi-python:dynamic/edge:EdgeContainer"
"""Type of ``EdgeContainer`` (a dynamic resource declared with module and name)."""
SAGEMAKER_MODEL = "aws:sagemaker/model:Model"
SAGEMAKER_ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
AZURE_ONLINE_ENDPOINT = "azure-native:machinelearningservices:OnlineEndpoint"
AZURE_ONLINE_DEPLOYMENT = "azure-native:machinelearningservices:OnlineDeployment"
AZURE_ENVIRONMENT_VERSION = "azure-native:machinelearningservices:EnvironmentVersion"
K8S_DEPLOYMENT = "kubernetes:apps/v1:Deployment"
K8S_POD = "kubernetes:core/v1:Pod"
K8S_NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
K8S_POD_TEMPLATES = frozenset(
    {K8S_DEPLOYMENT, "kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:DaemonSet"}
)

AZURE_PROPERTY_TAGGED = frozenset(
    {
        "azure-native:machinelearningservices:EnvironmentContainer",
        AZURE_ENVIRONMENT_VERSION,
    }
)
"""Azure ML assets keep their tags inside ``properties``, not beside them."""
TAGGABLE = frozenset(
    {
        SAGEMAKER_MODEL,
        SAGEMAKER_ENDPOINT_CONFIG,
        "aws:sagemaker/endpoint:Endpoint",
        "aws:iam/role:Role",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "aws:appautoscaling/target:Target",
        AZURE_ONLINE_ENDPOINT,
        AZURE_ONLINE_DEPLOYMENT,
        "azure-native:resources:Deployment",
        *AZURE_PROPERTY_TAGGED,
    }
)
"""AWS and Azure types modelfleet makes that take tags (every Kubernetes object and
edge container takes labels)."""
AWS_GLOBAL_PREFIXES = ("aws:iam/",)
"""IAM is global: its resources have no region to judge, whatever their provider's."""
AZURE_LOCATED = frozenset({AZURE_ONLINE_ENDPOINT, AZURE_ONLINE_DEPLOYMENT})
"""Azure types that run a model and must name their region explicitly."""


def is_dynamic(resource_type: str) -> bool:
    """True for any Python dynamic resource: ``dynamic:Resource`` or ``dynamic/<module>:<Name>``."""
    return resource_type == DYNAMIC or resource_type.startswith("pulumi-python:dynamic/")


def kind_of(resource_type: str) -> str | None:
    """The location kind a resource type belongs to; None for providers and components."""
    if resource_type.startswith("aws:"):
        return "aws"
    if resource_type.startswith("azure-native:"):
        return "azure"
    if resource_type.startswith("kubernetes:"):
        return "kubernetes"
    if is_dynamic(resource_type):
        return "edge"
    return None
