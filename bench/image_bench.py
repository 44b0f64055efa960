"""Benchmark the serving image: size, cold start, latency and throughput over loopback.

Not a test: it measures and reports against the targets (image <= 250 MB, cold start
<= 2 s, p99 <= 10 ms for one row) and writes ``bench/results/image.json``. The floor is
the same ONNX model run in-process by onnxruntime, so the ratio shows what HTTP, JSON
and Docker's port forwarding cost on top of inference.

Usage: ``python bench/image_bench.py [--requests 2000] [--version dev]`` from the repo
root; builds the image first with scripts/build-images (cached after the first build).
Every request goes to 127.0.0.1 and every container started here is removed.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import docker
import numpy as np
import onnxruntime as ort

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "image.json"
TARGETS = {"image_mb": 250.0, "cold_start_s": 2.0, "p99_ms": 10.0}
ROW = [5.1, 3.5, 1.4, 0.2]
BODY = json.dumps({"instances": [ROW]}).encode()
HEADERS = {"Content-Type": "application/json"}
COLD_STARTS = 5
CONCURRENCY = (1, 8)


@contextmanager
def container(client: docker.DockerClient, image: str) -> Iterator[tuple[int, float]]:
    """Run one serving container; yield (host port, seconds from run to first 200)."""
    start = time.perf_counter()
    running = client.containers.run(image, detach=True, ports={"8080/tcp": ("127.0.0.1", None)})
    try:
        running.reload()
        port = int(running.ports["8080/tcp"][0]["HostPort"])
        deadline = start + 60
        while time.perf_counter() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                connection.request("GET", "/ping")
                if connection.getresponse().status == 200:
                    break
            except OSError:  # port forwarded before the server listens
                pass
            time.sleep(0.005)
        else:
            raise RuntimeError(f"no 200 from /ping in 60 s:\n{running.logs().decode()}")
        yield port, time.perf_counter() - start
    finally:
        running.remove(force=True)


def post_times(port: int, count: int) -> list[float]:
    """Seconds for each of ``count`` single-row POSTs on one kept-alive connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    times = []
    for _ in range(count):
        start = time.perf_counter()
        connection.request("POST", "/invocations", BODY, HEADERS)
        response = connection.getresponse()
        response.read()
        times.append(time.perf_counter() - start)
        if response.status != 200:
            raise RuntimeError(f"POST /invocations answered {response.status}")
    connection.close()
    return times


def throughput(port: int, concurrency: int, total: int) -> float:
    """Requests per second with ``concurrency`` clients sharing ``total`` requests."""
    per_client = total // concurrency
    threads = [
        threading.Thread(target=post_times, args=(port, per_client)) for _ in range(concurrency)
    ]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return per_client * concurrency / (time.perf_counter() - start)


def percentile_ms(times: list[float], q: float) -> float:
    """The ``q``-th percentile of ``times`` in milliseconds."""
    return float(np.percentile(np.array(times) * 1000, q))


def image_model(client: docker.DockerClient, image: str) -> bytes:
    """The bytes of the model.onnx inside ``image``."""
    created = client.containers.create(image)
    try:
        archive, _ = created.get_archive("/opt/ml/model/model.onnx")
    finally:
        created.remove(force=True)
    with tarfile.open(fileobj=io.BytesIO(b"".join(archive))) as tar:
        member = tar.extractfile("model.onnx")
        assert member is not None
        return member.read()


def in_process(model: bytes, count: int) -> dict[str, float]:
    """The floor: the model run in this process, one row at a time, as the server runs it."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    row = np.array([ROW], dtype=np.float32)
    for _ in range(200):
        session.run(["label"], {"input": row})
    times = []
    for _ in range(count):
        start = time.perf_counter()
        session.run(["label"], {"input": row})
        times.append(time.perf_counter() - start)
    return {
        "p50_ms": percentile_ms(times, 50),
        "p99_ms": percentile_ms(times, 99),
        "rps": count / sum(times),
    }


def build(version: str) -> tuple[str, str, float]:
    """Build (or find cached) the image; its tag, its base and the seconds it took."""
    start = time.perf_counter()
    done = subprocess.run(
        [str(REPO / "scripts" / "build-images"), version],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = time.perf_counter() - start
    found = re.search(r"^build-images: (\S+) on (\S+)$", done.stdout, re.MULTILINE)
    assert found, done.stdout
    return found.group(1), found.group(2), seconds


def markdown(result: dict) -> str:
    """The "Serving image" section of BENCHMARKS.md for ``result``."""
    s, t, load = result["server"], TARGETS, result["load_avg_1m"]
    floor = result["in_process"]
    lines = [
        "## Serving image",
        "",
        f"`modelfleet/model-server:{result['version']}` on `{result['base_image']}`, "
        f"{result['machine']}, 1-minute load average {load['before']:.1f} -> "
        f"{load['after']:.1f} (other work on the machine inflates p99 and cold start). "
        "Reproduce: `python bench/image_bench.py`.",
        "",
        "| measure | value | target |",
        "| --- | --- | --- |",
        f"| image size | {result['image_mb']:.0f} MB | <= {t['image_mb']:.0f} MB |",
        f"| rebuild, layer cache warm | {result['cached_build_s']:.1f} s | |",
        f"| cold start (run -> first 200 on /ping), median of {COLD_STARTS} | "
        f"{result['cold_start_s']['median']:.2f} s | <= {t['cold_start_s']:.0f} s |",
        f"| one-row POST /invocations p50 / p99 ({result['requests']} requests) | "
        f"{s['p50_ms']:.2f} / {s['p99_ms']:.2f} ms | p99 <= {t['p99_ms']:.0f} ms |",
        f"| in-process onnxruntime p50 / p99 (floor) | "
        f"{floor['p50_ms']:.3f} / {floor['p99_ms']:.3f} ms | |",
        f"| p50 ratio server / floor | {s['p50_ms'] / floor['p50_ms']:.0f}x | |",
    ]
    for concurrency, rps in result["throughput_rps"].items():
        lines.append(f"| throughput, concurrency {concurrency} | {rps:.0f} req/s | |")
    lines.append(f"| in-process throughput (floor) | {floor['rps']:.0f} req/s | |")
    return "\n".join(lines)


def main() -> None:
    """Measure, write the JSON results and print the markdown section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--version", default="dev")
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    image, base, cached_build_s = build(args.version)
    client = docker.from_env()
    try:
        size = client.images.get(image).attrs["Size"]
        cold = []
        for _ in range(COLD_STARTS):
            with container(client, image) as (_, seconds):
                cold.append(seconds)
        with container(client, image) as (port, _):
            post_times(port, 200)  # warm the connection path and the model
            times = post_times(port, args.requests)
            rps = {str(c): throughput(port, c, args.requests * 2) for c in CONCURRENCY}
        floor = in_process(image_model(client, image), args.requests)
    finally:
        client.close()

    result = {
        "version": args.version,
        "base_image": base,
        "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} CPUs, "
        f"Python {sys.version.split()[0]} client",
        "load_avg_1m": {"before": load_before, "after": os.getloadavg()[0]},
        "image_mb": size / 1e6,
        "cached_build_s": cached_build_s,
        "cold_start_s": {"runs": cold, "median": statistics.median(cold)},
        "requests": args.requests,
        "server": {"p50_ms": percentile_ms(times, 50), "p99_ms": percentile_ms(times, 99)},
        "throughput_rps": rps,
        "in_process": floor,
        "targets": TARGETS,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(markdown(result))


if __name__ == "__main__":
    main()
