"""Former home of the Kubernetes target, kept so imports written for 0.1 keep working.

New code imports ``from modelfleet import KubernetesEndpoint``; the target lives in
:mod:`modelfleet.targets.kubernetes`.
"""

from modelfleet.targets.kubernetes.component import RESOURCE_TYPE, KubernetesEndpoint

__all__ = ["RESOURCE_TYPE", "KubernetesEndpoint"]
