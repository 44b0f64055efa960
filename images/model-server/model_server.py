"""Serve one ONNX classifier over HTTP on port 8080, for every modelfleet target.

One image runs unchanged on SageMaker, Azure ML, Kubernetes and edge Docker hosts, so
it speaks SageMaker's hosting contract and, for KServe-style clients, the Open
Inference Protocol (KServe v2 REST).

Contract
--------
``GET /ping``
    200 ``{"status": "ready", "model": NAME, "version": MODEL_VERSION}`` once the model
    is loaded; 503 otherwise.
``POST /invocations``
    ``Content-Type: application/json`` with ``{"instances": [[f1, f2, ...], ...]}``, or
    ``text/csv`` with one row of features per line and no header (like SageMaker's
    built-in containers). Answers ``{"predictions": [label, ...]}``: one int class label
    per row, in row order; ``Accept: text/csv`` answers one label per line instead.
``GET /v2/health/live``, ``GET /v2/health/ready``, ``GET /v2/models/NAME``,
``GET /v2/models/NAME/ready``, ``POST /v2/models/NAME/infer``
    Open Inference Protocol: one input tensor ``[N, features]`` (numeric datatype, data
    flat or nested) in, one ``INT64`` output ``label`` of shape ``[N]`` out.

Every response carries ``X-Model-Version``. Errors are ``{"error": message}``: malformed
JSON/CSV or wrong feature count → 400 (naming expected and got), unsupported
Content-Type → 415, body over ``MAX_BODY_BYTES`` → 413, unknown route or model → 404.

Environment
-----------
``MODEL_PATH``       an ``.onnx`` file, or a directory holding exactly one (SageMaker
                     unpacks the model artifact into ``/opt/ml/model``, the default).
``MODEL_NAME``       name in the v2 routes (default ``model``).
``MODEL_VERSION``    reported in ``X-Model-Version`` and ``/ping`` (default ``dev``), so a
                     rollout can tell versions apart.
``MAX_BODY_BYTES``   request body limit (default 6 MiB, SageMaker's payload limit).
``FAIL_HEALTH=1``    ``/ping`` and readiness answer 503 forever while predictions still
                     work: a version that never turns healthy, so rollout tests can prove
                     the old version keeps serving. Never set it in production.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import math
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

PORT = 8080
DEFAULT_MAX_BODY_BYTES = 6 * 1024 * 1024
NUMERIC_KINDS = "iuf"  # numpy kinds: signed, unsigned, float; bool and strings are refused

log = logging.getLogger("model_server")


@dataclass(frozen=True)
class Config:
    """Settings read once from the environment (see the module docstring)."""

    model_path: Path = Path("/opt/ml/model")
    model_name: str = "model"
    model_version: str = "dev"
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    fail_health: bool = False

    @classmethod
    def from_env(cls) -> Config:
        """Build the config from ``os.environ``, with the defaults above."""
        env = os.environ
        return cls(
            model_path=Path(env.get("MODEL_PATH", str(cls.model_path))),
            model_name=env.get("MODEL_NAME", cls.model_name),
            model_version=env.get("MODEL_VERSION", cls.model_version),
            max_body_bytes=int(env.get("MAX_BODY_BYTES", str(cls.max_body_bytes))),
            fail_health=env.get("FAIL_HEALTH", "") == "1",
        )


class RequestError(Exception):
    """A request answered with an error status and message instead of a prediction."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Model:
    """An onnxruntime session over a classifier with one ``[N, features]`` input."""

    session: ort.InferenceSession
    input_name: str
    n_features: int
    label_output: str = "label"

    @classmethod
    def load(cls, path: Path) -> Model:
        """Open the model at ``path`` (a file, or a directory holding one ``.onnx``)."""
        if path.is_dir():
            found = sorted(path.glob("*.onnx"))
            if len(found) != 1:
                raise FileNotFoundError(f"expected one .onnx file in {path}, found {found}")
            path = found[0]
        options = ort.SessionOptions()
        # Requests are the unit of parallelism; one thread per inference keeps a small
        # model fast and avoids oversubscribing the few cores an edge host has.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        (model_input,) = session.get_inputs()
        n_features = model_input.shape[-1]
        if not isinstance(n_features, int):
            raise ValueError(f"{path}: input {model_input.name} has no fixed feature count")
        return cls(session, model_input.name, n_features)

    def predict(self, rows: np.ndarray) -> list[int]:
        """Class labels for ``rows`` (float32 ``[N, n_features]``), in row order."""
        (labels,) = self.session.run([self.label_output], {self.input_name: rows})
        return list(labels.tolist())

    def check_rows(self, values: Any, what: str) -> np.ndarray:
        """Turn parsed ``values`` into float32 ``[N, n_features]`` or raise a 400."""
        try:
            array = np.asarray(values)
        except ValueError:  # ragged rows: name the first one of the wrong length
            for number, row in enumerate(values, start=1):
                if isinstance(row, list) and len(row) != self.n_features:
                    raise RequestError(
                        400,
                        f"{what} row {number}: expected {self.n_features} features, got {len(row)}",
                    ) from None
            raise RequestError(400, f"{what} must be rows of equal length") from None
        if array.dtype.kind not in NUMERIC_KINDS:
            raise RequestError(400, f"{what} must hold numbers only")
        if array.ndim >= 1 and array.shape[0] == 0:
            raise RequestError(400, f"{what} holds no rows")
        if array.ndim != 2:
            raise RequestError(400, f"{what} must be a list of rows, got {array.ndim} dimension(s)")
        if array.shape[1] != self.n_features:
            raise RequestError(
                400, f"{what}: expected {self.n_features} features per row, got {array.shape[1]}"
            )
        rows = array.astype(np.float32)
        if not np.isfinite(rows).all():
            raise RequestError(400, f"{what} must hold finite numbers")
        return rows


