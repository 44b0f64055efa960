"""A model version bump replaces only what the design replaces (docs/replacements.md).

The blue/green rollouts rely on which input changes a provider applies in place and
which replace the resource. The table in ``docs/replacements.md`` says which, with its
source; this test reads that table, registers ``prod-eu`` under mocks before and after
a version bump, and holds every resource registered both times to it.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from modelfleet.endpoint import ModelEndpoint
from modelfleet.stack_args import endpoint_args
from tests.policy.test_stacks import load, stack_file
from tests.provider_schemas import plain
from tests.unit.conftest import RecordingMocks, RecordingMonitor, install_mocks

TABLE = Path(__file__).resolve().parents[2] / "docs" / "replacements.md"
ROW = re.compile(r"^\| `(?P<type>[^`]+)` \| (?P<replaces>.+?) \| (?P<bump>[^|]+?) \| .+\|$")
IN_PLACE = "updated in place"
REPLACED = "replaced under a new name"
BUMPED = "fraud-scorer"
NEW_DIGEST = "sha256:" + "5e" * 32


@dataclass(frozen=True)
class Rule:
    """One row of the table: which input paths replace a resource of one type."""

    replaces: tuple[str, ...]
    every_input_but: tuple[str, ...] | None
    bump: str

    def replacing(self, changed: set[str]) -> set[str]:
        """The changed paths that would replace the resource."""
        if self.every_input_but is not None:
            return {p for p in changed if not _under(p, self.every_input_but)}
        return {p for p in changed if _under(p, self.replaces)}


def rules() -> dict[str, Rule]:
    table: dict[str, Rule] = {}
    for line in TABLE.read_text().splitlines():
        match = ROW.match(line)
        if not match:
            continue
        cell = match["replaces"]
        paths = tuple(re.findall(r"`([^`]+)`", cell))
        if cell.startswith("`*`"):
            table[match["type"]] = Rule((), paths[1:], match["bump"].strip())
        else:
            table[match["type"]] = Rule(paths, None, match["bump"].strip())
    return table


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == p or path.startswith((f"{p}.", f"{p}[")) for p in prefixes)


@dataclass
class Run:
    """What one `pulumi up` would register: inputs and ignore_changes by URN."""

    types: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    ignored: dict[str, list[str]] = field(default_factory=dict)


class OptionsMonitor(RecordingMonitor):
    """Also keeps each registration's ignore_changes, by URN."""

    ignored: dict[str, list[str]]

    def RegisterResource(self, request: Any) -> Any:
        urn = self.make_urn(request.parent, request.type, request.name)
        self.ignored[urn] = list(request.ignoreChanges)
        return super().RegisterResource(request)


def register(stack_yaml: Path) -> Run:
    """Register a stack file's program under mocks, as `pulumi up` would."""
    config = load(stack_yaml)
    recorder = RecordingMocks()
    monitor = OptionsMonitor(recorder)
    monitor.ignored = {}
    install_mocks(recorder, monitor, stack="prod-eu")

    def program() -> pulumi.Output[Any]:
        endpoints = [ModelEndpoint(name, args) for name, args in endpoint_args(config).items()]
        return pulumi.Output.all(*(e.endpoint_names for e in endpoints))

    recorder.run(program)
    run = Run(ignored=monitor.ignored)
    for resource in recorder.resources:
        run.types[resource.urn] = resource.type
        run.inputs[resource.urn] = resource.inputs
    return run


def bumped_stack(tmp_path: Path) -> Path:
    """prod-eu with fraud-scorer at its next version: new image digest, new artifact."""
    document = yaml.safe_load(stack_file("prod-eu").read_text(encoding="utf-8"))
    model = document["config"]["modelfleet:models"][BUMPED]
    model["version"] = "1.5.0"
    model["image"] = model["image"].split("@")[0] + "@" + NEW_DIGEST
    model["artifact"] = model["artifact"].replace("/1.4.0/", "/1.5.0/")
    path = tmp_path / "Pulumi.prod-eu.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def changed_paths(old: Any, new: Any, path: str = "") -> set[str]:
    """Every leaf path whose value differs (secrets compared by their values)."""
    old, new = plain(old), plain(new)
    if isinstance(old, dict) and isinstance(new, dict):
        found: set[str] = set()
        for key in old.keys() | new.keys():
            found |= changed_paths(old.get(key), new.get(key), f"{path}.{key}" if path else key)
        return found
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        found = set()
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            found |= changed_paths(a, b, f"{path}[{index}]")
        return found
    return set() if old == new else {path}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Run]:
    before = register(stack_file("prod-eu"))
    after = register(bumped_stack(tmp_path_factory.mktemp("bump")))
    return before, after


