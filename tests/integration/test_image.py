"""The serving image, built and run in real Docker: health, real predictions, bad input.

Predictions are compared with the image's own ONNX file run in-process by onnxruntime,
so the test proves the HTTP layer adds nothing and loses nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import numpy as np
import onnxruntime as ort
import pytest
import requests
import tritonclient.http as v2  # type: ignore[import-untyped]
from sklearn.datasets import load_iris
from tritonclient.utils import InferenceServerException  # type: ignore[import-untyped]

from tests.integration.image_fixtures import (
    SMALL_BODY_LIMIT,
    ModelServer,
    build_image,
    model_servers,
)

SIZE_TARGET_BYTES = 250 * 1000 * 1000
HEALTH_TIMEOUT_S = 60.0
JSON = {"Content-Type": "application/json"}
CSV = {"Content-Type": "text/csv"}
ROW = [5.1, 3.5, 1.4, 0.2]  # an iris setosa: label 0


@pytest.fixture(scope="module")
def rows() -> np.ndarray:
    """Every iris row plus points around and between the classes: float32 [N, 4]."""
    iris = load_iris().data.astype(np.float32)
    rng = np.random.default_rng(7)
    noisy = iris[rng.integers(0, len(iris), 100)] + rng.normal(0, 0.8, (100, 4))
    return np.vstack([iris, noisy.astype(np.float32)])


@pytest.fixture(scope="module")
def expected(rows: np.ndarray, model_server_onnx: Path) -> list[int]:
    """The labels onnxruntime gives in-process for ``rows``."""
    session = ort.InferenceSession(str(model_server_onnx), providers=["CPUExecutionProvider"])
    (labels,) = session.run(["label"], {"input": rows})
    return [int(label) for label in labels]


def wait_for_health(server: ModelServer, wanted: str) -> list[str]:
    """Poll Docker's health status until ``wanted``; every status seen on the way."""
    seen = []
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    while time.monotonic() < deadline:
        seen.append(server.health())
        if seen[-1] == wanted:
            return seen
        time.sleep(0.5)
    raise AssertionError(f"health never {wanted}: saw {sorted(set(seen))}\n{server.logs()}")


def test_image_is_small_non_root_with_healthcheck_and_model_last(model_server_image):
    # GIVEN the built image
    client = docker.from_env()
    try:
        image = client.images.get(model_server_image)
        # WHEN its files are searched for the build-only CA bundle
        found = client.containers.run(
            model_server_image,
            ["sh", "-c", "find / -xdev -name 'build-ca*' 2>/dev/null; ls /tmp; true"],
            remove=True,
        ).decode()
    finally:
        client.close()
    config = image.attrs["Config"]
    history = image.history()
    # THEN it fits the size target, runs as a non-root user, checks its own health,
    # carries the model in its last layer and ships no CA bundle or pip setting
    assert image.attrs["Size"] <= SIZE_TARGET_BYTES, image.attrs["Size"]
    assert config["User"].split(":")[0] not in ("", "0", "root"), config["User"]
    assert "/ping" in " ".join(config["Healthcheck"]["Test"])
    assert "COPY" in history[0]["CreatedBy"], history[0]
    assert 0 < history[0]["Size"] < 100_000, history[0]
    assert found.strip() == "", found
    assert not [env for env in config["Env"] if env.startswith("PIP_")], config["Env"]


def test_ping_answers_200_with_the_version(start_model_server):
    # GIVEN a container told its version through the environment
    server = start_model_server(env={"MODEL_VERSION": "7.1.0"})
    # WHEN /ping is asked
    response = requests.get(f"{server.url}/ping", timeout=5)
    # THEN it is ready and says which version it is, in the body and the header
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready", "model": "model", "version": "7.1.0"}
    assert response.headers["X-Model-Version"] == "7.1.0"


