"""Bad stack config: one clear error naming the exact key path, nothing reaches a provider."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from modelfleet.config import Classification
from modelfleet.stackfile import ConfigError, load_stack_file, parse, sections_from_stack_file
from tests.unit.stack_examples import valid

Mutation = Callable[[dict[str, Any]], None]
FRAUD = "modelfleet:models.fraud-scorer"
LYON = "modelfleet:locations.plant-lyon"


def model(c: dict[str, Any]) -> dict[str, Any]:
    return c["models"]["fraud-scorer"]


def loc(c: dict[str, Any], name: str) -> dict[str, Any]:
    return c["locations"][name]


def rename_model(c: dict[str, Any], new: str) -> None:
    c["models"][new] = c["models"].pop("fraud-scorer")
    c["placements"].pop("fraud-scorer")


BAD: list[tuple[str, Mutation, str, str]] = [
    (
        "unknown model key",
        lambda c: model(c).update(colour="red"),
        f"{FRAUD}.colour",
        "unknown key",
    ),
    (
        "model name not a DNS label",
        lambda c: rename_model(c, "Fraud_Scorer"),
        "modelfleet:models.Fraud_Scorer",
        "is not a name",
    ),
    (
        "model name too long",
        lambda c: rename_model(c, "m" * 41),
        "modelfleet:models." + "m" * 41,
        "is not a name",
    ),
    (
        "image not a reference",
        lambda c: model(c).update(image="UPPER/Case:tag"),
        f"{FRAUD}.image",
        "not an image reference",
    ),
    (
        "digest too short",
        lambda c: model(c).update(image="repo/x@sha256:abc"),
        f"{FRAUD}.image",
        "not an image reference",
    ),
    (
        "port out of range",
        lambda c: model(c).update(port=70000),
        f"{FRAUD}.port",
        "less than or equal to 65535",
    ),
    (
        "health path relative",
        lambda c: model(c).update(health_path="ping"),
        f"{FRAUD}.health_path",
        "must start with '/'",
    ),
    (
        "env name invalid",
        lambda c: model(c)["env"].update({"1BAD": "x"}),
        f"{FRAUD}.env",
        "'1BAD' is not an environment variable name",
    ),
    (
        "cpu zero",
        lambda c: model(c)["resources"].update(cpu=0),
        f"{FRAUD}.resources.cpu",
        "greater than 0",
    ),
    (
        "unknown resources key",
        lambda c: model(c)["resources"].update(disk=10),
        f"{FRAUD}.resources.disk",
        "unknown key",
    ),
    (
        "scaling max below min",
        lambda c: model(c).update(scaling={"min": 3, "max": 2}),
        f"{FRAUD}.scaling",
        "max (2) is below min (3)",
    ),
    (
        "unknown classification",
        lambda c: model(c)["data"].update(classification="secret"),
        f"{FRAUD}.data.classification",
        "'public', 'internal', 'confidential' or 'restricted'",
    ),
    (
        "unknown residency code",
        lambda c: model(c)["data"].update(residency=["XX"]),
        f"{FRAUD}.data.residency",
        "unknown jurisdiction 'XX'",
    ),
    (
        "restricted without residency",
        lambda c: model(c)["data"].pop("residency"),
        f"{FRAUD}.data.residency",
        "required for restricted data",
    ),
    (
        "missing version",
        lambda c: model(c).pop("version"),
        f"{FRAUD}.version",
        "required key is missing",
    ),
    ("missing data", lambda c: model(c).pop("data"), f"{FRAUD}.data", "required key is missing"),
    (
        "unknown location kind",
        lambda c: loc(c, "munich-onprem").update(kind="gcp"),
        "modelfleet:locations.munich-onprem",
        "unknown kind 'gcp'",
    ),
    (
        "location without kind",
        lambda c: loc(c, "munich-onprem").pop("kind"),
        "modelfleet:locations.munich-onprem",
        "missing `kind`",
    ),
    (
        "unknown aws region",
        lambda c: loc(c, "aws-frankfurt").update(region="eu-moon-1"),
        "modelfleet:locations.aws-frankfurt.region",
        "unknown AWS region 'eu-moon-1'",
    ),
    (
        "bad kms arn",
        lambda c: loc(c, "aws-frankfurt").update(kms_key_arn="alias/x"),
        "modelfleet:locations.aws-frankfurt.kms_key_arn",
        "should match pattern",
    ),
    (
        "bad subnet id",
        lambda c: loc(c, "aws-frankfurt").update(subnet_ids=["net-1"]),
        "modelfleet:locations.aws-frankfurt.subnet_ids[0]",
        "should match pattern",
    ),
    (
        "unknown azure region",
        lambda c: loc(c, "azure-westeurope").update(location="mars"),
        "modelfleet:locations.azure-westeurope.location",
        "unknown Azure region 'mars'",
    ),
    (
        "mirror above 50",
        lambda c: loc(c, "azure-westeurope")["rollout"].update(mirror_percent=60),
        "modelfleet:locations.azure-westeurope.rollout.mirror_percent",
        "less than or equal to 50",
    ),
    (
        "canary above 100",
        lambda c: loc(c, "azure-westeurope")["rollout"].update(canary_percent=120),
        "modelfleet:locations.azure-westeurope.rollout.canary_percent",
        "less than or equal to 100",
    ),
    (
        "arc compute without jurisdiction",
        lambda c: loc(c, "azure-westeurope").update(compute="arc-munich"),
        "modelfleet:locations.azure-westeurope",
        "set jurisdiction exactly when compute is set",
    ),
    (
        "jurisdiction not a code",
        lambda c: loc(c, "munich-onprem").update(jurisdiction="Germany"),
        "modelfleet:locations.munich-onprem.jurisdiction",
        "'Germany' is not an ISO 3166-1 alpha-2",
    ),
    (
        "kubeconfig and context",
        lambda c: loc(c, "munich-onprem").update(context="munich"),
        "modelfleet:locations.munich-onprem",
        "set exactly one of kubeconfig or context",
    ),
    (
        "kubeconfig wrong type",
        lambda c: loc(c, "munich-onprem").update(kubeconfig=["a"]),
        "modelfleet:locations.munich-onprem.kubeconfig",
        "expected a string or an encrypted value",
    ),
    (
        "plain tcp docker host",
        lambda c: loc(c, "plant-lyon")["hosts"][1].pop("tls"),
        f"{LYON}.hosts[1].docker_host",
        "plain tcp:// is refused",
    ),
    (
        "ssh docker host without a host",
        lambda c: loc(c, "plant-lyon")["hosts"][0].update(docker_host="ssh://ops@"),
        f"{LYON}.hosts[0].docker_host",
        "expected ssh://user@host[:port]",
    ),
    (
        "duplicate host names",
        lambda c: loc(c, "plant-lyon")["hosts"][1].update(name="gw-1"),
        f"{LYON}.hosts[1].name",
        "duplicate host name 'gw-1'",
    ),
    (
        "unknown docker scheme",
        lambda c: loc(c, "plant-lyon")["hosts"][0].update(docker_host="http://gw-1"),
        f"{LYON}.hosts[0].docker_host",
        "expected unix:///path",
    ),
    (
        "bind not an address",
        lambda c: loc(c, "plant-lyon")["hosts"][0].update(bind="localhost"),
        f"{LYON}.hosts[0].bind",
        "does not appear to be an IPv4 or IPv6 address",
    ),
    (
        "negative wave",
        lambda c: loc(c, "plant-lyon")["hosts"][0].update(wave=-1),
        f"{LYON}.hosts[0].wave",
        "greater than or equal to 0",
    ),
    (
        "no hosts",
        lambda c: loc(c, "plant-lyon").update(hosts=[]),
        f"{LYON}.hosts",
        "at least 1 item",
    ),
    (
        "tls on an ssh host",
        lambda c: loc(c, "plant-lyon")["hosts"][0].update(tls={"ca": "a", "cert": "b", "key": "c"}),
        f"{LYON}.hosts[0].tls",
        "tls only applies to tcp:// hosts",
    ),
    (
        "unknown tls key",
        lambda c: loc(c, "plant-lyon")["hosts"][1]["tls"].update(pass_phrase="x"),
        f"{LYON}.hosts[1].tls.pass_phrase",
        "unknown key",
    ),
    (
        "edge rollout of no hosts at once",
        lambda c: loc(c, "plant-lyon").update(rollout={"max_parallel": 0}),
        f"{LYON}.rollout.max_parallel",
        "greater than or equal to 1",
    ),
    (
        "edge rollout wider than 1000",
        lambda c: loc(c, "plant-lyon").update(rollout={"max_parallel": 1001}),
        f"{LYON}.rollout.max_parallel",
        "less than or equal to 1000",
    ),
    (
        "edge rollout not a number",
        lambda c: loc(c, "plant-lyon").update(rollout={"max_parallel": "many"}),
        f"{LYON}.rollout.max_parallel",
        "valid integer",
    ),
    (
        "azure's rollout key on an edge site",
        lambda c: loc(c, "plant-lyon").update(rollout={"canary_percent": 10}),
        f"{LYON}.rollout.canary_percent",
        "unknown key",
    ),
    (
        "placement of a missing model",
        lambda c: c["placements"].update(ghost=["munich-onprem"]),
        "modelfleet:placements.ghost",
        "no model of that name",
    ),
    (
        "placement at a missing location",
        lambda c: c["placements"]["churn"].append("paris"),
        "modelfleet:placements.churn[1]",
        "no location named 'paris'",
    ),
    (
        "location listed twice",
        lambda c: c["placements"]["churn"].append("munich-onprem"),
        "modelfleet:placements.churn[1]",
        "'munich-onprem' is listed twice",
    ),
    (
        "placements not a list",
        lambda c: c["placements"].update(churn="munich-onprem"),
        "modelfleet:placements.churn",
        "valid list",
    ),
    (
        "models not a mapping",
        lambda c: c.update(models=["fraud-scorer"]),
        "modelfleet:models",
        "valid dictionary",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "path", "reason"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_bad_config_names_the_key_path(mutate: Mutation, path: str, reason: str) -> None:
    # GIVEN a valid stack config with one thing wrong
    config = valid()
    mutate(config)
    # WHEN it is parsed THEN the error names exactly that key path, and only once
    with pytest.raises(ConfigError) as caught:
        parse(config)
    paths = [issue.path for issue in caught.value.issues]
    assert path in paths, caught.value.issues
    issue = caught.value.issues[paths.index(path)]
    assert reason in issue.reason, issue


def test_the_example_is_valid() -> None:
    config = parse(valid())
    assert config.models["fraud-scorer"].data.classification is Classification.RESTRICTED
    assert config.models["fraud-scorer"].published_port == 9080
    assert config.locations["azure-westeurope"].jurisdiction == "NL"


def test_unknown_modelfleet_key_in_a_stack_file_is_an_error() -> None:
    document = {"config": {"modelfleet:modles": {}, "aws:region": "eu-west-1"}}
    with pytest.raises(ConfigError) as caught:
        sections_from_stack_file(document)
    assert [str(i) for i in caught.value.issues] == [
        "modelfleet:modles: unknown key "
        "(expected one of: models, locations, placements, federations)"
    ]


def test_secrets_never_show_in_errors_or_reprs() -> None:
    config = valid()
    loc(config, "munich-onprem")["kubeconfig"] = "PLAINTEXT-KUBECONFIG"
    loc(config, "munich-onprem")["context"] = "also-set"
    with pytest.raises(ConfigError) as caught:
        parse(config)
    assert "PLAINTEXT-KUBECONFIG" not in str(caught.value)
    del loc(config, "munich-onprem")["context"]
    assert "PLAINTEXT-KUBECONFIG" not in repr(parse(config))


def test_aws_vpc_and_serverless_combinations_are_refused_at_the_key_that_breaks_them() -> None:
    config = valid()
    loc(config, "aws-frankfurt").pop("security_group_ids")
    with pytest.raises(ConfigError) as caught:
        parse(config)
    assert [str(i) for i in caught.value.issues] == [
        "modelfleet:locations.aws-frankfurt.security_group_ids: set both subnet_ids and "
        "security_group_ids for an endpoint in a VPC, or neither"
    ]
    config = valid()
    loc(config, "aws-frankfurt")["serverless"] = {"memory_mb": 2048}
    with pytest.raises(ConfigError, match="cannot run in a VPC"):
        parse(config)


def test_env_values_written_as_numbers_or_booleans_are_text() -> None:
    # `pulumi config set --path ...env.WORKERS 4` stores a number, YAML `DEBUG: true` a boolean
    config = valid()
    model(config)["env"] = {"WORKERS": 4, "DEBUG": True, "RATIO": 0.5}
    assert parse(config).models["fraud-scorer"].env == {
        "WORKERS": "4",
        "DEBUG": "true",
        "RATIO": "0.5",
    }


def stack_file(tmp_path: Path, config: dict[str, Any], **extra: Any) -> Path:
    """``config`` written as a stack file, as ``modelfleet validate`` reads it."""
    document = {f"modelfleet:{key}": value for key, value in {**config, **extra}.items()}
    path = tmp_path / "Pulumi.t.yaml"
    path.write_text(yaml.safe_dump({"config": document}))
    return path


def with_plaintext_secrets() -> dict[str, Any]:
    config = valid()
    config["models"]["churn"]["secret_env"] = {"API_TOKEN": "s3cr3t"}
    edge = loc(config, "plant-lyon")
    edge["hosts"][1]["tls"]["key"] = "-----BEGIN PRIVATE KEY-----"
    edge["registry_auth"] = {"username": "u", "password": "hunter2"}
    loc(config, "munich-onprem")["kubeconfig"] = "apiVersion: v1"
    return config


def test_a_secret_in_plain_text_in_a_stack_file_is_refused_with_the_command_that_fixes_it(
    tmp_path: Path,
) -> None:
    # GIVEN a stack file with every secret-typed key written in clear
    path = stack_file(tmp_path, with_plaintext_secrets())
    # WHEN it is validated THEN each is refused at its key path, with its fix
    with pytest.raises(ConfigError) as caught:
        load_stack_file(path)
    refused = {issue.path: issue.reason for issue in caught.value.issues}
    assert sorted(refused) == [
        "modelfleet:locations.munich-onprem.kubeconfig",
        "modelfleet:locations.plant-lyon.hosts[1].tls.key",
        "modelfleet:locations.plant-lyon.registry_auth.password",
        "modelfleet:models.churn.secret_env.API_TOKEN",
    ]
    assert refused["modelfleet:locations.plant-lyon.hosts[1].tls.key"].endswith(
        "set it with `pulumi config set --secret --path "
        "'modelfleet:locations.plant-lyon.hosts[1].tls.key' <value>`"
    )
    assert "hunter2" not in str(caught.value)
    assert "s3cr3t" not in str(caught.value)


def test_a_test_only_stack_opts_in_to_plaintext_secrets_by_one_named_key(tmp_path: Path) -> None:
    path = stack_file(tmp_path, with_plaintext_secrets(), test_only_plaintext_secrets=True)
    assert load_stack_file(path).models["churn"].secret_env["API_TOKEN"].plaintext == "s3cr3t"


def test_the_program_takes_secrets_the_engine_decrypted() -> None:
    # The engine hands the program secrets in clear: it decrypted them itself.
    assert parse(with_plaintext_secrets()).locations["munich-onprem"].kind == "kubernetes"


def test_in_the_program_a_secret_in_a_section_the_engine_holds_no_secret_in_is_refused() -> None:
    # GIVEN config as the engine hands it over: decrypted, with the keys it holds secrets in
    config = with_plaintext_secrets()
    # WHEN models holds no secret (secret_env was set without --secret) THEN it is refused
    with pytest.raises(ConfigError) as caught:
        parse(config, secret_sections=["locations"])
    assert [issue.path for issue in caught.value.issues] == [
        "modelfleet:models.churn.secret_env.API_TOKEN"
    ]
    # AND with both sections secret (each value set with --secret) it is accepted
    assert parse(config, secret_sections=["models", "locations"]).models["churn"]


def test_a_prod_like_stack_refuses_an_image_pinned_by_tag_only_at_its_key():
    # GIVEN churn by tag ("churn:dev") WHEN a prod-like stack is parsed THEN its image is named
    config = valid()
    with pytest.raises(ConfigError) as caught:
        parse(config, stack="prod-eu")
    assert [str(issue) for issue in caught.value.issues] == [
        "modelfleet:models.churn.image: stack 'prod-eu' serves real traffic: pin the image "
        "by digest (@sha256:<64 hex>), so every registry and every placement runs the same bytes"
    ]
    # AND dev may deploy by tag
    assert parse(config, stack="dev").models["churn"].image == "churn:dev"


def test_a_location_registry_that_is_no_registry_is_named_at_its_key():
    config = valid()
    location = next(iter(config["locations"]))
    config["locations"][location]["registry"] = "https://harbor.example/ml"
    with pytest.raises(ConfigError) as caught:
        parse(config)
    assert [issue.path for issue in caught.value.issues] == [
        f"modelfleet:locations.{location}.registry"
    ]
    assert "is not a registry: expected host[:port][/path]" in caught.value.issues[0].reason
