"""The ``modelfleet`` command as a pull request runs it: exit codes and output."""

import json
from pathlib import Path

import pytest
import yaml

from modelfleet import cli
from tests.unit.stack_examples import valid

REPO = Path(__file__).resolve().parents[2]
SHIPPED_STACKS = ["dev", "staging", "prod-eu", "prod-us"]


def write_stack(tmp_path: Path, config: dict, name: str = "t") -> Path:
    path = tmp_path / f"Pulumi.{name}.yaml"
    path.write_text(yaml.safe_dump({"config": {f"modelfleet:{k}": v for k, v in config.items()}}))
    return path


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_shipped_stacks_validate_by_name(stack, monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    assert cli.main(["validate", "--stack", stack]) == 0
    assert capsys.readouterr().out.startswith("ok: ")


def test_plan_prints_the_placement_table(monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    assert cli.main(["plan", "--stack", "prod-eu"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["model", "location", "kind", "jurisdiction", "image", "verdict"]
    assert lines[1].split() == [
        "fraud-scorer",
        "aws-frankfurt",
        "aws",
        "DE",
        "111122223333.dkr.ecr.eu-central-1.amazonaws.com/ml/fraud-scorer@sha256:"
        "9c2e7f1a4b6d8e0f2a4c6e8a0b2d4f6a8c0e2a4c6e8a0b2d4f6a8c0e2a4c6e8a",
        "allowed",
    ]
    assert len(lines) == 1 + 8 + 2  # the table, a blank line, the edge rollout line


def test_plan_says_how_many_edge_containers_swap_at_once_and_the_parallel_to_run(tmp_path, capsys):
    # GIVEN plant-lyon (a canary, then a wave of 4) limited to 3 swaps at once, placed twice
    config = valid()
    lyon = config["locations"]["plant-lyon"]
    lyon["rollout"] = {"max_parallel": 3}
    lyon["hosts"] += [
        {"name": f"gw-{n}", "docker_host": f"ssh://ops@gw-{n}.example"} for n in (3, 4, 5)
    ]
    config["placements"]["churn"].append("plant-lyon")
    # WHEN plan runs
    assert cli.main(["plan", "--stack", str(write_stack(tmp_path, config))]) == 0
    # THEN its last line gives the swaps (4 per model, at most 3 at the site) and the
    # --parallel that allows them beside 8 other operations
    assert capsys.readouterr().out.splitlines()[-1] == (
        "edge rollout: up to 3 containers swap at once; "
        "with the pulumi CLI run pulumi up --parallel 11"
    )


def test_plan_prints_no_edge_rollout_line_without_edge_placements(tmp_path, capsys):
    config = valid()
    config["placements"]["fraud-scorer"].remove("plant-lyon")
    assert cli.main(["plan", "--stack", str(write_stack(tmp_path, config))]) == 0
    assert "edge rollout" not in capsys.readouterr().out


def test_validate_refuses_an_edge_rollout_of_no_hosts_naming_its_key(tmp_path, capsys):
    config = valid()
    config["locations"]["plant-lyon"]["rollout"] = {"max_parallel": 0}
    assert cli.main(["validate", "--stack", str(write_stack(tmp_path, config))]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: modelfleet:locations.plant-lyon.rollout.max_parallel: "
        "Input should be greater than or equal to 1"
    ]


def test_plan_exits_1_and_says_why_when_a_placement_is_refused(tmp_path, capsys):
    config = valid()
    config["locations"]["dallas"] = {
        "kind": "kubernetes",
        "jurisdiction": "US",
        "context": "dallas",
    }
    config["placements"]["fraud-scorer"].append("dallas")
    assert cli.main(["plan", "--stack", str(write_stack(tmp_path, config))]) == 1
    refused = [line.split() for line in capsys.readouterr().out.splitlines() if "REFUSED" in line]
    assert refused == [
        [
            "fraud-scorer",
            "dallas",
            "kubernetes",
            "US",
            valid()["models"]["fraud-scorer"]["image"],
            *["REFUSED:", "US", "is", "outside", "the", "model's", "residency", "(EU)"],
        ]
    ]


def test_policy_config_tightens_the_rules(tmp_path, capsys):
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        yaml.safe_dump({"modelfleet-residency": {"allowed_jurisdictions": {"public": ["US"]}}})
    )
    code = cli.main(
        [
            "plan",
            "--stack",
            str(write_stack(tmp_path, valid())),
            "--policy-config",
            str(policy),
            "--format",
            "markdown",
        ]
    )
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert out[0] == "| model | location | kind | jurisdiction | image | verdict |"
    image = valid()["models"]["churn"]["image"]
    assert (
        f"| churn | munich-onprem | kubernetes | DE | {image} "
        "| REFUSED: policy allows public data only in US, not DE |" in out
    )


def test_invalid_config_exits_2_with_one_line_per_problem(tmp_path, capsys):
    config = valid()
    config["models"]["fraud-scorer"]["port"] = "http"
    config["locations"]["plant-lyon"]["hosts"][1].pop("tls")
    assert cli.main(["validate", "--stack", str(write_stack(tmp_path, config))]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "error: modelfleet:models.fraud-scorer.port: Input should be a valid integer, unable to parse string as an integer"
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        ("config: [unclosed", "YAML syntax error at line 1"),
        ("- a list", "expected a mapping with a `config` key"),
        ("config: 3", "config: expected a mapping"),
    ],
)
def test_unreadable_files_exit_2_without_traceback(tmp_path, capsys, content, message):
    path = tmp_path / "Pulumi.x.yaml"
    if content is not None:
        path.write_text(content)
    assert cli.main(["validate", "--stack", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert message in err
    assert "Traceback" not in err


def test_schema_describes_the_stack_file(capsys):
    assert cli.main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    sections = schema["properties"]["config"]["properties"]
    assert set(sections) == {
        "modelfleet:models",
        "modelfleet:locations",
        "modelfleet:placements",
        "modelfleet:federations",
    }
    assert "EdgeHost" in schema["$defs"]
    assert schema["$defs"]["EdgeHost"]["additionalProperties"] is False


def test_the_shipped_pack_configs_are_read_by_plan(monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    for stack in ("prod-eu", "prod-us"):
        assert (
            cli.main(["plan", "--stack", stack, "--policy-config", "policies/config/prod.json"])
            == 0
        )
    assert cli.main(["plan", "--stack", "dev", "--policy-config", "policies/config/dev.json"]) == 0


def test_a_bad_policy_config_exits_2_naming_the_policy(tmp_path, capsys):
    policy = tmp_path / "policy.json"
    policy.write_text('{"modelfleet-residncy": "mandatory"}')
    assert (
        cli.main(
            ["plan", "--stack", str(write_stack(tmp_path, valid())), "--policy-config", str(policy)]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert err.startswith(f"error: {policy}: modelfleet-residncy: no policy of that name")


def test_an_image_sagemaker_cannot_pull_fails_validate_not_pulumi_up(tmp_path, capsys):
    # GIVEN a model from a registry outside ECR, placed on SageMaker outside a VPC
    config = valid()
    del config["locations"]["aws-frankfurt"]["subnet_ids"]
    del config["locations"]["aws-frankfurt"]["security_group_ids"]
    # WHEN the stack is validated THEN it fails at the image, in SageMaker's own words
    assert cli.main(["validate", "--stack", str(write_stack(tmp_path, config))]) == 2
    assert capsys.readouterr().err.startswith(
        "error: modelfleet:models.fraud-scorer.image: image 'registry.example.com/ml/"
        "fraud-scorer@sha256:"
        + "a" * 64
        + "': SageMaker in eu-central-1 pulls only from Amazon ECR"
    )


def test_validate_notes_keys_a_target_does_not_use(tmp_path, capsys):
    config = valid()
    assert cli.main(["validate", "--stack", str(write_stack(tmp_path, config))]) == 0
    err = capsys.readouterr().err.splitlines()
    assert (
        "note: modelfleet:models.fraud-scorer.scaling.max: not used by the edge site at "
        "'plant-lyon': each host runs one container"
    ) in err


def federation_stack(tmp_path: Path, aggregator_jurisdiction: str) -> Path:
    """The shipped local-federation stack, its aggregator moved to another country."""
    text = (REPO / "stacks" / "Pulumi.local-federation.yaml").read_text()
    moved = text.replace("jurisdiction: DE", f"jurisdiction: {aggregator_jurisdiction}")
    path = tmp_path / "Pulumi.fed.yaml"
    path.write_text(moved)
    return path


def test_the_local_federation_stack_validates_and_notes_its_tls_is_set_later(monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    assert cli.main(["validate", "--stack", "local-federation"]) == 0
    out, err = capsys.readouterr()
    assert out == "ok: 1 models, 3 locations, 1 federations\n"
    assert err.startswith("note: modelfleet:federations.iris-fl.tls: not set, and `up` deploys")


def test_validate_refuses_an_aggregator_outside_the_residency_naming_its_key(tmp_path, capsys):
    assert cli.main(["validate", "--stack", str(federation_stack(tmp_path, "US"))]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: modelfleet:federations.iris-fl.aggregator: US is outside the model's residency (EU)"
    ]


def test_plan_prints_the_federation_table_and_refuses_an_aggregator_outside_the_residency(
    tmp_path, capsys
):
    # GIVEN the local-federation stack with its aggregator in the US, for EU data
    stack = federation_stack(tmp_path, "US")
    # WHEN plan runs THEN it exits 1, the federation table below the placement table ...
    assert cli.main(["plan", "--stack", str(stack)]) == 1
    out, err = capsys.readouterr()
    placements, federations, rollout = out.split("\n\n")
    assert rollout.startswith("edge rollout: ")
    assert [line.split()[-1] for line in placements.splitlines()[1:]] == ["allowed", "allowed"]
    rows = [line.split(None, 6) for line in federations.splitlines()]
    assert rows[0] == list(placement_header())
    assert rows[1] == [
        *("iris-fl", "iris-federated", "aggregator", "frankfurt-hub", "edge", "US"),
        "REFUSED: US is outside the model's residency (EU)",
    ]
    assert [row[2:4] + row[-1:] for row in rows[2:]] == [
        ["site", "paris-plant", "allowed"],
        ["site", "lyon-plant", "allowed"],
    ]
    # ... and names the key that refuses it
    assert err.splitlines() == [
        "refused: modelfleet:federations.iris-fl.aggregator: "
        "US is outside the model's residency (EU)"
    ]


def placement_header() -> tuple[str, ...]:
    from modelfleet.federation.placement import HEADER

    return HEADER


def test_plan_shows_an_allowed_federation_in_markdown(monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    assert cli.main(["plan", "--stack", "local-federation", "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "| federation | model | role | location | kind | jurisdiction | verdict |" in out
    assert "| iris-fl | iris-federated | aggregator | frankfurt-hub | edge | DE | allowed |" in out


def test_plan_applies_the_policy_config_to_federations(tmp_path, capsys):
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        yaml.safe_dump(
            {"modelfleet-residency": {"allowed_jurisdictions": {"confidential": ["FR"]}}}
        )
    )
    stack = federation_stack(tmp_path, "DE")
    assert cli.main(["plan", "--stack", str(stack), "--policy-config", str(policy)]) == 1
    assert capsys.readouterr().err == (
        "refused: modelfleet:federations.iris-fl.aggregator: "
        "policy allows confidential data only in FR, not DE\n"
    )


def test_a_wrong_federation_key_exits_2_naming_it(tmp_path, capsys):
    path = federation_stack(tmp_path, "DE")
    path.write_text(path.read_text().replace("rounds: 3", "rounds: 0\n      quorum: 2"))
    assert cli.main(["validate", "--stack", str(path)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: modelfleet:federations.iris-fl.rounds: Input should be greater than or equal to 1",
        "error: modelfleet:federations.iris-fl.quorum: unknown key",
    ]


def test_an_unknown_section_lists_federations_among_the_known(tmp_path, capsys):
    path = tmp_path / "Pulumi.x.yaml"
    path.write_text(yaml.safe_dump({"config": {"modelfleet:federation": {}}}))
    assert cli.main(["validate", "--stack", str(path)]) == 2
    assert capsys.readouterr().err == (
        "error: modelfleet:federation: unknown key "
        "(expected one of: models, locations, placements, federations)\n"
    )


def test_the_schema_describes_federations(capsys):
    assert cli.main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    federations = schema["properties"]["config"]["properties"]["modelfleet:federations"]
    assert list(federations["patternProperties"].values()) == [{"$ref": "#/$defs/FederationSpec"}]
    spec = schema["$defs"]["FederationSpec"]
    assert set(spec["required"]) == {"model", "aggregator", "sites"}
    assert spec["additionalProperties"] is False
    assert "SiteSpec" in schema["$defs"]


def test_federate_runs_the_runner_with_its_arguments(monkeypatch):
    from modelfleet.federation import runner

    seen: list[list[str]] = []

    def run(argv: list[str]) -> int:
        seen.append(list(argv))
        return 1

    monkeypatch.setattr(runner, "main", run)
    argv = ["--stack", "local-federation", "--federation", "iris-fl", "--version", "1.1.0"]
    assert cli.main(["federate", *argv]) == 1
    assert seen == [argv]
