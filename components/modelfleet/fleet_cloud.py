"""Ask a cloud endpoint's state through the provider SDK the user already has.

A SageMaker or Azure ML endpoint is not reachable without signed requests, so it is
asked with one describe call, only when the SDK is installed (``modelfleet[aws]``,
``modelfleet[azure]``: never required) and the user's credentials are present.
Otherwise the row says "not probed: no credentials". These calls report the
endpoint's state, not the model version inside it.
"""

import os
import time

from modelfleet.config import AnyLocation, AwsLocation, AzureLocation
from modelfleet.fleet_probe import Health, Probe, Target

NO_CREDENTIALS = "no credentials"


def _not_probed(target: Target, why: str = NO_CREDENTIALS) -> Probe:
    return Probe(target, Health.NOT_PROBED, detail=why)


def _state(target: Target, state: str, ready: str, start: float) -> Probe:
    health = Health.HEALTHY if state == ready else Health.UNHEALTHY
    latency_ms = (time.perf_counter() - start) * 1000
    return Probe(target, health, None, latency_ms, detail=f"{state} (version not reported)")


def probe_sagemaker(target: Target, location: AwsLocation) -> Probe:
    """``DescribeEndpoint`` with the user's AWS credentials: ``InService`` is healthy."""
    try:
        import boto3
        import botocore.exceptions
    except ImportError:
        return _not_probed(target)
    session = boto3.Session(region_name=location.region)
    if session.get_credentials() is None:
        return _not_probed(target)
    start = time.perf_counter()
    try:
        answer = session.client("sagemaker").describe_endpoint(EndpointName=target.host)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
        return Probe(target, Health.UNREACHABLE, detail=str(error))
    return _state(target, str(answer["EndpointStatus"]), "InService", start)


def probe_azureml(target: Target, location: AzureLocation) -> Probe:
    """The online endpoint's provisioning state with the user's Azure credentials."""
    subscription = os.environ.get("AZURE_SUBSCRIPTION_ID")
    try:
        from azure.ai.ml import MLClient
        from azure.core.exceptions import AzureError, ClientAuthenticationError
        from azure.identity import DefaultAzureCredential
    except ImportError:
        return _not_probed(target)
    if not subscription:
        return _not_probed(target, f"{NO_CREDENTIALS} (AZURE_SUBSCRIPTION_ID is not set)")
    client = MLClient(
        DefaultAzureCredential(), subscription, location.resource_group, location.workspace
    )
    start = time.perf_counter()
    try:
        endpoint = client.online_endpoints.get(target.host)
    except ClientAuthenticationError:
        return _not_probed(target)
    except AzureError as error:
        return Probe(target, Health.UNREACHABLE, detail=str(error))
    return _state(target, str(endpoint.provisioning_state), "Succeeded", start)


def probe_cloud(target: Target, location: AnyLocation | None) -> Probe:
    """Ask a cloud endpoint when its SDK and credentials are here; list it otherwise."""
    if isinstance(location, AwsLocation):
        return probe_sagemaker(target, location)
    if isinstance(location, AzureLocation):
        return probe_azureml(target, location)
    return _not_probed(target, "no URL this command can ask")
