"""modelfleet.rulebook: one declaration per rule, whose message every check formats."""

import pytest

from modelfleet import rulebook
from modelfleet.rulebook import Check, Rule


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
