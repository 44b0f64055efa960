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
        # (the Open Inference Protocol answers "false" with a 4xx)
        assert failing.get("/v2/health/ready").json() == {"ready": False}
        assert failing.get("/v2/health/ready").status_code == 400
        assert failing.get("/v2/models/model/ready").status_code == 400
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


def test_v2_server_metadata_lists_no_extensions(client):
    response = client.get("/v2")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "name": "modelfleet-model-server",
        "version": "1.0.0",
        "extensions": [],
    }


def test_v2_health_is_200_once_loaded_and_400_before(model_dir):
    # GIVEN an app whose model is not loaded yet
    unstarted = client_for(model_dir)
    # THEN it is live but neither it nor its model is ready, and it says so with a 4xx
    assert unstarted.get("/v2/health/live").status_code == 200
    assert unstarted.get("/v2/health/ready").status_code == 400
    assert unstarted.get("/v2/models/model/ready").json() == {"name": "model", "ready": False}
    with unstarted:
        assert unstarted.get("/v2/health/ready").status_code == 200
        assert unstarted.get("/v2/models/model/ready").status_code == 200


V2_TENSOR = {"name": "input", "shape": [1, 4], "datatype": "FP32", "data": ROW}


@pytest.mark.parametrize("suffix", ["", "/ready"])
def test_v2_versioned_routes_answer_for_the_served_version_only(client, suffix):
    assert client.get(f"/v2/models/model/versions/1.0.0{suffix}").status_code == 200
    unknown = client.get(f"/v2/models/model/versions/2.0.0{suffix}")
    assert unknown.status_code == 404
    assert unknown.json() == {
        "error": "unknown version '2.0.0' of model 'model'; this server serves version '1.0.0'"
    }


def test_v2_versioned_infer_answers_its_version(client):
    body = {"inputs": [V2_TENSOR]}
    response = client.post("/v2/models/model/versions/1.0.0/infer", json=body)
    assert response.json()["model_version"] == "1.0.0"
    assert response.json()["outputs"][0]["data"] == [0]
    assert client.post("/v2/models/model/versions/0.9/infer", json=body).status_code == 404


def test_v2_requested_output_and_false_binary_flags_are_plain_json(client):
    # GIVEN a request naming the label output and asking, in Triton's words, for no binary
    request = {
        "id": "42",
        "parameters": {"binary_data_output": False},
        "inputs": [V2_TENSOR],
        "outputs": [{"name": "label", "parameters": {"binary_data": False}}],
    }
    # THEN it is answered in JSON with its id
    response = client.post("/v2/models/model/infer", json=request)
    assert response.json() == {
        "id": "42",
        "model_name": "model",
        "model_version": "1.0.0",
        "outputs": [{"name": "label", "shape": [1], "datatype": "INT64", "data": [0]}],
    }


def with_request(**fields: object) -> dict[str, object]:
    """A valid v2 inference request with ``fields`` replaced."""
    return {"inputs": [V2_TENSOR], **fields}


def with_input(**fields: object) -> dict[str, object]:
    """A valid v2 inference request whose input tensor has ``fields`` replaced."""
    return {"inputs": [{**V2_TENSOR, **fields}]}


def output(**parameters: object) -> dict[str, object]:
    """A request for the label output with ``parameters``."""
    return {"outputs": [{"name": "label", "parameters": parameters}]}


EXTENSION_REQUESTS = [
    pytest.param(
        with_request(parameters={"binary_data_output": True}),
        'is not supported: request parameter "binary_data_output"; send tensors as JSON "data"',
        id="binary-output",
    ),
    pytest.param(
        with_input(parameters={"binary_data_size": 16}),
        "binary tensor data extension",
        id="binary-input",
    ),
    pytest.param(
        with_request(**output(binary_data=True)), "binary tensor data extension", id="binary-label"
    ),
    pytest.param(
        with_request(**output(classification=2)),
        "the classification extension of the Open Inference Protocol is not supported: "
        "output 'label' parameter \"classification\"",
        id="classification",
    ),
    pytest.param(
        with_input(parameters={"shared_memory_region": "r", "shared_memory_byte_size": 16}),
        "shared memory extension",
        id="shm-input",
    ),
    pytest.param(
        with_request(**output(shared_memory_region="r")), "shared memory extension", id="shm-output"
    ),
    pytest.param(
        with_request(parameters={"sequence_id": 7, "sequence_start": True}),
        "sequence extension",
        id="sequence",
    ),
    pytest.param(
        with_request(parameters={"priority": 1}), "scheduling (priority) extension", id="priority"
    ),
    pytest.param(
        with_request(parameters={"temperature": 0.5}),
        'request parameter "temperature" is not supported',
        id="unknown-parameter",
    ),
    pytest.param(
        with_request(parameters={"a": [1]}), "must be a string, number or bool", id="param-list"
    ),
    pytest.param(with_request(parameters=[]), '"parameters" must be an object', id="params-list"),
]


