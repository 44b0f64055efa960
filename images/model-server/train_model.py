"""Train the image's demo classifier and export it to ONNX.

The serving image must carry a real model without any download at build time, so this
trains a scaled logistic regression on scikit-learn's bundled iris data (150 rows, 4
float features, 3 classes) and writes it as ONNX with one float32 input ``input`` of
shape ``[N, 4]`` and an int64 output ``label`` of shape ``[N]`` (plus ``probabilities``).
Training is deterministic, so the same script gives the same predictions everywhere.

Usage: ``python train_model.py [OUTPUT]`` (default ``model/model.onnx``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

# Opsets every onnxruntime >= 1.14 runs; pinned so a newer skl2onnx cannot emit a model
# that the runtime in requirements.txt refuses.
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}


def train(output: Path) -> Path:
    """Fit the classifier on iris and write it to ``output`` as ONNX."""
    features, labels = load_iris(return_X_y=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(features, labels)
    onnx_model = to_onnx(
        model,
        initial_types=[("input", FloatTensorType([None, features.shape[1]]))],
        # Plain tensors instead of a list of {class: probability} maps: cheaper to serve.
        options={id(model): {"zipmap": False}},
        target_opset=TARGET_OPSET,
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(onnx_model.SerializeToString())
    return output


if __name__ == "__main__":
    written = train(Path(sys.argv[1] if len(sys.argv) > 1 else "model/model.onnx"))
    print(f"wrote {written} ({written.stat().st_size} bytes)")
