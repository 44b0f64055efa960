"""The pack over the resources each stack's mocked program registers.

The shipped stacks (``stacks/``) pass under their policy config; the broken copies in
``tests/fixtures/`` fail on the policy they are named for; and on every one of them,
``modelfleet plan`` and ``modelfleet-residency`` reach the same verdicts. Only
placements on kinds whose target is built are deployed (the others cannot be
registered yet); every test says which it left out.
"""

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from pulumi_policy import (
    PolicyProviderResource,
    PolicyResource,
    ResourceValidationArgs,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from modelfleet.config import StackConfig
from modelfleet.endpoint import ModelEndpoint
from modelfleet.policy.findings import Findings
from modelfleet.policy.pack import POLICIES
from modelfleet.policy.pack_config import policy_config, reconcile
from modelfleet.policy.residency import judge_stack
from modelfleet.rules import plan
from modelfleet.stack_args import endpoint_args
from modelfleet.stackfile import parse, sections_from_stack_file
from tests.policy.builders import options
from tests.unit.conftest import Registered, new_mocks

ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = ROOT / "policies" / "config"
SHIPPED = {"dev": "dev", "staging": "prod", "prod-eu": "prod", "prod-us": "prod"}
"""Each shipped stack and the policy config it previews under."""
BROKEN = {
    "broken-residency": {"modelfleet-residency"},
    "broken-public-edge": {"modelfleet-residency"},
    "broken-kms": {"aws-sagemaker-endpointconfig-kms"},
    "broken-isolation": {"aws-sagemaker-model-isolation", "modelfleet-residency"},
    "broken-digest": {"image-pinned-by-digest"},
    "broken-registry": {"image-registry-allowed"},
}
"""Each fixture and the policies that must fail it under prod.json (no others may)."""


def failures(findings: list["Finding"]) -> list["Finding"]:
    """The mandatory findings: what would stop a preview."""
    return [f for f in findings if f.level == "mandatory"]


def plaintext(value: Any) -> Any:
    """The stack file with every ``{secure: ...}`` replaced, as the engine decrypts it."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return "decrypted-for-the-test"
        return {k: plaintext(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plaintext(v) for v in value]
    return value


def load(path: Path) -> StackConfig:
    """The stack config, its secrets decrypted as the engine hands them to the program."""
    document = plaintext(yaml.safe_load(path.read_text(encoding="utf-8")))
    return parse(sections_from_stack_file(document))


def deploy(stack: str, config: StackConfig) -> list[Registered]:
    """Every resource the program registers for ``config``, under mocks."""
    mocks = new_mocks(stack)

    def program() -> pulumi.Output[Any]:
        endpoints = [ModelEndpoint(name, args) for name, args in endpoint_args(config).items()]
        return pulumi.Output.all(*(e.endpoint_names for e in endpoints))

    mocks.run(program)
    return mocks.resources


def engine_props(inputs: Mapping[str, Any]) -> Mapping[str, Any]:
    """Inputs as a policy sees them: secrets unwrapped, behind the unknown-checking proxy."""
    return unknown_checking_proxy(deserialize_properties(copy.deepcopy(dict(inputs))))


@dataclass(frozen=True)
class Finding:
    policy: str
    level: str
    message: str
    where: str


def resources_of(registered: list[Registered]) -> list[PolicyResource]:
    by_urn = {r.urn: r for r in registered}
    resources = []
    for r in registered:
        provider = None
        if r.provider:
            p = by_urn[r.provider.rsplit("::", 1)[0]]
            provider = PolicyProviderResource(p.type, engine_props(p.inputs), p.urn, p.name)
        resources.append(
            PolicyResource(
                r.type,
                engine_props(r.inputs),
                r.urn,
                r.name,
                options(r.parent or None),
                provider,
                None,
                [],
                {},
            )
        )
    linked = {r.urn: r for r in resources}
    for resource in resources:
        resource.parent = linked.get(resource.opts.parent or "")
    return resources


def validate(registered: list[Registered], config_name: str) -> list[Finding]:
    """Every violation the pack reports on a stack, at the level its config file sets.

    ``where`` is the resource's name: the one validated, or the URN a stack policy names.
    """
    settings = reconcile(yaml.safe_load((CONFIG_DIR / f"{config_name}.json").read_text()))
    resources = resources_of(registered)
    findings: list[Finding] = []
    for policy in POLICIES:
        level = settings[policy.name].enforcement
        config = settings[policy.name].properties
        targets: list[tuple[str, ResourceValidationArgs | StackValidationArgs]]
        if isinstance(policy, StackValidationPolicy):
            targets = [("", StackValidationArgs(resources, config))]
        else:
            targets = [
                (
                    r.name,
                    ResourceValidationArgs(
                        r.resource_type, r.props, r.urn, r.name, r.opts, r.provider, config
                    ),
                )
                for r in resources
            ]
        for name, args in targets:

            def record(message: str, urn: str | None = None, name: str = name) -> None:
                where = name or (urn or "").rsplit("::", 1)[-1]
                findings.append(Finding(policy.name, level, message, where))  # noqa: B023

            try:
                policy.validate(args, record)  # type: ignore[arg-type]
            except UnknownValueError as error:  # none expected: the mocks know every value
                findings.append(Finding(policy.name, "advisory", f"unknown: {error.message}", name))
    return findings


def stack_file(name: str) -> Path:
    return (
        ROOT / "stacks" / f"Pulumi.{name}.yaml"
        if name in SHIPPED
        else ROOT / "tests" / "fixtures" / f"Pulumi.{name}.yaml"
    )


@pytest.mark.parametrize("stack", sorted(SHIPPED))
def test_shipped_stacks_pass_under_their_policy_config(stack):
    # GIVEN the resources the program registers for a shipped stack
    config = load(stack_file(stack))
    # WHEN the whole pack runs over them under the stack's policy config
    findings = validate(deploy(stack, config), SHIPPED[stack])
    # THEN nothing mandatory is violated
    assert failures(findings) == []
    assert [f for f in findings if f.message.startswith("unknown:")] == []


def test_dev_previews_with_advice_on_tags_and_keys():
    # GIVEN dev: images by tag, and confidential data on SageMaker without a KMS key
    config = load(stack_file("dev"))
    findings = validate(deploy("dev", config), "dev")
    # THEN the pack advises on exactly those, and blocks nothing
    assert {f.level for f in findings} <= {"advisory"}
    by_policy: dict[str, set[str]] = {}
    for finding in findings:
        by_policy.setdefault(finding.policy, set()).add(finding.where)
    expected = {"image-pinned-by-digest", "aws-sagemaker-endpointconfig-kms"}
    assert by_policy["aws-sagemaker-endpointconfig-kms"] == {"fraud-scorer-aws-dublin-config"}
    assert set(by_policy) == expected
    pinned = [f.message for f in findings if f.policy == "image-pinned-by-digest"]
    assert all(m.endswith("is not pinned by digest (@sha256:<64 hex>)") for m in pinned)
    assert {w.split("-")[0] for w in by_policy["image-pinned-by-digest"]} == {"fraud", "churn"}


@pytest.mark.parametrize("stack", sorted(BROKEN))
def test_broken_stacks_fail_on_the_named_policy(stack):
    config = load(stack_file(stack))
    findings = validate(deploy(stack, config), "prod")
    assert {f.policy for f in failures(findings)} == BROKEN[stack], failures(findings)


@pytest.mark.parametrize("stack", sorted(SHIPPED) + sorted(BROKEN))
def test_plan_and_the_pack_agree_on_every_stack(stack):
    # GIVEN a stack as `modelfleet plan` reads it and as its program registers it
    config = load(stack_file(stack))
    document = yaml.safe_load((CONFIG_DIR / f"{SHIPPED.get(stack, 'prod')}.json").read_text())
    policy = policy_config(document)
    findings = Findings()
    placements = judge_stack(resources_of(deploy(stack, config)), policy, findings)
    # THEN every placement gets the same verdict from both, and nothing is left unjudged
    pack = {(p.verdict.model, p.verdict.location): p.verdict for p in placements}
    assert pack == {(v.model, v.location): v for v in plan(config, policy)}
    assert findings.violations == []
    assert findings.unknowns == []


def test_the_residency_fixture_is_refused_for_each_us_placement():
    config = load(stack_file("broken-residency"))
    findings = validate(deploy("broken-residency", config), "prod")
    messages = {f.message for f in findings if f.policy == "modelfleet-residency"}
    assert messages == {
        f"fraud-scorer at {location} is in US (declared by its modelfleet/jurisdiction label): "
        "US is outside the model's residency (EU); policy allows restricted data only in EU, not US"
        for location in ("dallas-onprem", "store-austin")
    }
