"""Validation args by hand, shaped like what the engine sends, and a recording run.

Properties go through pulumi-policy's own ``unknown_checking_proxy``, as the engine's
do, so a value left as :data:`UNKNOWN` behaves as it does in a preview. The
``*_resources`` builders make the resources a target makes for one model at one
location from the same parsed stack config ``modelfleet plan`` reads, so the residency
tests can put every case to both.
"""

import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from modelfleet.config import (
    AnyLocation,
    AwsLocation,
    AzureLocation,
    EdgeLocation,
    KubernetesLocation,
    ModelSpec,
)
from modelfleet.labels import azure_tags, labels
from modelfleet.policy.pack import BY_NAME
from modelfleet.policy.read.types import EDGE_CONTAINER
from modelfleet.stackfile import parse

CONFIG_DIR = Path(__file__).resolve().parents[2] / "policies" / "config"
"""The policy config files shipped with the pack (``dev.json``, ``prod.json``)."""
UNKNOWN = UNKNOWN_STRING_VALUE
"""What the engine sends for a string it does not know yet (a preview)."""
STACK = "test"
PROJECT = "modelfleet"
COMPONENTS = {
    "aws": "modelfleet:aws:SageMakerEndpoint",
    "azure": "modelfleet:azure:AzureMLEndpoint",
    "kubernetes": "modelfleet:kubernetes:KubernetesEndpoint",
    "edge": "modelfleet:edge:EdgeEndpoint",
}
DIGEST = "sha256:" + "ab" * 32
IMAGE = f"111122223333.dkr.ecr.eu-central-1.amazonaws.com/ml/fraud-scorer@{DIGEST}"


def urn(resource_type: str, name: str, parents: Sequence[str] = ()) -> str:
    """A URN as the engine makes it: the parents' types joined by ``$`` before the type."""
    return f"urn:pulumi:{STACK}::{PROJECT}::{'$'.join([*parents, resource_type])}::{name}"


def options(parent: str | None = None) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=False,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=parent,
    )


def provider(
    package: str, props: Mapping[str, Any], name: str = "default"
) -> PolicyProviderResource:
    resource_type = f"pulumi:providers:{package}"
    return PolicyProviderResource(
        resource_type,
        unknown_checking_proxy(copy.deepcopy(dict(props))),
        urn(resource_type, name),
        name,
    )


@dataclass
class Spec:
    """One resource, before it becomes validation args: plain props, so tests can edit them."""

    type: str
    name: str
    props: dict[str, Any]
    parents: tuple[str, ...] = ()
    parent: str | None = None
    provider: PolicyProviderResource | None = None

    def __post_init__(self) -> None:
        self.props = copy.deepcopy(self.props)  # builders share dicts; tests edit one spec

    @property
    def urn(self) -> str:
        return urn(self.type, self.name, self.parents)

    def resource_args(self, config: Mapping[str, Any] | None = None) -> ResourceValidationArgs:
        return ResourceValidationArgs(
            self.type,
            unknown_checking_proxy(copy.deepcopy(self.props)),
            self.urn,
            self.name,
            options(self.parent),
            self.provider,
            config,
        )

    def policy_resource(self) -> PolicyResource:
        return PolicyResource(
            self.type,
            unknown_checking_proxy(copy.deepcopy(self.props)),
            self.urn,
            self.name,
            options(self.parent),
            self.provider,
            None,
            [],
            {},
        )


def stack_args(
    specs: Sequence[Spec], config: Mapping[str, Any] | None = None
) -> StackValidationArgs:
    """Stack args whose resources know their parents, as the engine links them."""
    resources = [spec.policy_resource() for spec in specs]
    by_urn = {r.urn: r for r in resources}
    for resource in resources:
        if resource.opts.parent in by_urn:
            resource.parent = by_urn[resource.opts.parent]
    return StackValidationArgs(resources, config)


@dataclass
class Outcome:
    """What one policy reported: violations (message, urn), and its preview note if any."""

    violations: list[tuple[str, str | None]] = field(default_factory=list)
    preview: str | None = None

    @property
    def messages(self) -> list[str]:
        return [message for message, _ in self.violations]


def run(policy_name: str, args: ResourceValidationArgs | StackValidationArgs) -> Outcome:
    """Validate ``args`` with one policy, recording what it reports as the engine would."""
    outcome = Outcome()
    policy = BY_NAME[policy_name]

    def report_violation(message: str, urn: str | None = None) -> None:
        outcome.violations.append((message, urn))

    try:
        policy.validate(args, report_violation)  # type: ignore[arg-type]
    except UnknownValueError as error:  # the engine: an advisory note with this message
        outcome.preview = error.message
    return outcome


# --- what each target makes, by hand ----------------------------------------------------


