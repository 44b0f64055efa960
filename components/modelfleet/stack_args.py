"""From validated stack config to component args: the only place the two meet.

Secret config values become ``pulumi.Output.secret`` here, so they stay secrets in
state and logs from the first moment a component sees them.
"""

import pulumi

from modelfleet.args import (
    AwsLocationArgs,
    AzureLocationArgs,
    EdgeHostArgs,
    EdgeLocationArgs,
    KubernetesLocationArgs,
    LocationArgs,
    ModelArgs,
    ModelEndpointArgs,
)
from modelfleet.config import (
    AnyLocation,
    AwsLocation,
    AzureLocation,
    EdgeHost,
    EdgeLocation,
    KubernetesLocation,
    ModelSpec,
    Secret,
    StackConfig,
)


def secret_output(value: Secret) -> pulumi.Output[str]:
    """The plain text of a secret config value, wrapped as a Pulumi secret."""
    if value.plaintext is None:
        raise ValueError("an encrypted config value reached the program undecrypted")
    return pulumi.Output.secret(value.plaintext)


def model_args(name: str, spec: ModelSpec) -> ModelArgs:
    """Component args for one model of the stack config."""
    args: ModelArgs = {
        "name": name,
        "version": spec.version,
        "image": spec.image,
        "port": spec.port,
        "host_port": spec.published_port,
        "health_path": spec.health_path,
        "invoke_path": spec.invoke_path,
        "env": dict(spec.env),
        "resources": {
            "cpu": spec.resources.cpu,
            "memory_mb": spec.resources.memory_mb,
            "gpus": spec.resources.gpus,
        },
        "scaling": {"min": spec.scaling.min, "max": spec.scaling.max},
        "data": {
            "classification": spec.data.classification.value,
            "residency": list(spec.data.residency),
        },
    }
    if spec.artifact is not None:
        args["artifact"] = spec.artifact
    if spec.secret_env:
        args["secret_env"] = {key: secret_output(value) for key, value in spec.secret_env.items()}
    return args


def _edge_host_args(host: EdgeHost) -> EdgeHostArgs:
    args: EdgeHostArgs = {
        "name": host.name,
        "docker_host": host.docker_host,
        "wave": host.wave,
        "bind": host.bind,
        "port_offset": host.port_offset,
    }
    if host.tls is not None:
        args["tls"] = {"ca": host.tls.ca, "cert": host.tls.cert, "key": secret_output(host.tls.key)}
    return args


def location_args(name: str, location: AnyLocation) -> LocationArgs:
    """Component args for one location, keyed by its kind."""
    args: LocationArgs = {
        "name": name,
        "kind": location.kind,
        "jurisdiction": location.jurisdiction,
    }
    if isinstance(location, AwsLocation):
        aws: AwsLocationArgs = {
            "name": name,
            "region": location.region,
            "instance_type": location.instance_type,
            "subnet_ids": list(location.subnet_ids),
            "security_group_ids": list(location.security_group_ids),
        }
        if location.kms_key_arn is not None:
            aws["kms_key_arn"] = location.kms_key_arn
        if location.serverless is not None:
            aws["serverless"] = {
                "memory_mb": location.serverless.memory_mb,
                "max_concurrency": location.serverless.max_concurrency,
            }
        args["aws"] = aws
    elif isinstance(location, AzureLocation):
        azure: AzureLocationArgs = {
            "name": name,
            "location": location.location,
            "resource_group": location.resource_group,
            "workspace": location.workspace,
            "instance_type": location.instance_type,
            "jurisdiction": location.jurisdiction,
        }
        if location.rollout is not None:
            azure["rollout"] = {
                "canary_percent": location.rollout.canary_percent,
                "mirror_percent": location.rollout.mirror_percent,
            }
            if location.rollout.previous_version is not None:
                azure["rollout"]["previous_version"] = location.rollout.previous_version
        if location.compute is not None:
            azure["compute"] = location.compute
        args["azure"] = azure
    elif isinstance(location, KubernetesLocation):
        kubernetes: KubernetesLocationArgs = {
            "name": name,
            "jurisdiction": location.jurisdiction,
            "namespace": location.namespace,
            "create_namespace": location.create_namespace,
        }
        args["kubernetes"] = kubernetes
        if location.kubeconfig is not None:
            args["kubeconfig"] = secret_output(location.kubeconfig)
        if location.context is not None:
            args["context"] = location.context
    elif isinstance(location, EdgeLocation):
        edge: EdgeLocationArgs = {
            "name": name,
            "jurisdiction": location.jurisdiction,
            "hosts": [_edge_host_args(host) for host in location.hosts],
            "health_timeout_s": location.health_timeout_s,
        }
        if location.registry_auth is not None:
            edge["registry_auth"] = {
                "username": location.registry_auth.username,
                "password": secret_output(location.registry_auth.password),
            }
        args["edge"] = edge
    return args


def endpoint_args(config: StackConfig) -> dict[str, ModelEndpointArgs]:
    """One :class:`ModelEndpoint`'s args per placed model, in config order."""
    return {
        model_name: {
            "model": model_args(model_name, config.models[model_name]),
            "locations": [location_args(n, config.locations[n]) for n in location_names],
        }
        for model_name, location_names in config.placements.items()
    }
