"""Former home of the AWS target, kept so imports written for 0.1 keep working.

New code imports ``from modelfleet import SageMakerEndpoint``; the target lives in
:mod:`modelfleet.targets.aws`.
"""

from modelfleet.errors import SageMakerConfigError
from modelfleet.targets.aws.component import RESOURCE_TYPE, SageMakerEndpoint
from modelfleet.targets.aws.plan import *  # noqa: F403 - the names this module held

__all__ = ["RESOURCE_TYPE", "SageMakerConfigError", "SageMakerEndpoint"]