def changes(runs: tuple[Run, Run]) -> dict[str, set[str]]:
    """Each surviving resource's changed input paths, without those it ignores."""
    before, after = runs
    found = {}
    for urn in before.inputs.keys() & after.inputs.keys():
        ignored = tuple(after.ignored.get(urn, []))
        paths = changed_paths(before.inputs[urn], after.inputs[urn])
        found[urn] = {p for p in paths if not _under(p, ignored)}
    return found


def test_every_resource_type_has_a_row_in_the_table(runs):
    # GIVEN every cloud, cluster and edge resource type prod-eu registers
    types = {t for t in runs[0].types.values() if not t.startswith(("modelfleet:", "pulumi:"))}
    # THEN the table says what replaces each
    assert types - set(rules()) == set(), "add the missing types to docs/replacements.md"


def test_a_version_bump_changes_only_what_each_survivor_updates_in_place(runs):
    # GIVEN prod-eu before and after fraud-scorer 1.4.0 -> 1.5.0
    table = rules()
    types = runs[1].types
    # WHEN each resource registered both times is compared
    replaced_unexpectedly = {
        urn: sorted(rule.replacing(paths))
        for urn, paths in changes(runs).items()
        if (rule := table.get(types[urn])) and rule.bump == IN_PLACE and rule.replacing(paths)
    }
    # THEN none of the survivors changes an input that would replace it
    assert replaced_unexpectedly == {}


def test_what_the_design_replaces_comes_under_a_new_name(runs):
    # GIVEN the resources the table says a version bump replaces (SageMaker model, config)
    table = rules()
    types = runs[1].types
    replaced = {
        urn: paths
        for urn, paths in changes(runs).items()
        if (rule := table.get(types[urn])) and rule.bump == REPLACED and paths
    }
    # THEN each of them changed, and changed its name, so it is created before the old
    # one is deleted without a name clash
    assert {types[urn] for urn in replaced} == {
        "aws:sagemaker/model:Model",
        "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
    }
    assert {urn: "name" in paths for urn, paths in replaced.items()} == dict.fromkeys(
        replaced, True
    )


def test_providers_do_not_change(runs):
    providers = {urn: paths for urn, paths in changes(runs).items() if "pulumi:providers:" in urn}
    assert providers, "prod-eu registers providers"
    assert {urn: paths for urn, paths in providers.items() if paths} == {}


def test_the_bump_reaches_each_target_through_an_in_place_update(runs):
    # GIVEN the survivors that carry the new version to each target
    types = runs[1].types
    updated = {types[urn] for urn, paths in changes(runs).items() if paths}
    # THEN the SageMaker endpoint moves to the new configuration, the Kubernetes
    # Deployment rolls its pods, the Azure traffic template shifts, the edge swaps
    assert {
        "aws:sagemaker/endpoint:Endpoint",
        "kubernetes:apps/v1:Deployment",
        "azure-native:resources:Deployment",
        "pulumi-python:dynamic/edge:EdgeContainer",
    } <= updated


def test_azure_gets_a_new_deployment_and_keeps_its_endpoint(runs):
    # GIVEN the Azure ML resources before and after
    before, after = runs
    online = "azure-native:machinelearningservices:Online"

    def named(run: Run, kind: str) -> set[str]:
        return {urn.rsplit("::", 1)[1] for urn, t in run.types.items() if t == online + kind}

    # THEN the endpoint is the same resource, and the deployment is a new one
    assert named(before, "Endpoint") == named(after, "Endpoint") != set()
    assert named(after, "Deployment") - named(before, "Deployment") == {
        "fraud-scorer-azure-westeurope-v1-5-0"
    }


def test_the_table_names_what_replaces_and_what_does_not():
    # GIVEN the rows of the SageMaker endpoint and model
    table = rules()
    endpoint, model = table["aws:sagemaker/endpoint:Endpoint"], table["aws:sagemaker/model:Model"]
    alarm = "deploymentConfig.autoRollbackConfiguration.alarms[0].alarmName"
    # THEN a new configuration name is in place, a renamed rollback alarm is not
    assert endpoint.replacing({"endpointConfigName", alarm, "tags.team"}) == {alarm}
    # AND any model input but its tags replaces the model
    assert model.replacing({"tags.team", "primaryContainer.image"}) == {"primaryContainer.image"}
    assert (endpoint.bump, model.bump) == (IN_PLACE, REPLACED)


def test_changed_paths_name_each_leaf_that_differs():
    old = {"spec": {"selector": {"app": "a"}, "ports": [{"port": 1}, {"port": 2}]}, "x": 1}
    new = {"spec": {"selector": {"app": "b"}, "ports": [{"port": 1}, {"port": 3}]}, "y": 1}
    assert changed_paths(old, new) == {"spec.selector.app", "spec.ports[1].port", "x", "y"}