def parse_csv(body: bytes) -> list[list[float]]:
    """Rows of floats from a headerless CSV body; a clear 400 on the first bad field."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise RequestError(400, "CSV body is not UTF-8") from None
    rows = []
    reader = csv.reader(io.StringIO(text))
    for row in reader:
        if not row:
            continue
        try:
            rows.append([float(value) for value in row])
        except ValueError:
            raise RequestError(
                400, f"CSV line {reader.line_num}: not a number in {row!r}"
            ) from None
    return rows


def parse_json(body: bytes) -> Any:
    """The decoded JSON body, or a 400 saying where it is malformed."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise RequestError(400, f"malformed JSON: {exc}") from None


def create_app(config: Config) -> Starlette:
    """Build the ASGI app; the model loads in the lifespan, before the port opens."""
    state: dict[str, Model] = {}
    version_header = {"X-Model-Version": config.model_version}

    def reply(content: Any, status: int = 200) -> Response:
        return JSONResponse(content, status, headers=version_header)

    def model_or_503() -> Model:
        if "model" not in state:
            raise RequestError(503, "model not loaded")
        return state["model"]

    def ready() -> bool:
        return "model" in state and not config.fail_health

    async def read_body(request: Request) -> bytes:
        limit = config.max_body_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise RequestError(413, f"body of {declared} bytes exceeds MAX_BODY_BYTES={limit}")
        chunks, size = [], 0
        async for chunk in request.stream():  # chunked bodies declare no length
            size += len(chunk)
            if size > limit:
                raise RequestError(413, f"body exceeds MAX_BODY_BYTES={limit}")
            chunks.append(chunk)
        return b"".join(chunks)

    async def ping(request: Request) -> Response:
        status = (
            "failing: FAIL_HEALTH=1" if config.fail_health else "ready" if ready() else "loading"
        )
        body = {"status": status, "model": config.model_name, "version": config.model_version}
        return reply(body, 200 if ready() else 503)

    async def invocations(request: Request) -> Response:
        model = model_or_503()
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in ("application/json", "text/csv"):
            raise RequestError(
                415, f"Content-Type must be application/json or text/csv, got {content_type!r}"
            )
        body = await read_body(request)
        if content_type == "text/csv":
            rows = model.check_rows(parse_csv(body), "CSV body")
        else:
            payload = parse_json(body)
            if not isinstance(payload, dict) or "instances" not in payload:
                raise RequestError(400, 'JSON body must be an object with "instances"')
            rows = model.check_rows(payload["instances"], '"instances"')
        predictions = model.predict(rows)
        if "text/csv" in request.headers.get("accept", ""):
            text = "".join(f"{label}\n" for label in predictions)
            return Response(text, headers=version_header, media_type="text/csv")
        return reply({"predictions": predictions})

    async def live(request: Request) -> Response:
        return reply({"live": True})

    async def health_ready(request: Request) -> Response:
        return reply({"ready": ready()}, 200 if ready() else 503)

    def named_model(request: Request) -> Model:
        name = request.path_params["name"]
        if name != config.model_name:
            raise RequestError(
                404, f"unknown model {name!r}; this server serves {config.model_name!r}"
            )
        return model_or_503()

    async def model_ready(request: Request) -> Response:
        named_model(request)
        return reply({"name": config.model_name, "ready": ready()}, 200 if ready() else 503)

    async def metadata(request: Request) -> Response:
        model = named_model(request)
        return reply(
            {
                "name": config.model_name,
                "versions": [config.model_version],
                "platform": "onnxruntime_onnx",
                "inputs": [
                    {"name": model.input_name, "datatype": "FP32", "shape": [-1, model.n_features]}
                ],
                "outputs": [{"name": model.label_output, "datatype": "INT64", "shape": [-1]}],
            }
        )

    async def infer(request: Request) -> Response:
        model = named_model(request)
        payload = parse_json(await read_body(request))
        inputs = payload.get("inputs") if isinstance(payload, dict) else None
        if not isinstance(inputs, list) or len(inputs) != 1 or not isinstance(inputs[0], dict):
            raise RequestError(400, '"inputs" must be a list of exactly one tensor')
        tensor = inputs[0]
        shape, data = tensor.get("shape"), tensor.get("data")
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise RequestError(400, 'input "shape" must be a list of non-negative integers')
        if data is None:
            raise RequestError(400, 'input "data" is missing')
        try:
            flat = np.asarray(data)
        except ValueError:
            raise RequestError(400, 'input "data" must be flat or evenly nested') from None
        if flat.dtype.kind not in NUMERIC_KINDS:
            raise RequestError(400, 'input "data" must hold numbers only')
        if flat.size != math.prod(shape):
            raise RequestError(
                400, f'input "data" has {flat.size} values, shape {shape} needs {math.prod(shape)}'
            )
        rows = model.check_rows(flat.reshape(shape), "input tensor")
        labels = model.predict(rows)
        result: dict[str, Any] = {
            "model_name": config.model_name,
            "model_version": config.model_version,
            "outputs": [
                {
                    "name": model.label_output,
                    "shape": [len(labels)],
                    "datatype": "INT64",
                    "data": labels,
                }
            ],
        }
        if "id" in payload:
            result["id"] = payload["id"]
        return reply(result)

    async def client_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestError)
        return reply({"error": exc.message}, exc.status)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return reply(
            {"error": f"{exc.detail}: {request.method} {request.url.path}"}, exc.status_code
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state["model"] = model = Model.load(config.model_path)
        log.info(
            "loaded %s version %s from %s (%d features)",
            config.model_name,
            config.model_version,
            config.model_path,
            model.n_features,
        )
        yield

    return Starlette(
        routes=[
            Route("/ping", ping),
            Route("/invocations", invocations, methods=["POST"]),
            Route("/v2/health/live", live),
            Route("/v2/health/ready", health_ready),
            Route("/v2/models/{name}", metadata),
            Route("/v2/models/{name}/ready", model_ready),
            Route("/v2/models/{name}/infer", infer, methods=["POST"]),
        ],
        exception_handlers={RequestError: client_error, HTTPException: http_error},
        lifespan=lifespan,
    )


def main() -> None:
    """Run the server on 0.0.0.0:8080 (the port every target's contract names)."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    uvicorn.run(
        create_app(Config.from_env()),
        host="0.0.0.0",  # noqa: S104 - a container must listen on its own interface
        port=PORT,
        loop="uvloop",
        http="httptools",
        # Per-request access lines cost more than a small model's inference.
        access_log=False,
    )


if __name__ == "__main__":
    main()
