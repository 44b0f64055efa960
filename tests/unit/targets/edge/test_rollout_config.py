"""``rollout.max_parallel``: from a site's config to each container's input, never a diff.

The provider gates swaps per site by the container input ``max_parallel``
(``rollout.slot``); containers already in state have no such input, so adding it must
leave them untouched.
"""

from typing import Any

from modelfleet.endpoint import ModelEndpoint
from modelfleet.stack_args import endpoint_args
from modelfleet.stackfile import parse
from modelfleet.targets.edge.crud import EdgeContainerProvider
from modelfleet.targets.edge.plan import container_args
from modelfleet.targets.edge.rollout import DEFAULT_MAX_PARALLEL, LIMIT_KEY
from tests.unit.conftest import RecordingMocks
from tests.unit.stack_examples import valid
from tests.unit.targets.args import edge_location, model
from tests.unit.targets.edge.test_component import CONTAINER, OLDS


def test_a_site_s_max_parallel_reaches_every_container_and_defaults_to_16():
    # GIVEN a site that limits its swaps to 3, and one that says nothing
    limited = edge_location(rollout={"max_parallel": 3})
    unsaid = edge_location()
    # WHEN each host's container args are planned
    planned = [container_args(model(), limited, host) for host in limited["hosts"]]
    default = container_args(model(), unsaid, unsaid["hosts"][0])
    # THEN the provider's gate reads the site's limit from every container, else the default
    assert [args[LIMIT_KEY] for args in planned] == [3, 3]  # type: ignore[literal-required]
    assert default[LIMIT_KEY] == DEFAULT_MAX_PARALLEL == 16  # type: ignore[literal-required]


def test_a_container_deployed_before_max_parallel_existed_shows_no_change():
    # GIVEN a running container's state without the input, and new inputs carrying it
    provider = EdgeContainerProvider()
    olds = {key: value for key, value in OLDS.items() if key != LIMIT_KEY}
    # WHEN the provider diffs them, and diffs a later change of the limit alone
    added = provider.diff("id", olds, {**olds, LIMIT_KEY: 16})
    lowered = provider.diff("id", {**olds, LIMIT_KEY: 16}, {**olds, LIMIT_KEY: 2})
    # THEN neither is a change: nothing is rebuilt, replaced or even updated
    assert (added.changes, added.replaces) == (False, [])
    assert (lowered.changes, lowered.replaces) == (False, [])


def test_the_stack_config_key_reaches_the_containers_of_that_site_only(mocks: RecordingMocks):
    # GIVEN plant-lyon limited to 2 swaps at once, and another site that says nothing
    config: dict[str, Any] = valid()
    config["locations"]["plant-lyon"]["rollout"] = {"max_parallel": 2}
    config["locations"]["plant-nice"] = {
        "kind": "edge",
        "jurisdiction": "FR",
        "hosts": [{"name": "gw-1", "docker_host": "unix:///var/run/docker.sock"}],
    }
    config["placements"]["fraud-scorer"] = ["plant-lyon", "plant-nice"]
    args = endpoint_args(parse(config, decrypted=False), secret=lambda value: "secret")
    # WHEN the program builds the model's endpoint
    mocks.run(lambda: ModelEndpoint("fraud-scorer", args["fraud-scorer"]).urls)
    # THEN each container carries its own site's limit
    limits = {r.name: r.inputs[LIMIT_KEY] for r in mocks.of_type(CONTAINER)}
    assert limits == {
        "fraud-scorer-plant-lyon-gw-1": 2,
        "fraud-scorer-plant-lyon-gw-2": 2,
        "fraud-scorer-plant-nice-gw-1": DEFAULT_MAX_PARALLEL,
    }
