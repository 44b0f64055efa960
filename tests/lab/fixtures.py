"""The session's lab for the integration tier: ten hosts, ssh and TLS alternating,
100 ms round trip and 10 Mbit/s each way, the serving image loaded into every engine
over its unix socket before any test (not over the shaped link)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.lab.lab import Lab, start_lab
from tests.lab.network import Shape

REPO = Path(__file__).resolve().parents[2]
LAB_HOSTS = 10
LAB_SHAPE = Shape(delay_ms=50.0, rate_mbit=10.0)


_shared: list[Lab] = []
"""The session's one lab. Each test module imports the fixture, so pytest holds one
definition per module; all of them must share one lab (a second would take the same
addresses)."""


@pytest.fixture(scope="session")
def lab(model_server_image: str) -> Iterator[Lab]:
    """Ten lab hosts with the serving image; torn down at the end of the session."""
    if not _shared or _shared[0].stopped:
        if not Path("/usr/sbin/sshd").exists():
            subprocess.run([str(REPO / "scripts" / "install-test-tools")], check=True)
        started = start_lab(LAB_HOSTS, LAB_SHAPE)
        _shared[:] = [started]
        try:
            started.load_image(model_server_image)
        except BaseException:
            started.stop()
            raise
    try:
        yield _shared[0]
    finally:
        _shared[0].stop()  # idempotent: the first definition's teardown stops it
