"""``KubernetesEndpoint``: a model served on a cluster the team runs itself.

The cluster comes from ``opts.provider``; the manifests are pure functions in
:mod:`modelfleet.targets.kubernetes.plan`, the constructor only wires them.
"""

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from modelfleet.errors import KubernetesConfigError, refuse
from modelfleet.labels import labels
from modelfleet.model import ModelArgs
from modelfleet.targets import unused
from modelfleet.targets.kubernetes import checks, plan
from modelfleet.targets.kubernetes.args import KubernetesEndpointArgs, KubernetesLocationArgs

RESOURCE_TYPE = "modelfleet:kubernetes:KubernetesEndpoint"


def _name_of(resource: Any) -> pulumi.Output[str]:
    return resource.metadata.apply(lambda m: m["name"])


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
        refuse(
            KubernetesConfigError, checks.location_issues(location) + checks.issues(model, location)
        )
        unused.log(self, checks.notes(model, location))
        self._name = name
        self._labels = labels(model, location["name"], location["jurisdiction"])
        self._selector = {"modelfleet/model": model["name"]}
        namespace: pulumi.Input[str] = location["namespace"]
        if location.get("create_namespace", False):
            namespace = self._namespace(location["namespace"])
        self._in = namespace
        account = k8s.core.v1.ServiceAccount(
            f"{name}-serviceaccount",
            metadata=self._metadata(model["name"]),
            automount_service_account_token=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.deployment = self._deployment(model, location, _name_of(account))
        self.service = self._service(model)
        self._scaling(model)
        k8s.networking.v1.NetworkPolicy(
            f"{name}-networkpolicy",
            metadata=self._metadata(model["name"]),
            spec=plan.network_policy_spec(model, self._selector),
            opts=pulumi.ResourceOptions(parent=self),
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

    def _metadata(self, object_name: pulumi.Input[str]) -> dict[str, Any]:
        return {"name": object_name, "namespace": self._in, "labels": self._labels}

    def _namespace(self, namespace: str) -> pulumi.Output[str]:
        created = k8s.core.v1.Namespace(
            f"{self._name}-namespace",
            metadata={"name": namespace, "labels": self._labels},
            opts=pulumi.ResourceOptions(parent=self),
        )
        return _name_of(created)

    def _deployment(
        self, model: ModelArgs, location: KubernetesLocationArgs, account: pulumi.Output[str]
    ) -> k8s.apps.v1.Deployment:
        """The Deployment, its secret env and pull credentials in Secrets of their own."""
        secret_name: pulumi.Output[str] | None = None
        secret_env = dict(model.get("secret_env", {}))
        if secret_env:
            secret = k8s.core.v1.Secret(
                f"{self._name}-env",
                metadata=self._metadata(f"{model['name']}-env"),
                type="Opaque",
                string_data=pulumi.Output.secret(secret_env),
                opts=pulumi.ResourceOptions(parent=self),
            )
            secret_name = _name_of(secret)
        container = plan.container(model, plan.env(model, secret_name), location.get("registry"))
        pull = self._pull_secret(model, location, container["image"])
        return k8s.apps.v1.Deployment(
            f"{self._name}-deployment",
            metadata=self._metadata(model["name"]),
            spec=plan.deployment_spec(container, self._labels, self._selector, account, pull),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _pull_secret(
        self, model: ModelArgs, location: KubernetesLocationArgs, image: pulumi.Input[str]
    ) -> pulumi.Output[str] | None:
        """The image pull Secret for ``registry_auth``: the kubelet's credentials, kept secret."""
        auth = location.get("registry_auth")
        if auth is None:
            return None
        config = pulumi.Output.all(image, auth["username"], auth["password"]).apply(
            lambda parts: plan.docker_config(*parts)
        )
        secret = k8s.core.v1.Secret(
            f"{self._name}-pull-secret",
            metadata=self._metadata(f"{model['name']}-pull"),
            type="kubernetes.io/dockerconfigjson",
            string_data=pulumi.Output.secret({".dockerconfigjson": config}),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return _name_of(secret)

    def _service(self, model: ModelArgs) -> k8s.core.v1.Service:
        return k8s.core.v1.Service(
            f"{self._name}-service",
            metadata=self._metadata(model["name"]),
            spec={
                "type": "ClusterIP",
                "selector": self._selector,
                "ports": [{"name": "http", "port": model["port"], "target_port": "http"}],
            },
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _scaling(self, model: ModelArgs) -> None:
        """The HPA, and a disruption budget once two replicas are the floor."""
        k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{self._name}-hpa",
            metadata=self._metadata(model["name"]),
            spec=plan.hpa_spec(model, _name_of(self.deployment)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        if model["scaling"]["min"] >= 2:
            k8s.policy.v1.PodDisruptionBudget(
                f"{self._name}-pdb",
                metadata=self._metadata(model["name"]),
                spec={"max_unavailable": 1, "selector": {"match_labels": self._selector}},
                opts=pulumi.ResourceOptions(parent=self),
            )
