"""The checks of the Kubernetes policies: hardened Deployments, and a NetworkPolicy around
the pods of every restricted one.
"""

from collections.abc import Mapping
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs

from modelfleet.config import Classification
from modelfleet.policy.resources import (
    CLASSIFICATION,
    K8S_DEPLOYMENT,
    K8S_NETWORK_POLICY,
    MISSING,
    MODEL,
    Findings,
    Unknown,
    is_set,
    items,
    keys,
    lookup,
    read_labels,
)


def deployment_hardened(args: ResourceValidationArgs, findings: Findings) -> None:
    if args.resource_type != K8S_DEPLOYMENT:
        return
    pod_path = ("spec", "template", "spec")
    pod = lookup(args.props, *pod_path)
    if isinstance(pod, Unknown):
        findings.unknown(pod, args.name)
        return
    if not isinstance(pod, Mapping):
        findings.violation("no pod template (spec.template.spec): cannot check its containers")
        return

    def read(*path: str | int) -> Any:
        value = lookup(args.props, *pod_path, *path)
        if isinstance(value, Unknown):
            findings.unknown(value, args.name)
        return value

    if read("hostNetwork") is True:
        findings.violation("the pod uses the host network (hostNetwork: true)")
    for index in _indices(read("volumes")):
        volume = read("volumes", index)
        if isinstance(volume, Mapping) and "hostPath" in keys(volume):
            name = lookup(volume, "name")
            findings.violation(
                f"volume {name if isinstance(name, str) else index!r} mounts a host path"
            )
    pod_context = {key: read("securityContext", key) for key in ("runAsUser", "runAsNonRoot")}
    for group in ("initContainers", "containers"):
        for index in _indices(read(group)):
            if not isinstance(read(group, index), Unknown):
                _check_container(
                    lambda *path, g=group, i=index: read(g, i, *path), pod_context, findings
                )


def _indices(value: Any) -> range:
    """Indices of a list property; none for an unknown or missing one (noted by the reader)."""
    return range(len(items(value)))


def _check_container(read: Any, pod_context: Mapping[str, Any], findings: Findings) -> None:
    name = lookup(read(), "name")
    which = f"container {name!r}" if isinstance(name, str) else "a container"

    def effective(key: str) -> Any:
        own = read("securityContext", key)
        return pod_context[key] if own is MISSING or own is None else own

    if read("securityContext", "privileged") is True:
        findings.violation(f"{which} runs privileged")
    run_as_user, non_root = effective("runAsUser"), effective("runAsNonRoot")
    undecided = isinstance(run_as_user, Unknown) or isinstance(non_root, Unknown)
    non_zero_user = isinstance(run_as_user, int) and run_as_user > 0
    if run_as_user == 0:
        findings.violation(f"{which} runs as root (runAsUser: 0)")
    elif not undecided and non_root is not True and not non_zero_user:
        findings.violation(
            f"{which} may run as root: set runAsNonRoot: true or a non-zero runAsUser"
        )
    for resource_name in ("cpu", "memory"):
        limit = read("resources", "limits", resource_name)
        if not isinstance(limit, Unknown) and not is_set(limit):
            findings.violation(f"{which} sets no {resource_name} limit")


def _selects(selector: Any, labels: Mapping[str, Any]) -> bool:
    """True when a label selector (matchLabels, matchExpressions) selects ``labels``."""
    if not isinstance(selector, Mapping):
        return False
    match_labels = lookup(selector, "matchLabels")
    if isinstance(match_labels, Mapping) and any(
        labels.get(key) != lookup(match_labels, key) for key in keys(match_labels)
    ):
        return False
    for expression in items(lookup(selector, "matchExpressions")):
        key, operator = lookup(expression, "key"), lookup(expression, "operator")
        values = [v for v in items(lookup(expression, "values")) if isinstance(v, str)]
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if (operator == "Exists") != present and operator in {"Exists", "DoesNotExist"}:
            return False
    return True


def networkpolicy_required(args: StackValidationArgs, findings: Findings) -> None:
    def cluster(resource: PolicyResource) -> str | None:
        return resource.provider.urn if resource.provider is not None else None

    def namespace(resource: PolicyResource) -> str | Unknown:
        value = lookup(resource.props, "metadata", "namespace")
        if isinstance(value, Unknown):
            return value
        return value if isinstance(value, str) and value else "default"

    policies = [r for r in args.resources if r.resource_type == K8S_NETWORK_POLICY]
    for deployment in args.resources:
        if deployment.resource_type != K8S_DEPLOYMENT:
            continue
        labels = read_labels(deployment.resource_type, deployment.props)
        if isinstance(labels, Unknown):
            findings.unknown(labels, deployment.name)
            continue
        value = labels.get(CLASSIFICATION, MISSING) if isinstance(labels, dict) else MISSING
        if isinstance(value, Unknown):
            findings.unknown(value, deployment.name)
            continue
        if not isinstance(value, str):
            findings.violation(
                f"Deployment {deployment.name}: no {CLASSIFICATION} label: "
                "cannot tell whether it needs a NetworkPolicy",
                deployment.urn,
            )
            continue
        if value != Classification.RESTRICTED:
            continue
        pod_labels = lookup(deployment.props, "spec", "template", "metadata", "labels")
        where = namespace(deployment)
        if isinstance(pod_labels, Unknown) or isinstance(where, Unknown):
            unknown = pod_labels if isinstance(pod_labels, Unknown) else where
            findings.unknown(unknown, deployment.name)  # type: ignore[arg-type]
            continue
        pods = (
            {k: lookup(pod_labels, k) for k in keys(pod_labels)}
            if isinstance(pod_labels, Mapping)
            else {}
        )
        fenced = False
        for candidate in policies:
            if cluster(candidate) != cluster(deployment):
                continue
            other = namespace(candidate)
            if isinstance(other, Unknown):
                findings.unknown(other, candidate.name)
                continue
            selector = lookup(candidate.props, "spec", "podSelector")
            if isinstance(selector, Unknown):
                findings.unknown(selector, candidate.name)
            elif other == where and _selects(selector, pods):
                fenced = True
        if not fenced:
            model = labels.get(MODEL) if isinstance(labels, dict) else None
            findings.violation(
                f"restricted model {model if isinstance(model, str) else '?'}: no NetworkPolicy "
                f"in namespace {where!r} of its cluster selects the pods of Deployment "
                f"{deployment.name}",
                deployment.urn,
            )
