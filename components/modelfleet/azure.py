"""Former home of the Azure target, kept so imports written for 0.1 keep working.

New code imports ``from modelfleet import AzureMLEndpoint``; the target lives in
:mod:`modelfleet.targets.azure`.
"""

from modelfleet.errors import AzureMLConfigError
from modelfleet.targets.azure.component import RESOURCE_TYPE, AzureMLEndpoint

__all__ = ["RESOURCE_TYPE", "AzureMLConfigError", "AzureMLEndpoint"]