def model_args(name: str, spec: ModelSpec) -> dict[str, Any]:
    """The part of a model's component args that labels are made from."""
    return {
        "name": name,
        "version": spec.version,
        "data": {
            "classification": spec.data.classification.value,
            "residency": list(spec.data.residency),
        },
    }


def aws_resources(model: str, spec: ModelSpec, location: str, aws: AwsLocation) -> list[Spec]:
    """A SageMaker model, endpoint configuration and endpoint, on the location's provider."""
    component = f"{model}-{location}"
    parents = ("modelfleet:index:ModelEndpoint", COMPONENTS["aws"])
    parent = urn(COMPONENTS["aws"], component, parents[:1])
    tags = labels(model_args(model, spec), location, aws.jurisdiction)  # type: ignore[arg-type]
    region = provider("aws", {"region": aws.region}, f"{component}-provider")
    model_props: dict[str, Any] = {
        "name": f"{component}-model",
        "executionRoleArn": "arn:aws:iam::111122223333:role/sagemaker",
        "primaryContainer": {"image": spec.image, "environment": {"MODEL_NAME": model}},
        "enableNetworkIsolation": spec.data.classification.value == "restricted",
        "tags": tags,
    }
    if aws.subnet_ids:
        model_props["vpcConfig"] = {
            "subnets": list(aws.subnet_ids),
            "securityGroupIds": list(aws.security_group_ids),
        }
    config_props: dict[str, Any] = {
        "name": f"{component}-config",
        "productionVariants": [{"variantName": "primary", "instanceType": aws.instance_type}],
        "tags": tags,
    }
    if aws.kms_key_arn:
        config_props["kmsKeyArn"] = aws.kms_key_arn
    common = {"parents": parents, "parent": parent, "provider": region}
    return [
        Spec("aws:sagemaker/model:Model", f"{component}-model", model_props, **common),  # type: ignore[arg-type]
        Spec(
            "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
            f"{component}-config",
            config_props,
            **common,  # type: ignore[arg-type]
        ),
        Spec(
            "aws:sagemaker/endpoint:Endpoint",
            f"{component}-endpoint",
            {"name": component, "endpointConfigName": f"{component}-config", "tags": tags},
            **common,  # type: ignore[arg-type]
        ),
    ]


def azure_resources(model: str, spec: ModelSpec, location: str, azure: AzureLocation) -> list[Spec]:
    """An online endpoint and its deployment, managed or on an Arc compute."""
    component = f"{model}-{location}"
    parents = ("modelfleet:index:ModelEndpoint", COMPONENTS["azure"])
    parent = urn(COMPONENTS["azure"], component, parents[:1])
    tags = azure_tags(model_args(model, spec), location, azure.jurisdiction)  # type: ignore[arg-type]
    sensitive = spec.data.classification.value in {"confidential", "restricted"}
    endpoint: dict[str, Any] = {"authMode": "Key"}
    if azure.compute:
        endpoint["compute"] = (
            f"/subscriptions/0/resourceGroups/{azure.resource_group}/providers/Microsoft.MachineLearningServices/workspaces/{azure.workspace}/computes/{azure.compute}"
        )
    else:
        endpoint["publicNetworkAccess"] = "Disabled" if sensitive else "Enabled"
    compute_type = "Kubernetes" if azure.compute else "Managed"
    return [
        Spec(
            "azure-native:machinelearningservices:OnlineEndpoint",
            f"{component}-endpoint",
            {"location": azure.location, "properties": endpoint, "tags": tags},
            parents,
            parent,
        ),
        Spec(
            "azure-native:machinelearningservices:OnlineDeployment",
            f"{component}-v1",
            {
                "location": azure.location,
                "properties": {"endpointComputeType": compute_type},
                "tags": tags,
            },
            parents,
            parent,
        ),
    ]


def pod_spec(image: str) -> dict[str, Any]:
    """A pod spec as KubernetesEndpoint writes it: hardened, limited, no host access."""
    return {
        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001},
        "containers": [
            {
                "name": "model",
                "image": image,
                "resources": {
                    "requests": {"cpu": "500m", "memory": "1024Mi"},
                    "limits": {"cpu": "500m", "memory": "1024Mi"},
                },
                "securityContext": {
                    "runAsNonRoot": True,
                    "readOnlyRootFilesystem": True,
                    "allowPrivilegeEscalation": False,
                    "privileged": False,
                    "capabilities": {"drop": ["ALL"]},
                },
            }
        ],
        "volumes": [{"name": "tmp", "emptyDir": {"medium": "Memory"}}],
    }


