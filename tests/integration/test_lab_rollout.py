"""A wave of ten lab hosts, each its own engine behind a 100 ms, 10 Mbit/s link, half
reached over ssh and half over mutual TLS, rolled out by the real engine.

The stack is created with Pulumi's dynamic provider at the SDK's own width (four
workers, no ``max_parallel`` input: as stacks deployed before the rollout gate), then
served as shipped (the widened pool, the gate): that move must change nothing, and the
next version must swap more than four hosts at once, every host ending on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pulumi import automation as auto

from tests.integration.image_fixtures import model_server_image  # noqa: F401 - fixture
from tests.lab.fixtures import LAB_HOSTS, lab  # noqa: F401 - fixture
from tests.lab.lab import Lab
from tests.lab.stack import (
    HOST_PORT,
    lab_containers,
    lab_stack,
    serve,
    set_max_parallel,
    set_version,
)
from tests.lab.timeline import SwapTimeline

PARALLEL = 64
"""The engine's --parallel: wider than the wave, so only the provider could cap it."""


@pytest.fixture(scope="module")
def stock_stack(lab: Lab) -> Iterator[auto.Stack]:  # noqa: F811
    """The lab stack at 1.0.0, created with the stock dynamic provider."""
    with lab_stack(lab, mode="stock", max_parallel=None) as stack:
        stack.up(parallel=PARALLEL)
        yield stack
        stack.destroy(parallel=PARALLEL)


def use_wide_provider(stack: auto.Stack, max_parallel: int) -> None:
    """Serve the stack's containers as shipped from now on, the site's limit set."""
    serve(stack, "wide")
    set_max_parallel(stack, max_parallel)


def test_every_host_serves_after_create_over_ssh_and_tls(lab: Lab, stock_stack: auto.Stack) -> None:  # noqa: F811
    # GIVEN the stack created on ten hosts, half over ssh://, half over tcp:// with TLS
    transports = {host.docker_host.split("://")[0] for host in lab.hosts}
    # THEN each engine runs exactly one container of the model, serving 1.0.0
    containers = lab_containers(lab)
    assert transports == {"ssh", "tcp"}
    assert {name: len(found) for name, found in containers.items()} == {
        host.name: 1 for host in lab.hosts
    }
    assert {host.name: host.served_version(HOST_PORT) for host in lab.hosts} == {
        host.name: "1.0.0" for host in lab.hosts
    }


def test_moving_to_the_wide_provider_changes_nothing(lab: Lab, stock_stack: auto.Stack) -> None:  # noqa: F811
    # GIVEN containers created by the stock provider
    before = {name: [c.id for c in found] for name, found in lab_containers(lab).items()}
    # WHEN the same stack is served as shipped (wide pool, max_parallel input)
    use_wide_provider(stock_stack, LAB_HOSTS)
    result = stock_stack.up(parallel=PARALLEL)
    # THEN the engine sees no change and no container was replaced
    changes = result.summary.resource_changes or {}
    assert set(changes) == {"same"}, f"expected no changes across the provider move: {changes}"
    after = {name: [c.id for c in found] for name, found in lab_containers(lab).items()}
    assert after == before


def test_a_wave_swaps_more_than_four_hosts_at_once(lab: Lab, stock_stack: auto.Stack) -> None:  # noqa: F811
    # GIVEN the wide provider, max_parallel = the wave's size
    use_wide_provider(stock_stack, LAB_HOSTS)
    set_version(stock_stack, "1.1.0")
    # WHEN a new version rolls out to the one wave
    timeline = SwapTimeline(lab)
    try:
        result = stock_stack.up(parallel=PARALLEL)
    finally:
        swaps = timeline.close()
    # THEN every host swapped, more than four of them at one instant, and serves 1.1.0
    changes: dict[Any, int] = dict(result.summary.resource_changes or {})
    assert changes.get("update") == LAB_HOSTS, changes
    assert swaps["hosts_swapped"] == LAB_HOSTS, swaps
    assert swaps["concurrency"] > 4, f"the four-worker cap still holds: {swaps}"
    assert {host.name: host.served_version(HOST_PORT) for host in lab.hosts} == {
        host.name: "1.1.0" for host in lab.hosts
    }
    assert all(len(found) == 1 for found in lab_containers(lab).values())


def test_a_sites_max_parallel_bounds_its_swaps(lab: Lab, stock_stack: auto.Stack) -> None:  # noqa: F811
    # GIVEN the site's rollout.max_parallel lowered to 3 in the stack file
    use_wide_provider(stock_stack, 3)
    set_version(stock_stack, "1.2.0")
    # WHEN a new version rolls out to the one wave of ten
    timeline = SwapTimeline(lab)
    try:
        stock_stack.up(parallel=PARALLEL)
    finally:
        swaps = timeline.close()
    # THEN every host swapped, never more than three at one instant
    assert swaps["hosts_swapped"] == LAB_HOSTS, swaps
    assert swaps["concurrency"] == 3, swaps
    assert {host.name: host.served_version(HOST_PORT) for host in lab.hosts} == {
        host.name: "1.2.0" for host in lab.hosts
    }
