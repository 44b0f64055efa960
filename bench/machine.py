"""What every result records about the machine: CPUs, memory, load, versions."""

import os
import platform
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"


def load() -> float:
    """The 1-minute load average: the machine is shared, so every number carries it."""
    return round(os.getloadavg()[0], 2)


def describe() -> dict[str, Any]:
    """CPUs, memory and software versions, for the report's machine line."""
    pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return {
        "machine": platform.machine(),
        "cpus": len(os.sched_getaffinity(0)),
        "memory_gib": round(pages / 2**30, 1),
        "python": sys.version.split()[0],
        "pulumi_sdk": version("pulumi"),
    }