def test_build_arg_version_reaches_the_server():
    # GIVEN an image built for version 9.9.9-test
    image = build_image("9.9.9-test")
    client = docker.from_env()
    try:
        labels = client.images.get(image).labels
        with model_servers(image) as start:
            server = start()
            # WHEN it is invoked without any version in its environment
            response = requests.post(
                f"{server.url}/invocations", json={"instances": [ROW]}, timeout=5
            )
    finally:
        client.images.remove(image, noprune=True)
        client.close()
    # THEN its label and its answers carry the version it was built with
    assert labels["org.opencontainers.image.version"] == "9.9.9-test"
    assert response.headers["X-Model-Version"] == "9.9.9-test"


def test_json_predictions_equal_in_process_onnxruntime(model_server, rows, expected):
    # WHEN all rows are sent as one JSON batch
    response = requests.post(
        f"{model_server.url}/invocations", json={"instances": rows.tolist()}, timeout=10
    )
    # THEN the labels are the in-process ones, in order
    assert response.status_code == 200, response.text
    assert response.json() == {"predictions": expected}
    assert response.headers["X-Model-Version"] == "dev"


def test_csv_predictions_equal_in_process_onnxruntime(model_server, rows, expected):
    # GIVEN the rows as headerless CSV, the way SageMaker's built-in containers take them
    body = "\n".join(",".join(repr(float(value)) for value in row) for row in rows)
    # WHEN sent asking for JSON and for CSV back
    as_json = requests.post(f"{model_server.url}/invocations", data=body, headers=CSV, timeout=10)
    as_csv = requests.post(
        f"{model_server.url}/invocations",
        data=body,
        headers={**CSV, "Accept": "text/csv"},
        timeout=10,
    )
    # THEN both carry the in-process labels
    assert as_json.json() == {"predictions": expected}, as_json.text
    assert [int(line) for line in as_csv.text.splitlines()] == expected
    assert as_csv.headers["Content-Type"].startswith("text/csv")


def test_single_row_predictions_equal_in_process_onnxruntime(model_server, rows, expected):
    # WHEN rows are sent one per request, on one kept-alive connection
    with requests.Session() as session:
        got = [
            session.post(
                f"{model_server.url}/invocations", json={"instances": [row]}, timeout=5
            ).json()["predictions"][0]
            for row in rows[::10].tolist()
        ]
    # THEN each matches
    assert got == expected[::10]


def test_open_inference_protocol_infer_equals_in_process(model_server, rows, expected):
    # GIVEN a KServe v2 request with a flat, row-major tensor
    request: dict[str, Any] = {
        "id": "req-1",
        "inputs": [
            {
                "name": "input",
                "shape": list(rows.shape),
                "datatype": "FP32",
                "data": rows.ravel().tolist(),
            }
        ],
    }
    # WHEN it is sent to the v2 route
    response = requests.post(f"{model_server.url}/v2/models/model/infer", json=request, timeout=10)
    # THEN the one INT64 output holds the in-process labels
    assert response.status_code == 200, response.text
    assert response.json() == {
        "id": "req-1",
        "model_name": "model",
        "model_version": "dev",
        "outputs": [
            {"name": "label", "shape": [len(expected)], "datatype": "INT64", "data": expected}
        ],
    }


def test_open_inference_protocol_health_and_metadata(model_server):
    url = model_server.url
    assert requests.get(f"{url}/v2/health/live", timeout=5).json() == {"live": True}
    assert requests.get(f"{url}/v2/health/ready", timeout=5).json() == {"ready": True}
    assert requests.get(f"{url}/v2/models/model/ready", timeout=5).status_code == 200
    assert requests.get(f"{url}/v2", timeout=5).json() == {
        "name": "modelfleet-model-server",
        "version": "dev",
        "extensions": [],
    }
    metadata = requests.get(f"{url}/v2/models/model", timeout=5).json()
    assert metadata["inputs"] == [{"name": "input", "datatype": "FP32", "shape": [-1, 4]}]
    assert metadata["outputs"] == [{"name": "label", "datatype": "INT64", "shape": [-1]}]


