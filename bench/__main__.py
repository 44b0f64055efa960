"""Run every benchmark, then regenerate BENCHMARKS.md and bench/results/scaling.png.

Each part runs in its own process (the mocked ones set global Pulumi state; the engine
ones drive the Automation API). The engine must be on PATH: `make bench` does that.

Usage: ``python -m bench [--quick]``; ``--quick`` runs small sizes only (a few minutes).
"""

import argparse
import subprocess
import sys
import time

from bench.machine import REPO


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    quick = ["--quick"] if parser.parse_args().quick else []
    parts = [
        ["bench.program_eval", *quick],
        ["bench.program_profile", *(["--resources", "300"] if quick else [])],
        ["bench.engine_preview", *quick],
        ["bench.edge_rollout", *quick],
        ["bench.provider_profile"],
        ["bench.registry_bandwidth"],
    ]
    parts.append(["bench.report"])
    for module, *args in parts:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", module, *args], cwd=REPO, check=True)
        print(
            f"bench: {module} {' '.join(args)} took {time.perf_counter() - start:.0f} s", flush=True
        )


if __name__ == "__main__":
    main()
