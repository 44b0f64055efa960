"""The serving app in-process (Starlette's TestClient): fast checks of its contract.

The image's integration tests prove the same contract through Docker; these pin the
behaviour that needs no container: readiness before the model loads, config from the
environment, model discovery in a directory, and the content negotiation corners.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import onnxruntime as ort
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_iris
from starlette.testclient import TestClient

IMAGE_DIR = Path(__file__).resolve().parents[2] / "images" / "model-server"
ROW = [5.1, 3.5, 1.4, 0.2]  # an iris setosa: label 0


def load_module(name: str) -> ModuleType:
    """Import a script from images/model-server/, which is not a package."""
    spec = importlib.util.spec_from_file_location(name, IMAGE_DIR / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


server = load_module("model_server")
train_model = load_module("train_model")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding one freshly trained model.onnx, like /opt/ml/model."""
    directory = tmp_path_factory.mktemp("ml-model")
    train_model.train(directory / "model.onnx")
    return directory


def client_for(model_dir: Path, **overrides: object) -> TestClient:
    """A TestClient over the app for ``model_dir`` with ``Config`` fields overridden."""
    config = server.Config(model_path=model_dir, **overrides)
    return TestClient(server.create_app(config))


@pytest.fixture
def client(model_dir: Path) -> Iterator[TestClient]:
    """A client whose app has run its lifespan, so the model is loaded."""
    with client_for(model_dir, model_version="1.0.0") as started:
        yield started


def test_ping_is_503_until_the_model_is_loaded(model_dir):
    # GIVEN an app whose lifespan has not run
    unstarted = client_for(model_dir)
    # THEN /ping and predictions are 503; after startup /ping is 200
    assert unstarted.get("/ping").status_code == 503
    assert unstarted.post("/invocations", json={"instances": [ROW]}).status_code == 503
    with unstarted:
        assert unstarted.get("/ping").json()["status"] == "ready"


def test_json_predictions_equal_onnxruntime(client, model_dir):
    rows = load_iris().data.astype(np.float32)
    session = ort.InferenceSession(str(model_dir / "model.onnx"))
    (labels,) = session.run(["label"], {"input": rows})
    response = client.post("/invocations", json={"instances": rows.tolist()})
    assert response.json() == {"predictions": labels.tolist()}
    assert response.headers["X-Model-Version"] == "1.0.0"


def test_content_type_parameters_and_case_are_ignored(client):
    response = client.post(
        "/invocations",
        content=b'{"instances": [[5.1, 3.5, 1.4, 0.2]]}',
        headers={"Content-Type": "Application/JSON; charset=utf-8"},
    )
    assert response.json() == {"predictions": [0]}


def test_csv_in_csv_out_skips_blank_lines(client):
    response = client.post(
        "/invocations",
        content=b"5.1,3.5,1.4,0.2\r\n\r\n6.7, 3.0, 5.2, 2.3\r\n",
        headers={"Content-Type": "text/csv", "Accept": "text/csv"},
    )
    assert response.text == "0\n2\n"


def test_v2_accepts_nested_data_and_omits_absent_id(client):
    response = client.post(
        "/v2/models/model/infer",
        json={"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP64", "data": [ROW]}]},
    )
    assert response.json()["outputs"][0]["data"] == [0]
    assert "id" not in response.json()


def test_fail_health_fails_readiness_but_still_predicts(model_dir):
    with client_for(model_dir, fail_health=True) as failing:
        assert failing.get("/ping").status_code == 503
        assert failing.get("/v2/health/ready").json() == {"ready": False}
        assert failing.get("/v2/models/model/ready").status_code == 503
        assert failing.post("/invocations", json={"instances": [ROW]}).status_code == 200


def test_declared_length_over_the_limit_is_413_before_reading(model_dir):
    with client_for(model_dir, max_body_bytes=10) as limited:
        response = limited.post("/invocations", json={"instances": [ROW]})
    assert response.status_code == 413
    assert "MAX_BODY_BYTES=10" in response.json()["error"]


def test_model_name_sets_the_v2_route(model_dir):
    with client_for(model_dir, model_name="iris") as named:
        assert named.get("/v2/models/iris").json()["name"] == "iris"
        assert named.get("/v2/models/model").status_code == 404


def test_config_reads_the_environment(monkeypatch):
    monkeypatch.setenv("MODEL_PATH", "/models/m.onnx")
    monkeypatch.setenv("MODEL_NAME", "iris")
    monkeypatch.setenv("MODEL_VERSION", "2.0.0")
    monkeypatch.setenv("MAX_BODY_BYTES", "100")
    monkeypatch.setenv("FAIL_HEALTH", "1")
    assert server.Config.from_env() == server.Config(
        Path("/models/m.onnx"), "iris", "2.0.0", 100, fail_health=True
    )


def test_config_defaults_match_sagemaker(monkeypatch):
    for name in ("MODEL_PATH", "MODEL_NAME", "MODEL_VERSION", "MAX_BODY_BYTES", "FAIL_HEALTH"):
        monkeypatch.delenv(name, raising=False)
    config = server.Config.from_env()
    assert config.model_path == Path("/opt/ml/model")
    assert (config.model_version, config.max_body_bytes) == ("dev", 6 * 1024 * 1024)
    assert not config.fail_health


def test_model_load_takes_a_file_or_a_directory_with_one_onnx(model_dir, tmp_path):
    assert server.Model.load(model_dir).n_features == 4
    assert server.Model.load(model_dir / "model.onnx").input_name == "input"
    with pytest.raises(FileNotFoundError, match=r"expected one \.onnx file"):
        server.Model.load(tmp_path)
    (tmp_path / "a.onnx").write_bytes(b"")
    (tmp_path / "b.onnx").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match="found"):
        server.Model.load(tmp_path)


json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=5),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(), children),
    max_leaves=30,
)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(instances=json_values, csv_body=st.binary(max_size=200), v2_data=json_values)
def test_arbitrary_input_never_gets_a_500(client, instances, csv_body, v2_data):
    # GIVEN any JSON value as "instances" or as a v2 tensor, and any bytes as CSV
    tensor = {"name": "input", "shape": [1, 4], "datatype": "FP32", "data": v2_data}
    # (json.dumps lets NaN and Infinity through, as a careless client would send them)
    as_json = {"Content-Type": "application/json"}
    responses = [
        client.post("/invocations", content=json.dumps({"instances": instances}), headers=as_json),
        client.post("/invocations", content=csv_body, headers={"Content-Type": "text/csv"}),
        client.post(
            "/v2/models/model/infer", content=json.dumps({"inputs": [tensor]}), headers=as_json
        ),
    ]
    # THEN each is answered, or refused with a 400 that says why
    for response in responses:
        assert response.status_code in (200, 400), response.text
