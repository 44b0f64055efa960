"""Kubernetes workloads: Deployments hardened, and a NetworkPolicy around every restricted one."""

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import (
    PolicyResource,
    ResourceValidationArgs,
    StackValidationArgs,
)

from modelfleet import rulebook
from modelfleet.config import Classification
from modelfleet.policy.declare import MANDATORY, resource_policy, stack_policy
from modelfleet.policy.findings import Findings
from modelfleet.policy.read.labels import CLASSIFICATION, MODEL, read_labels
from modelfleet.policy.read.props import MISSING, Unknown, is_set, items, keys, lookup
from modelfleet.policy.read.types import K8S_DEPLOYMENT, K8S_NETWORK_POLICY

# --- kubernetes-deployment-hardened ----------------------------------------------------


def check_deployment_hardened(args: ResourceValidationArgs, findings: Findings) -> None:
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


DEPLOYMENT_HARDENED = resource_policy(
    rulebook.K8S_DEPLOYMENT_HARDENED,
    level=MANDATORY,
    check=check_deployment_hardened,
)

# --- kubernetes-networkpolicy-required -------------------------------------------------


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


def _cluster(resource: PolicyResource) -> str | None:
    return resource.provider.urn if resource.provider is not None else None


def _namespace(resource: PolicyResource) -> str | Unknown:
    value = lookup(resource.props, "metadata", "namespace")
    if isinstance(value, Unknown):
        return value
    return value if isinstance(value, str) and value else "default"


def _restricted_labels(deployment: PolicyResource, findings: Findings) -> dict[str, Any] | None:
    """A Deployment's labels when they declare restricted data; None otherwise (or unknown)."""
    labels = read_labels(deployment.resource_type, deployment.props)
    if isinstance(labels, Unknown):
        findings.unknown(labels, deployment.name)
        return None
    value = labels.get(CLASSIFICATION, MISSING) if isinstance(labels, dict) else MISSING
    if isinstance(value, Unknown):
        findings.unknown(value, deployment.name)
        return None
    if not isinstance(value, str):
        findings.violation(
            f"Deployment {deployment.name}: no {CLASSIFICATION} label: "
            "cannot tell whether it needs a NetworkPolicy",
            deployment.urn,
        )
        return None
    return labels if value == Classification.RESTRICTED and isinstance(labels, dict) else None


def _fenced(
    deployment: PolicyResource,
    policies: Sequence[PolicyResource],
    findings: Findings,
) -> tuple[bool, str] | None:
    """Whether a NetworkPolicy in its namespace selects the Deployment's pods, and where."""
    pod_labels = lookup(deployment.props, "spec", "template", "metadata", "labels")
    where = _namespace(deployment)
    if isinstance(pod_labels, Unknown) or isinstance(where, Unknown):
        findings.unknown(pod_labels if isinstance(pod_labels, Unknown) else where, deployment.name)  # type: ignore[arg-type]
        return None
    pods = (
        {k: lookup(pod_labels, k) for k in keys(pod_labels)}
        if isinstance(pod_labels, Mapping)
        else {}
    )
    fenced = False
    for candidate in policies:
        if _cluster(candidate) != _cluster(deployment):
            continue
        other = _namespace(candidate)
        if isinstance(other, Unknown):
            findings.unknown(other, candidate.name)
            continue
        selector = lookup(candidate.props, "spec", "podSelector")
        if isinstance(selector, Unknown):
            findings.unknown(selector, candidate.name)
        elif other == where and _selects(selector, pods):
            fenced = True
    return fenced, where


def check_networkpolicy(args: StackValidationArgs, findings: Findings) -> None:
    policies = [r for r in args.resources if r.resource_type == K8S_NETWORK_POLICY]
    for deployment in args.resources:
        if deployment.resource_type != K8S_DEPLOYMENT:
            continue
        labels = _restricted_labels(deployment, findings)
        if labels is None:
            continue
        outcome = _fenced(deployment, policies, findings)
        if outcome is None or outcome[0]:
            continue
        model = labels.get(MODEL)
        findings.violation(
            f"restricted model {model if isinstance(model, str) else '?'}: no NetworkPolicy "
            f"in namespace {outcome[1]!r} of its cluster selects the pods of Deployment "
            f"{deployment.name}",
            deployment.urn,
        )


NETWORKPOLICY_REQUIRED = stack_policy(
    rulebook.K8S_NETWORKPOLICY,
    level=MANDATORY,
    check=check_networkpolicy,
)