@pytest.mark.parametrize(("request_body", "message"), EXTENSION_REQUESTS)
def test_v2_extension_parameters_get_a_400_naming_them(client, request_body, message):
    response = client.post("/v2/models/model/infer", json=request_body)
    assert response.status_code == 400, response.text
    assert message in response.json()["error"], response.text


def test_v2_binary_body_and_compression_are_refused_by_name(client):
    binary = client.post(
        "/v2/models/model/infer",
        content=b'{"inputs": []}' + b"\0" * 16,
        headers={"Inference-Header-Content-Length": "14"},
    )
    gzipped = client.post(
        "/v2/models/model/infer", content=b"\x1f\x8b", headers={"Content-Encoding": "gzip"}
    )
    assert binary.status_code == 400
    assert "binary tensor data extension" in binary.json()["error"]
    assert "Inference-Header-Content-Length" in binary.json()["error"]
    assert (gzipped.status_code, gzipped.json()["error"]) == (
        415,
        "Content-Encoding 'gzip' is not supported; send plain JSON",
    )


@pytest.mark.parametrize(
    ("method", "path", "extension"),
    [
        ("GET", "/v2/models/stats", "statistics"),
        ("GET", "/v2/models/model/versions/1.0.0/stats", "statistics"),
        ("GET", "/v2/models/model/config", "model configuration"),
        ("POST", "/v2/repository/index", "model repository"),
        ("POST", "/v2/repository/models/model/load", "model repository"),
        ("POST", "/v2/systemsharedmemory/region/r/register", "system shared memory"),
        ("GET", "/v2/cudasharedmemory/status", "CUDA shared memory"),
        ("GET", "/v2/trace/setting", "trace"),
        ("POST", "/v2/logging", "logging"),
        ("POST", "/v2/models/model/generate", "generate"),
    ],
)
def test_v2_extension_routes_get_a_400_naming_the_extension(client, method, path, extension):
    response = client.request(method, path)
    assert response.status_code == 400, response.text
    assert response.json() == {
        "error": f"the {extension} extension of the Open Inference Protocol is not supported: "
        f"{method} {path}"
    }
    assert response.headers["X-Model-Version"] == "1.0.0"


@pytest.mark.parametrize(
    ("request_body", "message"),
    [
        (with_request(id=42), '"id" must be a string'),
        (with_input(name="x"), "unknown input 'x'; the model takes 'input'"),
        (with_input(datatype="FLOAT"), "unknown \"datatype\" 'FLOAT'; one of ['BF16', 'BOOL',"),
        (with_input(datatype="BOOL", data=[True] * 4), "datatype BOOL: the model takes numbers"),
        (with_input(shape=[True, 4]), "list of non-negative integers"),
        (with_request(outputs=[{"name": "probabilities"}]), "unknown output 'probabilities'"),
        (with_request(outputs={"name": "label"}), '"outputs" must be a list of objects'),
        ([V2_TENSOR], "the inference request must be a JSON object"),
    ],
    ids=["id-int", "input-name", "datatype", "bool", "shape-bool", "output", "outputs", "list"],
)
def test_v2_malformed_requests_get_a_400_saying_why(client, request_body, message):
    response = client.post("/v2/models/model/infer", json=request_body)
    assert response.status_code == 400, response.text
    assert message in response.json()["error"], response.text


def test_v2_infer_with_get_is_405(client):
    assert client.get("/v2/models/model/infer").status_code == 405


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
