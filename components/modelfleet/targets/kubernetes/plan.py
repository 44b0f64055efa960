"""Kubernetes manifests as pure functions: the container, the pod, scaling and the fence.

Hardened by default (non-root, read-only root filesystem, no capabilities, no
service-account token) because the same manifests must pass the policy pack for
restricted data.
"""

import base64
import json
from collections.abc import Mapping
from typing import Any

import pulumi

from modelfleet import contract
from modelfleet.images.reference import ImageRef
from modelfleet.model import ModelArgs

RUN_AS_USER = 10001
"""A UID no base image maps to root; the serving image's own user may differ."""
CPU_TARGET_PERCENT = 70
"""The HPA's target: average CPU utilisation of the pods."""
HARDENED_CONTAINER: dict[str, Any] = {
    "run_as_non_root": True,
    "read_only_root_filesystem": True,
    "allow_privilege_escalation": False,
    "privileged": False,
    "capabilities": {"drop": ["ALL"]},
}
"""Every container modelfleet runs on a cluster: what Pod Security's `restricted` level asks."""


def pod_security(run_as_user: int) -> dict[str, Any]:
    """The pod-level half of `restricted`: a non-root user and the runtime's seccomp profile."""
    return {
        "run_as_non_root": True,
        "run_as_user": run_as_user,
        "seccomp_profile": {"type": "RuntimeDefault"},
    }


def resources(model: ModelArgs) -> dict[str, Any]:
    """Requests equal to limits: the contract's compute in Kubernetes quantities."""
    limits = contract.quantities(model["resources"], gpu_key=contract.GPU_RESOURCE)
    return {"requests": dict(limits), "limits": limits}


def probe(model: ModelArgs, initial_delay: int, period: int) -> dict[str, Any]:
    """An HTTP probe on the contract's health path."""
    return {
        "http_get": {"path": model["health_path"], "port": model["port"]},
        "initial_delay_seconds": initial_delay,
        "period_seconds": period,
        "timeout_seconds": 2,
        "failure_threshold": 3,
    }


def env(model: ModelArgs, secret_name: pulumi.Input[str] | None) -> list[dict[str, Any]]:
    """The contract's environment; secret env by reference to the model's Secret."""
    plain = contract.environment(model)
    listed = [{"name": k, "value": plain[k]} for k in sorted(plain)]
    if secret_name is None:
        return listed
    return listed + [
        {"name": key, "value_from": {"secret_key_ref": {"name": secret_name, "key": key}}}
        for key in sorted(model.get("secret_env", {}))
    ]


def container(
    model: ModelArgs, env_vars: list[dict[str, Any]], registry: str | None = None
) -> dict[str, Any]:
    """The model container: the image (under the location's registry) on its port, probed,
    unprivileged."""
    return {
        "name": "model",
        "image": contract.image(model, "kubernetes", registry),
        "ports": [{"name": "http", "container_port": model["port"]}],
        "env": env_vars,
        "resources": resources(model),
        "readiness_probe": probe(model, initial_delay=2, period=5),
        "liveness_probe": probe(model, initial_delay=15, period=10),
        "security_context": HARDENED_CONTAINER,
        "volume_mounts": [{"name": "tmp", "mount_path": "/tmp"}],  # noqa: S108 - a mount point, not a temp file
    }


def docker_config(image: str, username: str, password: str) -> str:
    """A ``.dockerconfigjson`` for the registry ``image`` is in: what a pull secret holds."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    host = ImageRef.parse(image).host
    auth = {"username": username, "password": password, "auth": token}
    return json.dumps({"auths": {host: auth}})


def deployment_spec(
    model_container: dict[str, Any],
    labels: Mapping[str, str],
    selector: Mapping[str, str],
    account: pulumi.Input[str],
    pull_secret: pulumi.Input[str] | None = None,
) -> dict[str, Any]:
    """The Deployment's spec: one hardened pod template, spread over nodes.

    ``pull_secret`` names the Secret the kubelet pulls the image with (registry_auth).
    """
    pull = {"image_pull_secrets": [{"name": pull_secret}]} if pull_secret is not None else {}
    return {
        "selector": {"match_labels": selector},
        "template": {
            "metadata": {"labels": labels},
            "spec": {
                "service_account_name": account,
                "automount_service_account_token": False,
                **pull,
                "security_context": pod_security(RUN_AS_USER),
                "containers": [model_container],
                "volumes": [{"name": "tmp", "empty_dir": {"medium": "Memory"}}],
                "topology_spread_constraints": [
                    {
                        "max_skew": 1,
                        "topology_key": "kubernetes.io/hostname",
                        "when_unsatisfiable": "ScheduleAnyway",
                        "label_selector": {"match_labels": selector},
                    }
                ],
            },
        },
    }


def hpa_spec(model: ModelArgs, deployment: pulumi.Input[str]) -> dict[str, Any]:
    """CPU-based autoscaling between scaling.min and scaling.max."""
    return {
        "scale_target_ref": {"api_version": "apps/v1", "kind": "Deployment", "name": deployment},
        "min_replicas": model["scaling"]["min"],
        "max_replicas": model["scaling"]["max"],
        "metrics": [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {"type": "Utilization", "average_utilization": CPU_TARGET_PERCENT},
                },
            }
        ],
    }


def network_policy_spec(model: ModelArgs, selector: Mapping[str, str]) -> dict[str, Any]:
    """Only the serving port is reachable, and the pod may only resolve names: a model
    has no business calling out with its data."""
    return {
        "pod_selector": {"match_labels": selector},
        "policy_types": ["Ingress", "Egress"],
        "ingress": [{"ports": [{"protocol": "TCP", "port": model["port"]}]}],
        "egress": [{"ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}],
    }
