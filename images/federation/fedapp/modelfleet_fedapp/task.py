"""The model both sides share: a multinomial logistic regression over float features.

Its state is two arrays, ``coef`` (classes x features) and ``intercept`` (classes),
so federated averaging is a weighted mean of each. Rows are CSV lines of features
then an integer label, the format ``modelfleet.federation.data`` writes per site.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

CLASSES = np.array([0, 1, 2])
FEATURES = 4
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}
"""The serving image's opsets (images/model-server/train_model.py)."""


def load_rows(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels of one CSV file (no header)."""
    rows = np.loadtxt(path, delimiter=",", ndmin=2)
    return rows[:, :FEATURES], rows[:, FEATURES].astype(np.int64)


def initial_arrays() -> list[np.ndarray]:
    """Zero weights: every site starts from the same model."""
    return [np.zeros((len(CLASSES), FEATURES)), np.zeros(len(CLASSES))]


def model_of(arrays: list[np.ndarray]) -> LogisticRegression:
    """A fitted-looking classifier carrying ``arrays`` as its weights."""
    model = LogisticRegression(max_iter=1)
    model.classes_ = CLASSES
    model.coef_ = np.array(arrays[0], dtype=np.float64)
    model.intercept_ = np.array(arrays[1], dtype=np.float64)
    model.n_features_in_ = FEATURES
    return model


def fit(
    arrays: list[np.ndarray], features: np.ndarray, labels: np.ndarray, epochs: int
) -> list[np.ndarray]:
    """``epochs`` solver iterations on local rows, starting from the global weights."""
    model = LogisticRegression(max_iter=epochs, warm_start=True)
    model.classes_ = CLASSES
    model.coef_ = np.array(arrays[0], dtype=np.float64)
    model.intercept_ = np.array(arrays[1], dtype=np.float64)
    # Fewer iterations than convergence needs is the point of a local step.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(features, labels)
    return [model.coef_, model.intercept_]


def accuracy(arrays: list[np.ndarray], features: np.ndarray, labels: np.ndarray) -> float:
    """Share of rows the weights classify right."""
    return float((model_of(arrays).predict(features) == labels).mean())


def to_onnx_bytes(arrays: list[np.ndarray]) -> bytes:
    """The weights as the serving image's model: input ``input`` [N, 4], output ``label``."""
    model = model_of(arrays)
    onnx_model = to_onnx(
        model,
        initial_types=[("input", FloatTensorType([None, FEATURES]))],
        options={id(model): {"zipmap": False}},
        target_opset=TARGET_OPSET,
    )
    return bytes(onnx_model.SerializeToString())
