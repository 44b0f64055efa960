"""modelfleet.policy.pack_config: policy config files, as the engine and ``modelfleet plan`` read them."""

import re

import pytest

from modelfleet.config import Classification
from modelfleet.policy.pack import BY_NAME
from modelfleet.policy.pack_config import pack_config_schema, policy_config, reconcile
from modelfleet.rules import PolicyConfig
from tests.policy.builders import config_file

# --- config files ------------------------------------------------------------------------


def test_dev_config_makes_every_policy_advisory():
    settings = reconcile(config_file("dev"))
    assert {s.enforcement for s in settings.values()} == {"advisory"}


def test_prod_config_makes_every_policy_mandatory_but_the_label_advice():
    settings = reconcile(config_file("prod"))
    assert {name: s.enforcement for name, s in settings.items()} == {
        name: "advisory" if name == "modelfleet-labels-present" else "mandatory" for name in BY_NAME
    }


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_a_policys_own_entry_overrides_all_and_its_default(name):
    level = BY_NAME[name].enforcement_level
    assert level is not None
    assert reconcile({})[name].enforcement == level.value
    settings = reconcile({"all": "mandatory", name: {"enforcementLevel": "disabled"}})
    assert settings[name].enforcement == "disabled"
    assert {s.enforcement for n, s in settings.items() if n != name} == {"mandatory"}


def test_schema_defaults_fill_what_the_file_leaves_out():
    settings = reconcile({})
    assert settings["modelfleet-residency"].properties == {"allowed_jurisdictions": {}}
    assert settings["image-registry-allowed"].properties == {"registries": []}


def test_prod_config_is_the_policy_config_plan_reads():
    assert policy_config(config_file("prod")) == PolicyConfig(
        allowed_jurisdictions={
            Classification.RESTRICTED: ["EU"],
            Classification.CONFIDENTIAL: ["EEA", "CH", "GB", "US"],
        },
        registries=["111122223333.dkr.ecr.*.amazonaws.com", "444455556666.dkr.ecr.*.amazonaws.com"],
        enforcement={
            name: "advisory" if name == "modelfleet-labels-present" else "mandatory"
            for name in BY_NAME
        },
    )


@pytest.mark.parametrize(
    ("document", "error"),
    [
        ({"no-such-policy": "advisory"}, "no-such-policy: no policy of that name"),
        ({"all": "blocking"}, "all: 'blocking' is not an enforcement level"),
        (
            {"image-registry-allowed": {"registry": []}},
            "image-registry-allowed.registry: unknown property",
        ),
        (
            {"modelfleet-residency": {"allowed_jurisdictions": {"secret": ["EU"]}}},
            "allowed_jurisdictions.secret",
        ),
    ],
)
def test_a_bad_config_file_is_refused_naming_the_key(document, error):
    with pytest.raises(ValueError, match=re.escape(error)):
        reconcile(document)


def test_the_config_schema_covers_every_policy_and_the_example_files():
    schema = pack_config_schema()
    assert set(schema["properties"]) == {"all", *BY_NAME}
    for name in ("dev", "prod"):
        for key, value in config_file(name).items():
            entry = schema["properties"][key]["oneOf"]
            if isinstance(value, str):
                assert value in entry[0]["enum"]
            else:
                assert set(value) <= set(entry[1]["properties"]), (name, key)
    residency = schema["properties"]["modelfleet-residency"]["oneOf"][1]["properties"]
    assert set(residency["allowed_jurisdictions"]["properties"]) == {
        c.value for c in Classification
    }
