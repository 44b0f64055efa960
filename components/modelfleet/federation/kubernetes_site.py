"""A federation site on a Kubernetes location: the SuperNode as a one-replica Deployment.

The site's rows live in a PersistentVolumeClaim the site owns; the pod mounts it
read-only at ``/data`` and nothing else of the cluster (no service account token, no
ingress: a SuperNode only dials out to the SuperLink). The CA it verifies the
SuperLink with comes from a Secret. The pod is hardened like the serving target's.
"""

from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_kubernetes as k8s

from modelfleet.targets.kubernetes.plan import HARDENED_CONTAINER, pod_security

RUN_AS_USER = 10001
"""The federation image's numeric user (images/federation/Dockerfile)."""
RESOURCES = {
    "requests": {"cpu": "250m", "memory": "512Mi"},
    "limits": {"cpu": "1", "memory": "1Gi"},
}


class KubernetesSiteArgs(TypedDict):
    """One Kubernetes site of a federation."""

    federation: str
    """Federation name (object names)."""
    namespace: str
    """Namespace the SuperNode runs in."""
    kubeconfig: NotRequired[pulumi.Input[str]]
    """Kubeconfig contents (a secret); or set context."""
    context: NotRequired[str]
    """Kubeconfig context."""
    claim: str
    """PersistentVolumeClaim holding the site's rows."""
    data_file: str
    """The rows' file within the claim."""
    image: pulumi.Input[str]
    """Federation image."""
    superlink: str
    """host:port of the SuperLink, reachable from the cluster."""
    ca: pulumi.Input[str]
    """CA certificate the SuperLink is verified with."""
    labels: Mapping[str, str]
    """modelfleet labels plus federation and role."""


def supernode_pod(args: KubernetesSiteArgs, ca_secret: pulumi.Input[str]) -> dict[str, Any]:
    """The SuperNode's pod template spec: the claim read-only, the CA from its Secret."""
    container = {
        "name": "supernode",
        "image": args["image"],
        "args": ["supernode"],
        "env": [
            {"name": "SUPERLINK", "value": args["superlink"]},
            {"name": "DATA_PATH", "value": f"/data/{args['data_file']}"},
            {
                "name": "FEDERATION_CA",
                "value_from": {"secret_key_ref": {"name": ca_secret, "key": "ca.pem"}},
            },
        ],
        "resources": RESOURCES,
        "security_context": HARDENED_CONTAINER,
        "volume_mounts": [
            {"name": "rows", "mount_path": "/data", "read_only": True},
            {"name": "tmp", "mount_path": "/tmp"},  # noqa: S108 - a mount point
        ],
    }
    return {
        "automount_service_account_token": False,
        "security_context": pod_security(RUN_AS_USER),
        "containers": [container],
        "volumes": [
            {
                "name": "rows",
                "persistent_volume_claim": {"claim_name": args["claim"], "read_only": True},
            },
            {"name": "tmp", "empty_dir": {"medium": "Memory"}},
        ],
    }


def deploy_site(
    name: str, args: KubernetesSiteArgs, parent: pulumi.Resource
) -> k8s.apps.v1.Deployment:
    """Provider, CA Secret, Deployment and a deny-ingress NetworkPolicy for one site."""
    provider = k8s.Provider(
        f"{name}-provider",
        kubeconfig=args.get("kubeconfig"),
        context=args.get("context"),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    opts = pulumi.ResourceOptions(parent=parent, provider=provider)
    object_name = f"fed-{args['federation']}-supernode"
    selector = {"modelfleet/federation": args["federation"], "modelfleet/role": "site"}

    def metadata(suffix: str = "") -> dict[str, Any]:
        return {
            "name": object_name + suffix,
            "namespace": args["namespace"],
            "labels": dict(args["labels"]),
        }

    secret = k8s.core.v1.Secret(
        f"{name}-ca",
        metadata=metadata("-ca"),
        type="Opaque",
        string_data=pulumi.Output.secret({"ca.pem": args["ca"]}),
        opts=opts,
    )
    k8s.networking.v1.NetworkPolicy(
        f"{name}-networkpolicy",
        metadata=metadata(),
        spec={"pod_selector": {"match_labels": selector}, "policy_types": ["Ingress"]},
        opts=opts,
    )
    return k8s.apps.v1.Deployment(
        f"{name}-deployment",
        metadata=metadata(),
        spec={
            "replicas": 1,
            "selector": {"match_labels": selector},
            "template": {
                "metadata": {"labels": dict(args["labels"])},
                "spec": supernode_pod(args, secret.metadata.apply(lambda m: m["name"])),
            },
        },
        opts=opts,
    )
