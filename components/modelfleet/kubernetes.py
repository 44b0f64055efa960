"""``KubernetesEndpoint``: a model served on a cluster the team runs itself.

Hardened by default (non-root, read-only root filesystem, no capabilities, no
service-account token) because the same component must pass the policy pack for
restricted data; the cluster comes from ``opts.provider``.
"""

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from modelfleet.args import KubernetesEndpointArgs, ModelArgs
from modelfleet.labels import labels

RESOURCE_TYPE = "modelfleet:kubernetes:KubernetesEndpoint"
RUN_AS_USER = 10001
"""A UID no base image maps to root; the serving image's own user may differ."""


def _resources(model: ModelArgs) -> dict[str, Any]:
    compute = model["resources"]
    limits: dict[str, Any] = {
        "cpu": pulumi.Output.from_input(compute["cpu"]).apply(lambda c: f"{int(c * 1000)}m"),
        "memory": pulumi.Output.from_input(compute["memory_mb"]).apply(lambda m: f"{m}Mi"),
    }
    gpus = compute["gpus"]
    if not isinstance(gpus, int) or gpus > 0:
        limits["nvidia.com/gpu"] = gpus
    return {"requests": dict(limits), "limits": limits}


def _probe(model: ModelArgs, initial_delay: int, period: int) -> dict[str, Any]:
    return {
        "http_get": {"path": model["health_path"], "port": model["port"]},
        "initial_delay_seconds": initial_delay,
        "period_seconds": period,
        "timeout_seconds": 2,
        "failure_threshold": 3,
    }


class KubernetesEndpoint(pulumi.ComponentResource):
    """A model as a Deployment behind a ClusterIP Service, autoscaled and fenced.

    Example
    -------
    >>> KubernetesEndpoint("fraud-munich", {"model": model, "location": munich},
    ...                    pulumi.ResourceOptions(provider=munich_cluster))
    """

    url: pulumi.Output[str]
    """In-cluster invoke URL of the Service."""
    endpoint_name: pulumi.Output[str]
    """Name of the Deployment and Service."""
    namespace: pulumi.Output[str]
    """Namespace the model runs in."""

    def __init__(
        self, name: str, args: KubernetesEndpointArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(RESOURCE_TYPE, name, {}, opts)
        model, location = args["model"], args["location"]
        app = model["name"]
        common = labels(model, location["name"], location["jurisdiction"])
        selector = {"modelfleet/model": app}
        child = pulumi.ResourceOptions(parent=self)

        namespace: pulumi.Input[str] = location["namespace"]
        if location.get("create_namespace", False):
            ns = k8s.core.v1.Namespace(
                f"{name}-namespace",
                metadata={"name": location["namespace"], "labels": common},
                opts=child,
            )
            namespace = ns.metadata.apply(lambda m: m["name"])

        def metadata(object_name: pulumi.Input[str] = app) -> dict[str, Any]:
            return {"name": object_name, "namespace": namespace, "labels": common}

        account = k8s.core.v1.ServiceAccount(
            f"{name}-serviceaccount",
            metadata=metadata(),
            automount_service_account_token=False,
            opts=child,
        )

        env: list[dict[str, Any]] = [{"name": "MODEL_VERSION", "value": model["version"]}]
        env += [{"name": k, "value": v} for k, v in sorted(dict(model.get("env", {})).items())]
        if "artifact" in model:
            env.append({"name": "MODEL_ARTIFACT", "value": model["artifact"]})
        secret_env = dict(model.get("secret_env", {}))
        if secret_env:
            secret = k8s.core.v1.Secret(
                f"{name}-env",
                metadata=metadata(f"{app}-env"),
                type="Opaque",
                string_data=pulumi.Output.secret(secret_env),
                opts=child,
            )
            env += [
                {
                    "name": key,
                    "value_from": {
                        "secret_key_ref": {
                            "name": secret.metadata.apply(lambda m: m["name"]),
                            "key": key,
                        }
                    },
                }
                for key in sorted(secret_env)
            ]

        container = {
            "name": "model",
            "image": model["image"],
            "ports": [{"name": "http", "container_port": model["port"]}],
            "env": env,
            "resources": _resources(model),
            "readiness_probe": _probe(model, initial_delay=2, period=5),
            "liveness_probe": _probe(model, initial_delay=15, period=10),
            "security_context": {
                "run_as_non_root": True,
                "read_only_root_filesystem": True,
                "allow_privilege_escalation": False,
                "privileged": False,
                "capabilities": {"drop": ["ALL"]},
            },
            "volume_mounts": [{"name": "tmp", "mount_path": "/tmp"}],  # noqa: S108 - a mount point, not a temp file
        }
        self.deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=metadata(),
            spec={
                "selector": {"match_labels": selector},
                "template": {
                    "metadata": {"labels": common},
                    "spec": {
                        "service_account_name": account.metadata.apply(lambda m: m["name"]),
                        "automount_service_account_token": False,
                        "security_context": {
                            "run_as_non_root": True,
                            "run_as_user": RUN_AS_USER,
                            "seccomp_profile": {"type": "RuntimeDefault"},
                        },
                        "containers": [container],
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
            },
            opts=child,
        )
        self.service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=metadata(),
            spec={
                "type": "ClusterIP",
                "selector": selector,
                "ports": [{"name": "http", "port": model["port"], "target_port": "http"}],
            },
            opts=child,
        )
        scaling = model["scaling"]
        k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{name}-hpa",
            metadata=metadata(),
            spec={
                "scale_target_ref": {
                    "api_version": "apps/v1",
                    "kind": "Deployment",
                    "name": self.deployment.metadata.apply(lambda m: m["name"]),
                },
                "min_replicas": scaling["min"],
                "max_replicas": scaling["max"],
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "target": {"type": "Utilization", "average_utilization": 70},
                        },
                    }
                ],
            },
            opts=child,
        )
        if scaling["min"] >= 2:
            k8s.policy.v1.PodDisruptionBudget(
                f"{name}-pdb",
                metadata=metadata(),
                spec={"max_unavailable": 1, "selector": {"match_labels": selector}},
                opts=child,
            )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-networkpolicy",
            metadata=metadata(),
            spec={
                # Only the serving port is reachable, and the pod may only resolve
                # names: a model has no business calling out with its data.
                "pod_selector": {"match_labels": selector},
                "policy_types": ["Ingress", "Egress"],
                "ingress": [{"ports": [{"protocol": "TCP", "port": model["port"]}]}],
                "egress": [
                    {"ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}
                ],
            },
            opts=child,
        )

        self.endpoint_name = self.service.metadata.apply(lambda m: str(m["name"]))
        self.namespace = pulumi.Output.from_input(namespace)
        self.url = pulumi.Output.concat(
            "http://", self.endpoint_name, ".", self.namespace, ".svc.cluster.local:",
            pulumi.Output.from_input(model["port"]).apply(str), model["invoke_path"],
        )  # fmt: skip
        self.register_outputs(
            {"url": self.url, "endpoint_name": self.endpoint_name, "namespace": self.namespace}
        )
