"""modelfleet.rulebook: one declaration per rule, whose message every check formats."""

import pytest

from modelfleet import rulebook
from modelfleet.errors import EdgeHostError
from modelfleet.policy.read.types import EDGE_CONTAINER
from modelfleet.rulebook import Check, Rule
from modelfleet.stackfile import ConfigError, parse
from modelfleet.targets.edge.connect import EdgeTarget, docker_client
from tests.policy.builders import Spec, run, stack_config


@pytest.mark.parametrize("rule", rulebook.RULES.values(), ids=lambda r: r.id)
def test_each_rule_formats_with_its_own_placeholders(rule: Rule):
    assert rule.text(**dict.fromkeys(rule.placeholders(), "X"))
    assert rule.id == rule.id.lower()
    assert " " not in rule.id


@pytest.mark.parametrize("rule", rulebook.RULES.values(), ids=lambda r: r.id)
def test_a_rule_checked_by_the_pack_names_its_policy_and_the_policy_is_a_rule(rule: Rule):
    assert (Check.POLICY in rule.checked) == (rule.policy is not None)
    if rule.policy is not None:
        assert Check.POLICY in rulebook.RULES[rule.policy].checked


def test_the_caller_only_adds_what_the_rule_is_about():
    assert rulebook.AWS_REGION.at("location 'x'", region="mars-1") == (
        "location 'x': unknown AWS region 'mars-1'"
    )


def test_an_id_is_declared_once():
    with pytest.raises(ValueError, match="declared twice"):
        rulebook.rule("aws-region-known", "again", Check.VALIDATE)
    assert rulebook.RULES["aws-region-known"] is rulebook.AWS_REGION


def test_a_value_the_message_does_not_take_is_a_mistake_not_ignored():
    with pytest.raises(TypeError, match="takes \\['region'\\], given \\['url'\\]"):
        rulebook.AWS_REGION.text(url="x")
    with pytest.raises(TypeError, match="given \\[\\]"):
        rulebook.AWS_REGION.text()


def test_plain_tcp_is_refused_in_the_same_words_by_validate_the_target_and_the_pack():
    # GIVEN an edge host reached over plain tcp://, and the rule's words
    words = rulebook.EDGE_PLAIN_TCP.text()
    raw = stack_config(
        {"classification": "internal"},
        "plant",
        {
            "kind": "edge",
            "jurisdiction": "FR",
            "hosts": [{"name": "gw", "docker_host": "tcp://gw:2375"}],
        },
    )
    # WHEN validate, the edge target and the policy pack each meet it
    with pytest.raises(ConfigError) as validated:
        parse(raw)
    target = EdgeTarget(host="gw", location="plant", docker_host="tcp://gw:2375")
    with pytest.raises(EdgeHostError) as built, docker_client(target):
        pass
    container = Spec(EDGE_CONTAINER, "fraud-scorer-plant-gw", {"docker_host": "tcp://gw:2375"})
    checked = run(rulebook.EDGE_SECURE_TRANSPORT.id, container.resource_args())
    # THEN each says the rule's words after what it is about
    assert [str(issue) for issue in validated.value.issues] == [
        f"modelfleet:locations.plant.hosts[0].docker_host: {words}"
    ]
    assert str(built.value) == f"{target}: {words}"
    assert checked.messages == [f"Docker host 'tcp://gw:2375': {words}"]
