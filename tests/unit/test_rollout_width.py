"""How many edge containers swap at once, and the engine ``--parallel`` that lets them."""

from typing import Any

from modelfleet.config import StackConfig
from modelfleet.rollout_width import ENGINE_PARALLEL, RolloutWidth, rollout_width


def edge_site(waves: list[int], **extra: Any) -> dict[str, Any]:
    hosts = [
        {"name": f"gw-{index}", "docker_host": "unix:///var/run/docker.sock", "wave": wave}
        for index, wave in enumerate(waves)
    ]
    return {"kind": "edge", "jurisdiction": "FR", "hosts": hosts, **extra}


def stack(placements: dict[str, list[str]]) -> StackConfig:
    model = {"version": "1", "image": "iris:dev", "data": {"classification": "public"}}
    return StackConfig.model_validate(
        {
            "models": dict.fromkeys(placements, model),
            "locations": {
                # a canary, then a wave of 5; at most 3 at once
                "lyon": edge_site([0, 1, 1, 1, 1, 1], rollout={"max_parallel": 3}),
                # one wave of 2, the default limit (16)
                "nice": edge_site([1, 1]),
                "munich": {"kind": "kubernetes", "jurisdiction": "DE", "context": "munich"},
            },
            "placements": placements,
        }
    )


def test_each_site_adds_its_widest_wave_per_model_capped_by_its_own_limit():
    # GIVEN two models on lyon and on nice, and a Kubernetes placement
    config = stack({"iris": ["lyon", "nice", "munich"], "churn": ["lyon", "nice"]})
    # WHEN the width is computed
    width = rollout_width(config)
    # THEN lyon adds its limit (5 hosts x 2 models, at most 3: the provider gates per
    # site), nice its wave of 2 once per model; the engine gets that on top of 8
    assert width == RolloutWidth(swaps=3 + 2 * 2, parallel=ENGINE_PARALLEL + 7)


def test_a_stack_without_edge_placements_keeps_the_engine_s_default():
    # GIVEN edge sites that no model is placed on
    config = stack({"iris": ["munich"]})
    # THEN nothing swaps on the edge and the engine keeps its own width
    assert rollout_width(config) == RolloutWidth(swaps=0, parallel=8)
