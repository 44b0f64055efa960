"""The ClientApp a SuperNode runs: local steps on the site's own rows only.

The rows come from ``data-path`` in the SuperNode's node config: the read-only mount
of the site's partition. Nothing but weights and a row count leaves the site.
"""

from __future__ import annotations

from pathlib import Path

from flwr.app import ArrayRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp

from modelfleet_fedapp import task

app = ClientApp()


def _rows(context: Context) -> tuple[task.np.ndarray, task.np.ndarray]:
    return task.load_rows(Path(str(context.node_config["data-path"])))


@app.train()
def train(msg: Message, context: Context) -> Message:
    """Fit from the global weights on local rows; answer the new weights."""
    features, labels = _rows(context)
    arrays = msg.content["arrays"].to_numpy_ndarrays()
    epochs = int(context.run_config["local-epochs"])
    updated = task.fit(arrays, features, labels, epochs)
    content = RecordDict(
        {
            "arrays": ArrayRecord(updated),
            "metrics": MetricRecord({"num-examples": len(labels)}),
        }
    )
    return Message(content=content, reply_to=msg)


@app.evaluate()
def evaluate(msg: Message, context: Context) -> Message:
    """Accuracy of the global weights on local rows."""
    features, labels = _rows(context)
    arrays = msg.content["arrays"].to_numpy_ndarrays()
    metrics = MetricRecord(
        {"accuracy": task.accuracy(arrays, features, labels), "num-examples": len(labels)}
    )
    return Message(content=RecordDict({"metrics": metrics}), reply_to=msg)
