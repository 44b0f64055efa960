"""The probe a container runs on itself: Docker's healthcheck, and the loop an update
runs inside a staged container its provider cannot reach. Run here by ``/bin/sh``
against a real HTTP server, as the container's shell would run it."""

from __future__ import annotations

import http.server
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest

from modelfleet.targets.edge.health import healthcheck


class Server(http.server.ThreadingHTTPServer):
    ready_at: float


class Handler(http.server.BaseHTTPRequestHandler):
    server: Server

    def do_GET(self) -> None:
        ready = self.path == "/ping" and time.monotonic() >= self.server.ready_at
        self.send_response(200 if ready else 503)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[Server]:
    """/ping answers 503 until ``ready_at``, then 200; every other path 503."""
    running = Server(("127.0.0.1", 0), Handler)
    running.ready_at = 0.0
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    yield running
    running.shutdown()


def probe(server: Server, path: str, seconds: float) -> tuple[int, float]:
    started = time.monotonic()
    command = healthcheck(server.server_address[1], path, seconds)
    done = subprocess.run(["/bin/sh", "-c", command], capture_output=True, timeout=30)
    return done.returncode, time.monotonic() - started


def test_a_healthy_path_passes_the_single_check(server: Server) -> None:
    assert probe(server, "/ping", 0)[0] == 0


def test_a_503_fails_the_single_check_at_once(server: Server) -> None:
    code, seconds = probe(server, "/other", 0)
    assert code == 1
    assert seconds < 2


def test_the_loop_returns_as_soon_as_a_loading_model_answers(server: Server) -> None:
    # GIVEN a model that answers 200 only after 0.6 s
    server.ready_at = time.monotonic() + 0.6
    # WHEN the loop may ask for 20 s, THEN it passes soon after 0.6 s
    code, seconds = probe(server, "/ping", 20)
    assert code == 0
    assert 0.6 <= seconds < 5


def test_the_loop_gives_up_when_its_time_is_over(server: Server) -> None:
    code, seconds = probe(server, "/other", 1)
    assert code == 1
    assert 1 <= seconds < 5
