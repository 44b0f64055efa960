"""kubernetes-namespace-created-once: a created namespace is one model's, refused before `up`."""

from pathlib import Path

import yaml

from modelfleet import cli
from modelfleet.targets.kubernetes.checks import placement_issues
from tests.unit.stack_examples import valid
from tests.unit.targets.args import kubernetes_location

KEY = "modelfleet:locations.munich-onprem.create_namespace"


def validate(tmp_path: Path, config: dict) -> int:
    path = tmp_path / "Pulumi.t.yaml"
    path.write_text(yaml.safe_dump({"config": {f"modelfleet:{k}": v for k, v in config.items()}}))
    return cli.main(["validate", "--stack", str(path)])


def test_two_models_creating_one_namespace_fail_validate_at_the_location_s_key(tmp_path, capsys):
    # GIVEN churn and fraud-scorer both placed at munich-onprem, which creates its namespace
    config = valid()
    config["locations"]["munich-onprem"]["create_namespace"] = True
    # WHEN the stack is validated THEN it exits 2 naming the key, the models and the way out
    assert validate(tmp_path, config) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: {KEY}: models churn, fraud-scorer are placed here, and each would create "
        "namespace 'models' as a resource of its own (the second create fails on the "
        "cluster): create the namespace once outside modelfleet and set create_namespace "
        "to false, or place one model here"
    ]


def test_one_model_may_create_its_namespace(tmp_path, capsys):
    config = valid()
    config["locations"]["munich-onprem"]["create_namespace"] = True
    del config["placements"]["churn"]
    assert validate(tmp_path, config) == 0


def test_an_existing_namespace_is_shared_by_any_number_of_models():
    location = kubernetes_location(create_namespace=False)
    assert placement_issues(location, ["fraud-scorer", "churn", "demand-forecast"]) == []
