"""``SageMakerEndpoint``: a model served by a SageMaker real-time endpoint in one region.

The constructor is a sequence of named steps (role, model, endpoint configuration,
endpoint, autoscaling); every decision they wire is a pure function in
:mod:`modelfleet.targets.aws.plan`, and every rule in :mod:`modelfleet.targets.aws.checks`.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from modelfleet import contract, jurisdictions
from modelfleet.errors import SageMakerConfigError, refuse
from modelfleet.labels import labels
from modelfleet.model import ModelArgs
from modelfleet.targets import unused
from modelfleet.targets.aws import checks, provider
from modelfleet.targets.aws.args import AwsLocationArgs, SageMakerEndpointArgs
from modelfleet.targets.aws.plan import (
    BAKE_SECONDS,
    INVOCATIONS_PER_INSTANCE,
    LATENCY_P99_MICROSECONDS,
    LOG_RETENTION_DAYS,
    VARIANT,
    ContainerImage,
    S3Location,
    container_image,
    digest,
    endpoint_name,
    execution_policy,
    invoke_url,
    log_group_name,
    physical_name,
    traffic_routing,
    trust_policy,
)

RESOURCE_TYPE = "modelfleet:aws:SageMakerEndpoint"


def _named(base: str, spec: Mapping[str, Any]) -> pulumi.Output[str]:
    """``base-<digest of spec>``: any change to an immutable resource's inputs renames it.

    A digest over secret inputs (secret_env) is itself kept a secret.
    """
    return pulumi.Output.from_input(dict(spec)).apply(lambda s: physical_name(base, digest(s)))


@dataclass(frozen=True)
class _Placement:
    """What every step needs: the inputs, the physical name, the tags, the image."""

    name: str
    model: ModelArgs
    location: AwsLocationArgs
    physical: str
    tags: dict[str, str]
    image: pulumi.Output[ContainerImage]

    @property
    def region(self) -> str:
        return self.location["region"]

    @property
    def subnet_ids(self) -> list[pulumi.Input[str]]:
        return list(self.location.get("subnet_ids", []))

    @property
    def in_vpc(self) -> bool:
        return bool(self.subnet_ids)


class SageMakerEndpoint(pulumi.ComponentResource):
    """A model on a SageMaker real-time (or serverless) endpoint, rolled out blue/green.

    Example
    -------
    >>> SageMakerEndpoint("fraud-frankfurt", {"model": model, "location": frankfurt},
    ...                   pulumi.ResourceOptions(provider=aws.Provider("fra", region="eu-central-1")))
    """

    url: pulumi.Output[str]
    """Invoke URL of the SageMaker runtime (requests are SigV4-signed)."""
    endpoint_name: pulumi.Output[str]
    """Name of the endpoint; it stays the same across model versions."""
    arn: pulumi.Output[str]
    """ARN of the endpoint."""

    def __init__(
        self, name: str, args: SageMakerEndpointArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(RESOURCE_TYPE, name, {}, opts)
        model, location = args["model"], args["location"]
        refuse(
            SageMakerConfigError, checks.location_issues(location) + checks.issues(model, location)
        )
        unused.log(self, checks.notes(model, location))
        # Used on its own without an AWS provider, the component makes one, so the
        # region can never come from the ambient AWS config.
        self.provider = provider.given(opts, "aws") or aws.Provider(
            f"{name}-provider", region=location["region"], opts=pulumi.ResourceOptions(parent=self)
        )
        in_vpc = bool(location.get("subnet_ids"))
        at = _Placement(
            name=name,
            model=model,
            location=location,
            physical=endpoint_name(name, pulumi.get_stack()),
            tags=labels(model, location["name"], jurisdictions.AWS_REGIONS[location["region"]]),
            image=pulumi.Output.from_input(model["image"]).apply(
                lambda i: container_image(i, location["region"], in_vpc, location.get("registry"))
            ),
        )
        log_group = self._log_group(at)
        role, policy = self._role(at)
        sm_model = self._model(at, role, policy)
        config = self._endpoint_config(at, sm_model)
        endpoint = self._endpoint(at, config, log_group)
        if "serverless" not in location:
            self._autoscaling(at, endpoint)
        self.endpoint_name = endpoint.name
        self.arn = endpoint.arn
        self.url = endpoint.name.apply(lambda n: invoke_url(at.region, n))
        self.register_outputs(
            {"url": self.url, "endpoint_name": self.endpoint_name, "arn": self.arn}
        )

    def _child(self, **extra: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, provider=self.provider, **extra)

    def _log_group(self, at: _Placement) -> aws.cloudwatch.LogGroup:
        return aws.cloudwatch.LogGroup(
            f"{at.name}-logs",
            name=log_group_name(at.physical),
            retention_in_days=LOG_RETENTION_DAYS,
            tags=at.tags,
            opts=self._child(),
        )

    def _role(self, at: _Placement) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
        """The execution role and its least-privilege inline policy."""
        role = aws.iam.Role(
            f"{at.name}-role",
            description=f"SageMaker execution role of endpoint {at.physical}",
            assume_role_policy=json.dumps(trust_policy()),
            tags=at.tags,
            opts=self._child(),
        )
        artifact = pulumi.Output.from_input(at.model.get("artifact")).apply(
            lambda a: S3Location.parse(a) if a else None
        )
        policy = aws.iam.RolePolicy(
            f"{at.name}-role-policy",
            role=role.id,
            policy=pulumi.Output.all(
                image=at.image,
                artifact=artifact,
                kms=at.location.get("kms_key_arn"),
                subnets=at.subnet_ids,
                groups=list(at.location.get("security_group_ids", [])),
            ).apply(
                lambda v: json.dumps(
                    execution_policy(
                        region=at.region,
                        endpoint=at.physical,
                        image=v["image"],
                        artifact=v["artifact"],
                        kms_key_arn=v["kms"],
                        subnet_ids=v["subnets"],
                        security_group_ids=v["groups"],
                    ),
                    indent=2,
                )
            ),
            opts=self._child(),
        )
        return role, policy

    def _model(
        self, at: _Placement, role: aws.iam.Role, policy: aws.iam.RolePolicy
    ) -> aws.sagemaker.Model:
        """The SageMaker model: the container contract, the role, the network fence."""
        model = at.model
        env: dict[str, pulumi.Input[str]] = contract.environment(model, artifact=False)
        secret_env = model.get("secret_env", {})
        container: dict[str, Any] = {
            "image": at.image.apply(lambda i: i.uri),
            "environment": {**env, **secret_env} if secret_env else env,
        }
        if "artifact" in model:
            container["model_data_url"] = model["artifact"]
        model_spec: dict[str, Any] = {
            "execution_role_arn": role.arn,
            "primary_container": container,
            # Restricted data: the container may not open a connection to anything.
            "enable_network_isolation": model["data"]["classification"] == "restricted",
        }
        if at.in_vpc:
            # Platform (ECR) is SageMaker's default; Vpc pulls from a registry in the VPC.
            container["image_config"] = at.image.apply(
                lambda i: {"repository_access_mode": "Platform" if i.ecr else "Vpc"}
            )
            model_spec["vpc_config"] = {
                "subnets": at.subnet_ids,
                "security_group_ids": list(at.location.get("security_group_ids", [])),
            }
        # SageMaker models and endpoint configurations cannot change: every change is
        # a replacement. Their names are a digest of their inputs, so a replacement
        # gets a new name and is created before the old one is deleted, and the
        # endpoint (same name, new configuration name) is updated in place.
        return aws.sagemaker.Model(
            f"{at.name}-model",
            name=_named(at.physical, model_spec),
            tags=at.tags,
            # The role must hold its permissions before SageMaker validates the model.
            opts=self._child(depends_on=[policy]),
            **model_spec,
        )

    def _endpoint_config(
        self, at: _Placement, sm_model: aws.sagemaker.Model
    ) -> aws.sagemaker.EndpointConfiguration:
        """One production variant: instances (scaled) or serverless."""
        variant: dict[str, Any] = {"variant_name": VARIANT, "model_name": sm_model.name}
        serverless = at.location.get("serverless")
        if serverless is not None:
            variant["serverless_config"] = {
                "memory_size_in_mb": serverless["memory_mb"],
                "max_concurrency": serverless["max_concurrency"],
            }
        else:
            variant["instance_type"] = at.location["instance_type"]
            variant["initial_instance_count"] = at.model["scaling"]["min"]
        config_spec: dict[str, Any] = {"production_variants": [variant]}
        if at.location.get("kms_key_arn"):
            config_spec["kms_key_arn"] = at.location["kms_key_arn"]
        return aws.sagemaker.EndpointConfiguration(
            f"{at.name}-config",
            name=_named(at.physical, config_spec),
            tags=at.tags,
            opts=self._child(),
            **config_spec,
        )

    def _endpoint(
        self,
        at: _Placement,
        config: aws.sagemaker.EndpointConfiguration,
        log_group: aws.cloudwatch.LogGroup,
    ) -> aws.sagemaker.Endpoint:
        """The endpoint; a new configuration rolls out blue/green, watched by two alarms."""
        deployment: dict[str, Any] | None = None
        if "serverless" not in at.location:
            alarms = self._rollback_alarms(at)
            deployment = {
                "blue_green_update_policy": {
                    "traffic_routing_configuration": traffic_routing(at.model["scaling"]["min"]),
                    "termination_wait_in_seconds": BAKE_SECONDS,
                },
                "auto_rollback_configuration": {
                    "alarms": [{"alarm_name": alarm.name} for alarm in alarms]
                },
            }
        # No deployment_config for serverless: canaries are a share of an instance
        # fleet, which a serverless variant does not have (SageMaker refuses it); an
        # update still starts the new configuration before the old one stops serving.
        return aws.sagemaker.Endpoint(
            f"{at.name}-endpoint",
            name=at.physical,
            endpoint_config_name=config.name,
            deployment_config=deployment,
            tags=at.tags,
            opts=self._child(depends_on=[log_group]),
        )

    def _autoscaling(self, at: _Placement, endpoint: aws.sagemaker.Endpoint) -> None:
        """Target tracking on invocations per instance, between scaling.min and .max."""
        target = aws.appautoscaling.Target(
            f"{at.name}-scaling-target",
            service_namespace="sagemaker",
            resource_id=pulumi.Output.concat("endpoint/", endpoint.name, f"/variant/{VARIANT}"),
            scalable_dimension="sagemaker:variant:DesiredInstanceCount",
            min_capacity=at.model["scaling"]["min"],
            max_capacity=at.model["scaling"]["max"],
            tags=at.tags,
            opts=self._child(depends_on=[endpoint]),
        )
        aws.appautoscaling.Policy(
            f"{at.name}-scaling-policy",
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            resource_id=target.resource_id,
            scalable_dimension=target.scalable_dimension,
            target_tracking_scaling_policy_configuration={
                "target_value": INVOCATIONS_PER_INSTANCE,
                "predefined_metric_specification": {
                    "predefined_metric_type": "SageMakerVariantInvocationsPerInstance"
                },
                "scale_in_cooldown": 300,
                "scale_out_cooldown": 60,
            },
            opts=self._child(),
        )

    def _rollback_alarms(self, at: _Placement) -> list[aws.cloudwatch.MetricAlarm]:
        """Errors and latency of the endpoint's variant; either one rolls a deployment back."""
        endpoint = at.physical
        common: dict[str, Any] = {
            "namespace": "AWS/SageMaker",
            "dimensions": {"EndpointName": endpoint, "VariantName": VARIANT},
            "comparison_operator": "GreaterThanOrEqualToThreshold",
            "period": 60,
            # No traffic is no evidence against the new version.
            "treat_missing_data": "notBreaching",
            "tags": at.tags,
            "opts": self._child(),
        }
        errors = aws.cloudwatch.MetricAlarm(
            f"{at.name}-alarm-5xx",
            name=physical_name(endpoint, "5xx"),
            alarm_description=f"Server errors of SageMaker endpoint {endpoint}; rolls back a deployment.",
            metric_name="Invocation5XXErrors",
            statistic="Sum",
            threshold=1,
            evaluation_periods=2,
            datapoints_to_alarm=2,
            **common,
        )
        latency = aws.cloudwatch.MetricAlarm(
            f"{at.name}-alarm-latency",
            name=physical_name(endpoint, "latency"),
            alarm_description=f"p99 model latency of SageMaker endpoint {endpoint}; rolls back a deployment.",
            metric_name="ModelLatency",
            extended_statistic="p99",
            threshold=LATENCY_P99_MICROSECONDS,
            evaluation_periods=3,
            datapoints_to_alarm=2,
            **common,
        )
        return [errors, latency]
