"""modelfleet.policy.kubernetes: Deployments hardened, a NetworkPolicy around restricted ones."""

from typing import Any

import pytest

from tests.policy.builders import UNKNOWN, Spec, provider, run, specs_for, stack_args, stack_config

HARDENED = "kubernetes-deployment-hardened"
FENCED = "kubernetes-networkpolicy-required"


def cluster(classification: str = "restricted", namespace: str = "models") -> dict[str, Spec]:
    """Deployment, service and network policy of one model on the Munich cluster, by role."""
    raw = stack_config(
        {"classification": classification, "residency": ["EU"]},
        "munich",
        {"kind": "kubernetes", "jurisdiction": "DE", "context": "munich", "namespace": namespace},
    )
    return {spec.name.rsplit("-", 1)[1]: spec for spec in specs_for(raw)}


def pod(deployment: Spec) -> dict[str, Any]:
    return deployment.props["spec"]["template"]["spec"]


# --- kubernetes-deployment-hardened ------------------------------------------------------


def test_the_deployment_kubernetes_endpoint_writes_passes():
    assert run(HARDENED, cluster()["deployment"].resource_args()).messages == []


def test_every_hardening_gap_is_named():
    deployment = cluster()["deployment"]
    spec = pod(deployment)
    spec["hostNetwork"] = True
    spec["volumes"].append({"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}})
    container = spec["containers"][0]
    container["securityContext"]["privileged"] = True
    container["securityContext"]["runAsUser"] = 0
    del container["resources"]["limits"]["memory"]
    spec["initContainers"] = [
        {"name": "fetch", "image": "busybox", "securityContext": {"runAsNonRoot": False}}
    ]
    del spec["securityContext"]
    assert run(HARDENED, deployment.resource_args()).messages == [
        "the pod uses the host network (hostNetwork: true)",
        "volume 'docker' mounts a host path",
        "container 'fetch' may run as root: set runAsNonRoot: true or a non-zero runAsUser",
        "container 'fetch' sets no cpu limit",
        "container 'fetch' sets no memory limit",
        "container 'model' runs privileged",
        "container 'model' runs as root (runAsUser: 0)",
        "container 'model' sets no memory limit",
    ]


def test_a_pod_level_non_root_setting_covers_its_containers():
    deployment = cluster()["deployment"]
    del pod(deployment)["containers"][0]["securityContext"]
    assert run(HARDENED, deployment.resource_args()).messages == []


def test_a_deployment_without_a_pod_template_cannot_be_checked():
    deployment = cluster()["deployment"]
    del deployment.props["spec"]["template"]
    assert run(HARDENED, deployment.resource_args()).messages == [
        "no pod template (spec.template.spec): cannot check its containers"
    ]


def test_unknown_container_settings_are_noted_not_passed():
    deployment = cluster()["deployment"]
    container = pod(deployment)["containers"][0]
    container["securityContext"]["privileged"] = UNKNOWN
    container["resources"]["limits"]["cpu"] = UNKNOWN
    outcome = run(HARDENED, deployment.resource_args())
    assert outcome.messages == []
    assert outcome.preview == (
        "spec.template.spec.containers[0].securityContext.privileged of "
        "fraud-scorer-munich-deployment; spec.template.spec.containers[0].resources.limits.cpu "
        "of fraud-scorer-munich-deployment: unknown at preview; checked again at update"
    )


# --- kubernetes-networkpolicy-required ---------------------------------------------------


def test_a_restricted_deployment_with_its_network_policy_passes():
    assert run(FENCED, stack_args(list(cluster().values()))).messages == []


def test_a_restricted_deployment_without_a_network_policy_is_refused():
    specs = cluster()
    resources = [specs["deployment"], specs["service"]]
    outcome = run(FENCED, stack_args(resources))
    assert outcome.violations == [
        (
            "restricted model fraud-scorer: no NetworkPolicy in namespace 'models' of its "
            "cluster selects the pods of Deployment fraud-scorer-munich-deployment",
            specs["deployment"].urn,
        )
    ]


@pytest.mark.parametrize(
    "miss",
    ["other-namespace", "other-cluster", "other-labels", "expression-excludes"],
)
def test_a_network_policy_that_does_not_select_the_pods_does_not_count(miss):
    specs = cluster()
    fence = specs["networkpolicy"]
    if miss == "other-namespace":
        fence.props["metadata"]["namespace"] = "other"
    elif miss == "other-cluster":
        fence.provider = provider("kubernetes", {"context": "dallas"}, "dallas")
    elif miss == "other-labels":
        fence.props["spec"]["podSelector"] = {"matchLabels": {"app": "something-else"}}
    else:
        fence.props["spec"]["podSelector"] = {
            "matchExpressions": [
                {"key": "modelfleet/model", "operator": "NotIn", "values": ["fraud-scorer"]}
            ]
        }
    assert len(run(FENCED, stack_args(list(specs.values()))).messages) == 1


@pytest.mark.parametrize(
    "selector",
    [
        {},
        {
            "matchExpressions": [
                {"key": "modelfleet/model", "operator": "In", "values": ["fraud-scorer"]}
            ]
        },
        {"matchExpressions": [{"key": "modelfleet/classification", "operator": "Exists"}]},
    ],
)
def test_broader_selectors_count(selector):
    specs = cluster()
    specs["networkpolicy"].props["spec"]["podSelector"] = selector
    assert run(FENCED, stack_args(list(specs.values()))).messages == []


def test_only_restricted_data_needs_a_network_policy():
    specs = cluster("confidential")
    assert run(FENCED, stack_args([specs["deployment"]])).messages == []


def test_a_deployment_without_classification_fails_closed():
    specs = cluster()
    del specs["deployment"].props["metadata"]["labels"]
    assert run(FENCED, stack_args([specs["deployment"]])).messages == [
        "Deployment fraud-scorer-munich-deployment: no modelfleet/classification label: "
        "cannot tell whether it needs a NetworkPolicy"
    ]


def test_a_namespace_unknown_at_preview_is_noted_not_passed():
    # GIVEN a namespace the program creates (its name is an output of the Namespace)
    specs = cluster()
    for spec in specs.values():
        spec.props["metadata"]["namespace"] = UNKNOWN
    outcome = run(FENCED, stack_args(list(specs.values())))
    assert outcome.messages == []
    assert outcome.preview == (
        "metadata.namespace of fraud-scorer-munich-deployment: "
        "unknown at preview; checked again at update"
    )


def test_an_unknown_container_list_or_pod_setting_is_noted_not_passed():
    deployment = cluster()["deployment"]
    pod(deployment)["securityContext"]["runAsNonRoot"] = UNKNOWN
    del pod(deployment)["containers"][0]["securityContext"]["runAsNonRoot"]
    pod(deployment)["initContainers"] = UNKNOWN
    outcome = run(HARDENED, deployment.resource_args())
    assert outcome.messages == []
    assert outcome.preview == (
        "spec.template.spec.securityContext.runAsNonRoot of fraud-scorer-munich-deployment; "
        "spec.template.spec.initContainers of fraud-scorer-munich-deployment: "
        "unknown at preview; checked again at update"
    )
