"""The ServerApp the SuperLink runs: FedAvg for N rounds, then the model as ONNX.

A loop of its own rather than ``FedAvg.start``: that one waits forever for
``min_available_nodes`` and aggregates whatever answered. A federation here must end
with a clear verdict: a round with fewer answering sites than ``min-clients`` fails
the run naming the round and the counts; otherwise it averages those that answered.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from flwr.app import ArrayRecord, ConfigRecord, Context, Message, MessageType, RecordDict
from flwr.serverapp import Grid, ServerApp

from modelfleet_fedapp import task

app = ServerApp()


class FederationError(RuntimeError):
    """Too few sites answered for the federation's ``min-clients``."""


def _wait_for_sites(grid: Grid, expected: int, minimum: int, wait_s: float) -> list[int]:
    """Every site, or as many as connected within ``wait_s`` if that is at least ``minimum``."""
    deadline = time.monotonic() + wait_s
    while len(nodes := sorted(grid.get_node_ids())) < expected:
        if time.monotonic() >= deadline:
            if len(nodes) >= minimum:
                break
            raise FederationError(
                f"{len(nodes)} of {expected} site(s) connected within {wait_s:g} s; "
                f"min-clients is {minimum}"
            )
        time.sleep(1)
    return nodes


def _average(replies: list[Message]) -> list[np.ndarray]:
    """FedAvg: each array weighted by the rows its site trained on."""
    weights = np.array([r.content["metrics"]["num-examples"] for r in replies], dtype=float)
    stacks = zip(*(r.content["arrays"].to_numpy_ndarrays() for r in replies), strict=True)
    return [np.average(np.stack(arrays), axis=0, weights=weights) for arrays in stacks]


def _round(
    grid: Grid, number: int, arrays: list[np.ndarray], context: Context
) -> tuple[list[np.ndarray], int]:
    config = context.run_config
    minimum = int(config["min-clients"])
    nodes = _wait_for_sites(grid, int(config["sites"]), minimum, float(config["wait-for-sites-s"]))
    record = RecordDict(
        {"arrays": ArrayRecord(arrays), "config": ConfigRecord({"server-round": number})}
    )
    messages = [Message(record, dst_node_id=node, message_type=MessageType.TRAIN) for node in nodes]
    replies = grid.send_and_receive(messages, timeout=float(config["round-timeout-s"]))
    answered = [reply for reply in replies if not reply.has_error()]
    if len(answered) < minimum:
        raise FederationError(
            f"round {number}: {len(answered)} of {len(nodes)} site(s) answered within "
            f"{float(config['round-timeout-s']):g} s; min-clients is {minimum}"
        )
    return _average(answered), len(answered)


@app.main()
def main(grid: Grid, context: Context) -> None:
    """Run the rounds, then write ``model.onnx`` to ``output-dir``.

    ``rounds.json`` there grows after every round: how far a run got, as it goes.
    """
    out = Path(str(context.run_config["output-dir"]))
    out.mkdir(parents=True, exist_ok=True)
    arrays = task.initial_arrays()
    history = []
    try:
        for number in range(1, int(context.run_config["num-server-rounds"]) + 1):
            arrays, answered = _round(grid, number, arrays, context)
            history.append({"round": number, "sites": answered})
            (out / "rounds.json").write_text(json.dumps(history))
    except FederationError as error:
        (out / "error.txt").write_text(str(error))
        raise
    (out / "model.onnx").write_bytes(task.to_onnx_bytes(arrays))