def kubernetes_resources(
    model: str, spec: ModelSpec, location: str, cluster: KubernetesLocation
) -> list[Spec]:
    """A Deployment, its Service and its NetworkPolicy, on the location's cluster."""
    component = f"{model}-{location}"
    parents = ("modelfleet:index:ModelEndpoint", COMPONENTS["kubernetes"])
    parent = urn(COMPONENTS["kubernetes"], component, parents[:1])
    common_labels = labels(model_args(model, spec), location, cluster.jurisdiction)  # type: ignore[arg-type]
    metadata = {"name": model, "namespace": cluster.namespace, "labels": common_labels}
    selector = {"modelfleet/model": model}
    k8s = provider(
        "kubernetes", {"context": cluster.context or "kubeconfig"}, f"{component}-provider"
    )
    common: dict[str, Any] = {"parents": parents, "parent": parent, "provider": k8s}
    return [
        Spec(
            "kubernetes:apps/v1:Deployment",
            f"{component}-deployment",
            {
                "metadata": metadata,
                "spec": {
                    "selector": {"matchLabels": selector},
                    "template": {
                        "metadata": {"labels": common_labels},
                        "spec": pod_spec(spec.image),
                    },
                },
            },
            **common,
        ),
        Spec(
            "kubernetes:core/v1:Service",
            f"{component}-service",
            {"metadata": metadata, "spec": {"type": "ClusterIP", "selector": selector}},
            **common,
        ),
        Spec(
            "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            f"{component}-networkpolicy",
            {
                "metadata": metadata,
                "spec": {
                    "podSelector": {"matchLabels": selector},
                    "policyTypes": ["Ingress", "Egress"],
                },
            },
            **common,
        ),
    ]


def edge_resources(model: str, spec: ModelSpec, location: str, site: EdgeLocation) -> list[Spec]:
    """One EdgeContainer per host, with the inputs EdgeEndpoint gives it."""
    component = f"{model}-{location}"
    parents = ("modelfleet:index:ModelEndpoint", COMPONENTS["edge"])
    parent = urn(COMPONENTS["edge"], component, parents[:1])
    common_labels = labels(model_args(model, spec), location, site.jurisdiction)  # type: ignore[arg-type]
    specs = []
    for host in site.hosts:
        props: dict[str, Any] = {
            "docker_host": host.docker_host,
            "host": host.name,
            "location": location,
            "image": spec.image,
            "model": model,
            "version": spec.version,
            "bind": host.bind,
            "read_only": True,
            "privileged": False,
            "network_mode": "bridge",
            "labels": {**common_labels, "modelfleet/host": host.name},
        }
        if host.tls is not None:
            props["tls"] = {"ca": host.tls.ca, "cert": host.tls.cert, "key": "-----BEGIN KEY-----"}
        specs.append(Spec(EDGE_CONTAINER, f"{component}-{host.name}", props, parents, parent))
    return specs


def resources_for(model: str, spec: ModelSpec, location: str, where: AnyLocation) -> list[Spec]:
    """What the target of ``where``'s kind makes for ``model`` there."""
    if isinstance(where, AwsLocation):
        return aws_resources(model, spec, location, where)
    if isinstance(where, AzureLocation):
        return azure_resources(model, spec, location, where)
    if isinstance(where, KubernetesLocation):
        return kubernetes_resources(model, spec, location, where)
    return edge_resources(model, spec, location, where)


def stack_config(
    model_data: Mapping[str, Any],
    location: str,
    where: Mapping[str, Any],
    image: str = IMAGE,
    model: str = "fraud-scorer",
) -> dict[str, Any]:
    """A one-model, one-location stack config (the three ``modelfleet:`` maps)."""
    return {
        "models": {model: {"version": "1.4.0", "image": image, "data": dict(model_data)}},
        "locations": {location: dict(where)},
        "placements": {model: [location]},
    }


def specs_for(raw: Mapping[str, Any]) -> list[Spec]:
    """The resources every placement of a stack config becomes, target by target."""
    config = parse(raw)
    return [
        spec
        for model, locations in config.placements.items()
        for location in locations
        for spec in resources_for(model, config.models[model], location, config.locations[location])
    ]


# --- one model placed at one location of each kind -------------------------------------

PLACED_AT: dict[str, dict[str, Any]] = {
    "kubernetes": {
        "kind": "kubernetes",
        "jurisdiction": "DE",
        "context": "c",
        "namespace": "models",
    },
    "aws": {  # in a VPC, where SageMaker may pull from any registry it reaches
        "kind": "aws",
        "region": "eu-central-1",
        "subnet_ids": ["subnet-0a1b"],
        "security_group_ids": ["sg-0a1b"],
    },
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
"""One location of each kind, named ``here`` by :func:`placed`."""


def placed(kind: str, image: str = IMAGE, classification: str = "internal") -> dict[str, Spec]:
    """The resources, by name, of one model placed at the location of ``kind``."""
    raw = stack_config(
        {"classification": classification, "residency": ["EU"]}, "here", PLACED_AT[kind], image
    )
    return {spec.name: spec for spec in specs_for(raw)}


def config_file(name: str) -> dict[str, Any]:
    """A shipped policy config file, parsed."""
    return json.loads((CONFIG_DIR / f"{name}.json").read_text(encoding="utf-8"))