def v2_client(server: ModelServer) -> v2.InferenceServerClient:
    """Triton's KServe V2 HTTP client, written independently of this server."""
    return v2.InferenceServerClient(server.url.removeprefix("http://"), network_timeout=10)


def v2_infer(
    client: v2.InferenceServerClient, rows: np.ndarray, binary: bool = False, **kwargs: Any
) -> Any:
    """Infer ``rows`` on model iris through ``client``, asking for the label output."""
    tensor = v2.InferInput("input", list(rows.shape), "FP32")
    tensor.set_data_from_numpy(rows, binary_data=binary)
    label = v2.InferRequestedOutput("label", binary_data=binary)
    return client.infer("iris", [tensor], outputs=[label], **kwargs)


def test_standard_v2_client_reads_health_metadata_and_predictions(
    start_model_server, rows, expected
):
    # GIVEN a container told its model's name and version, as every target's contract does
    server = start_model_server(env={"MODEL_NAME": "iris", "MODEL_VERSION": "3.0.0"})
    client = v2_client(server)
    try:
        # WHEN Triton's V2 client asks for health, metadata and JSON predictions
        live, ready = client.is_server_live(), client.is_server_ready()
        model_ready = client.is_model_ready("iris"), client.is_model_ready("iris", "3.0.0")
        unknown_ready = client.is_model_ready("model"), client.is_model_ready("iris", "2.0.0")
        server_metadata = client.get_server_metadata()
        model_metadata = client.get_model_metadata("iris", "3.0.0")
        result = v2_infer(client, rows, request_id="batch-1")
        versioned = v2_infer(client, rows[:3], model_version="3.0.0")
    finally:
        client.close()
    # THEN it reads them as the protocol defines them, under the configured name and version
    assert (live, ready, model_ready, unknown_ready) == (True, True, (True, True), (False, False))
    assert server_metadata == {
        "name": "modelfleet-model-server",
        "version": "3.0.0",
        "extensions": [],
    }
    assert model_metadata["name"] == "iris"
    assert model_metadata["versions"] == ["3.0.0"]
    assert model_metadata["inputs"] == [{"name": "input", "datatype": "FP32", "shape": [-1, 4]}]
    # AND the predictions are the in-process ones, with the request id echoed
    assert result.as_numpy("label").tolist() == expected
    assert result.get_response()["id"] == "batch-1"
    assert result.get_response()["model_version"] == "3.0.0"
    assert versioned.as_numpy("label").tolist() == expected[:3]


def test_standard_v2_client_gets_a_clear_400_for_binary_tensors(start_model_server, rows):
    # GIVEN Triton's V2 client in its default mode: tensors as binary data after the JSON
    server = start_model_server(env={"MODEL_NAME": "iris"})
    client = v2_client(server)
    try:
        # WHEN it infers, and asks a model that is not served
        with pytest.raises(InferenceServerException) as binary:
            v2_infer(client, rows[:2], binary=True)
        with pytest.raises(InferenceServerException) as unknown:
            client.get_model_metadata("model")
    finally:
        client.close()
    # THEN the server says which extension it does not support, and which model it serves
    assert binary.value.status() == "400"
    assert "binary tensor data extension of the Open Inference Protocol is not supported" in (
        binary.value.message()
    )
    assert unknown.value.status() == "404"
    assert unknown.value.message() == "unknown model 'model'; this server serves 'iris'"


V2 = "/v2/models/model/infer"
BIG = b" " * (SMALL_BODY_LIMIT + 1)
Request = tuple[str, str, dict[str, str], object]  # method, path, headers, body


def invoke(body: object, headers: dict[str, str] = JSON) -> Request:
    """A POST to /invocations; ``body`` may be bytes or a JSON-able object."""
    data = body if isinstance(body, bytes | Iterator) else json.dumps(body).encode()
    return ("POST", "/invocations", headers, data)


def infer(shape: object, data: object = None, datatype: str = "FP32") -> Request:
    """A POST to the v2 infer route with one input tensor (no ``data`` when None)."""
    tensor = {"name": "input", "shape": shape, "datatype": datatype, "data": data}
    return (
        "POST",
        V2,
        JSON,
        json.dumps({"inputs": [{k: v for k, v in tensor.items() if v is not None}]}).encode(),
    )


def chunked(body: bytes, size: int = 512) -> Iterator[bytes]:
    """``body`` as a generator, which makes requests send it chunked (no Content-Length)."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


BAD_REQUESTS = [
    pytest.param(invoke(b"{bad"), 400, "malformed JSON", id="json-malformed"),
    pytest.param(invoke([1, 2]), 400, '"instances"', id="json-not-object"),
    pytest.param(invoke({"rows": []}), 400, '"instances"', id="json-no-instances"),
    pytest.param(
        invoke({"instances": [[1, 2, 3]]}),
        400,
        "expected 4 features per row, got 3",
        id="json-too-few-features",
    ),
    pytest.param(
        invoke({"instances": [[1, 2, 3, 4, 5]]}),
        400,
        "expected 4 features per row, got 5",
        id="json-too-many-features",
    ),
    pytest.param(
        invoke({"instances": [ROW, [1, 2]]}),
        400,
        "row 2: expected 4 features, got 2",
        id="json-ragged",
    ),
    pytest.param(invoke({"instances": [list("abcd")]}), 400, "numbers only", id="json-strings"),
    pytest.param(invoke({"instances": [[1, None, 3, 4]]}), 400, "numbers only", id="json-null"),
    pytest.param(invoke({"instances": ROW}), 400, "list of rows", id="json-flat"),
    pytest.param(invoke({"instances": []}), 400, "no rows", id="json-empty"),
    pytest.param(invoke(b'{"instances": [[NaN, 1, 2, 3]]}'), 400, "finite", id="json-nan"),
    pytest.param(invoke(b"\xff\xfe{"), 400, "malformed JSON", id="json-not-utf8"),
    pytest.param(invoke(b"1,2,x,4\n", CSV), 400, "CSV line 1: not a number", id="csv-not-a-number"),
    pytest.param(
        invoke(b"1,2,3\n", CSV),
        400,
        "expected 4 features per row, got 3",
        id="csv-too-few-features",
    ),
    pytest.param(
        invoke(b"1,2,3,4\n1,2\n", CSV), 400, "row 2: expected 4 features, got 2", id="csv-ragged"
    ),
    pytest.param(invoke(b"", CSV), 400, "no rows", id="csv-empty"),
    pytest.param(invoke(b"\xff,1,2,3", CSV), 400, "not UTF-8", id="csv-not-utf8"),
    pytest.param(
        invoke(b"1,2,3,4", {"Content-Type": "text/plain"}),
        415,
        "Content-Type must be application/json or text/csv",
        id="unsupported-type",
    ),
    pytest.param(invoke(BIG), 413, f"MAX_BODY_BYTES={SMALL_BODY_LIMIT}", id="too-large"),
    pytest.param(
        invoke(chunked(BIG)), 413, f"MAX_BODY_BYTES={SMALL_BODY_LIMIT}", id="too-large-chunked"
    ),
    pytest.param(("GET", "/predict", {}, None), 404, "Not Found", id="unknown-route"),
    pytest.param(("GET", "/invocations", {}, None), 405, "Method Not Allowed", id="wrong-method"),
    pytest.param(
        ("POST", "/v2/models/other/infer", JSON, b"{}"),
        404,
        "unknown model 'other'",
        id="v2-unknown-model",
    ),
    pytest.param(("POST", V2, JSON, b"{bad"), 400, "malformed JSON", id="v2-malformed"),
    pytest.param(
        ("POST", V2, JSON, b'{"inputs": []}'), 400, "exactly one tensor", id="v2-no-inputs"
    ),
    pytest.param(infer("1x4", ROW), 400, "list of non-negative integers", id="v2-bad-shape"),
    pytest.param(infer([-1, -4], ROW), 400, "non-negative", id="v2-negative-shape"),
    pytest.param(infer([2, 4], [ROW, [1]]), 400, "evenly nested", id="v2-ragged"),
    pytest.param(invoke(b"[" * 10_000), 400, "malformed JSON", id="json-too-deep"),
    pytest.param(infer([1, 4]), 400, '"data" is missing', id="v2-no-data"),
    pytest.param(infer([1, 4], [1, 2, 3]), 400, "has 3 values", id="v2-size-mismatch"),
    pytest.param(
        infer([1, 3], [1, 2, 3]), 400, "expected 4 features per row, got 3", id="v2-wrong-features"
    ),
    pytest.param(infer([1, 1], ["a"], "BYTES"), 400, "numbers only", id="v2-strings"),
    pytest.param(
        ("GET", "/v2/models/model/versions/1", {}, None),
        404,
        "unknown version '1' of model 'model'",
        id="v2-unknown-version",
    ),
    pytest.param(
        ("POST", "/v2/systemsharedmemory/region/r/register", JSON, b"{}"),
        400,
        "the system shared memory extension of the Open Inference Protocol is not supported",
        id="v2-shared-memory-route",
    ),
    pytest.param(
        ("POST", V2, {**JSON, "Inference-Header-Content-Length": "2"}, b"{}\0\0\0\0"),
        400,
        "binary tensor data extension",
        id="v2-binary-body",
    ),
]


@pytest.mark.parametrize(("bad", "status", "message"), BAD_REQUESTS)
def test_bad_input_gets_its_status_and_message(model_server, bad, status, message):
    # GIVEN a request the server must refuse
    method, path, headers, body = bad
    # WHEN it is sent
    response = requests.request(
        method, f"{model_server.url}{path}", headers=headers, data=body, timeout=5
    )
    # THEN it gets its own status and a message saying why, never a 500
    assert response.status_code == status, response.text
    assert message in response.json()["error"], response.text
    assert response.headers["X-Model-Version"] == "dev"


def test_server_keeps_serving_after_bad_input(model_server):
    # WHEN a good request follows the bad ones
    response = requests.post(
        f"{model_server.url}/invocations", json={"instances": [ROW]}, timeout=5
    )
    # THEN it is answered
    assert response.json() == {"predictions": [0]}


def test_healthcheck_turns_container_healthy(start_model_server):
    # GIVEN a container with the image's own HEALTHCHECK
    server = start_model_server()
    # THEN Docker marks it healthy
    seen = wait_for_health(server, "healthy")
    assert "unhealthy" not in seen


def test_fail_health_stays_unhealthy(start_model_server: Callable[..., ModelServer]):
    # GIVEN a container simulating a version that never turns healthy
    server = start_model_server(env={"FAIL_HEALTH": "1", "MODEL_VERSION": "bad"}, ready=False)
    # THEN Docker marks it unhealthy and never healthy on the way
    seen = wait_for_health(server, "unhealthy")
    assert "healthy" not in seen
    # AND /ping and readiness say 503 with the reason while predictions still work
    ping = requests.get(f"{server.url}/ping", timeout=5)
    assert ping.status_code == 503
    assert ping.json() == {"status": "failing: FAIL_HEALTH=1", "model": "model", "version": "bad"}
    client = v2_client(server)
    try:
        assert (client.is_server_ready(), client.is_model_ready("model")) == (False, False)
    finally:
        client.close()
    invoke = requests.post(f"{server.url}/invocations", json={"instances": [ROW]}, timeout=5)
    assert invoke.json() == {"predictions": [0]}
