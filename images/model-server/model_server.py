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
``GET /v2``, ``GET /v2/health/live``, ``GET /v2/health/ready``,
``GET /v2/models/NAME[/versions/VERSION][/ready]``,
``POST /v2/models/NAME[/versions/VERSION]/infer``
    The core of the Open Inference Protocol (KServe V2 REST), with ``NAME`` =
    ``MODEL_NAME`` and ``VERSION`` = ``MODEL_VERSION``: one input tensor ``[N, features]``
    (numeric datatype, JSON ``data`` flat or nested) in, one ``INT64`` output ``label`` of
    shape ``[N]`` out, the request ``id`` echoed. Health answers 200 when true and 400
    when false, as the protocol asks. Optional extensions (binary tensor data, shared
    memory, classification, sequences, statistics, repository, ...) are refused with a
    400 that names the extension; the server metadata lists none.

Every response carries ``X-Model-Version``. Errors are ``{"error": message}``: malformed
JSON/CSV or wrong feature count → 400 (naming expected and got), unsupported
Content-Type or Content-Encoding → 415, body over ``MAX_BODY_BYTES`` → 413, unknown
route, model or version → 404.

Environment
-----------
``MODEL_PATH``       an ``.onnx`` file, or a directory holding exactly one (SageMaker
                     unpacks the model artifact into ``/opt/ml/model``, the default).
``MODEL_NAME``       name in the v2 routes (default ``model``).
``MODEL_VERSION``    reported in ``X-Model-Version``, ``/ping`` and the v2 routes (default
                     ``dev``), so a rollout can tell versions apart.
``MAX_BODY_BYTES``   request body limit (default 6 MiB, SageMaker's payload limit).
``FAIL_HEALTH=1``    ``/ping`` (503) and v2 readiness (400) fail forever while
                     predictions still work: a version that never turns healthy, so
                     rollout tests can prove the old version keeps serving. Never set it
                     in production.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import math
import os
from collections.abc import AsyncIterator, Awaitable, Callable
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


# The Open Inference Protocol (KServe V2 REST), core only: health, server and model
# metadata, infer, optionally under /versions/VERSION. Spec:
# https://github.com/kserve/kserve/blob/master/docs/predict-api/v2/required_api.md
# Its optional extensions (Triton's binary tensor data, shared memory, classification,
# sequences, repository, statistics, ...) are refused with a 400 naming the extension,
# never silently ignored.
SERVER_NAME = "modelfleet-model-server"
V2_NUMERIC_DATATYPES = frozenset(
    {"UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64"}
    | {"FP16", "FP32", "FP64"}
)
V2_DATATYPES = V2_NUMERIC_DATATYPES | {"BOOL", "BYTES", "BF16"}  # BF16 has no JSON form
# Parameters that ask for an extension, by where they may appear; a false binary-data
# flag asks for JSON, which is what this server answers anyway.
BINARY, SHARED_MEMORY = "binary tensor data", "shared memory"
REQUEST_EXTENSIONS = {
    "binary_data_output": BINARY,
    "sequence_id": "sequence",
    "sequence_start": "sequence",
    "sequence_end": "sequence",
    "priority": "scheduling (priority)",
    "timeout": "scheduling (timeout)",
}
TENSOR_EXTENSIONS = {
    "binary_data": BINARY,
    "binary_data_size": BINARY,
    "classification": "classification",
    "shared_memory_region": SHARED_MEMORY,
    "shared_memory_byte_size": SHARED_MEMORY,
    "shared_memory_offset": SHARED_MEMORY,
}
EXTENSION_ROUTES = {
    "/v2/models/stats": "statistics",
    "/v2/models/{name}/stats": "statistics",
    "/v2/models/{name}/versions/{version}/stats": "statistics",
    "/v2/models/{name}/config": "model configuration",
    "/v2/models/{name}/versions/{version}/config": "model configuration",
    "/v2/models/{name}/generate": "generate",
    "/v2/models/{name}/generate_stream": "generate",
    "/v2/repository{rest:path}": "model repository",
    "/v2/systemsharedmemory{rest:path}": "system shared memory",
    "/v2/cudasharedmemory{rest:path}": "CUDA shared memory",
    "/v2/trace{rest:path}": "trace",
    "/v2/logging": "logging",
}


def unsupported(extension: str, detail: str) -> RequestError:
    """The 400 for a request that needs an optional protocol extension."""
    return RequestError(
        400, f"the {extension} extension of the Open Inference Protocol is not supported: {detail}"
    )


def check_parameters(value: Any, where: str, extensions: dict[str, str]) -> None:
    """Refuse malformed ``parameters`` and any this server has no use for, by name."""
    if value is None:
        return
    if not isinstance(value, dict):
        raise RequestError(400, f'{where} "parameters" must be an object')
    for key, setting in value.items():
        if not isinstance(setting, str | int | float):  # bool is an int
            raise RequestError(400, f'{where} parameter "{key}" must be a string, number or bool')
        if key in ("binary_data", "binary_data_output") and setting is False:
            continue
        if key in extensions:
            hint = '; send tensors as JSON "data"' if extensions[key] == BINARY else ""
            raise unsupported(extensions[key], f'{where} parameter "{key}"{hint}')
        raise RequestError(400, f'{where} parameter "{key}" is not supported (none are)')


def check_input_tensor(tensor: Any, model: Model) -> np.ndarray:
    """The one input tensor of a v2 request as float32 ``[N, features]``, or a 400."""
    if not isinstance(tensor, dict):
        raise RequestError(400, '"inputs" must be a list of exactly one tensor')
    name, datatype = tensor.get("name"), tensor.get("datatype")
    if name != model.input_name:
        raise RequestError(400, f"unknown input {name!r}; the model takes {model.input_name!r}")
    check_parameters(tensor.get("parameters"), f"input {name!r}", TENSOR_EXTENSIONS)
    if datatype not in V2_DATATYPES:
        raise RequestError(400, f'unknown "datatype" {datatype!r}; one of {sorted(V2_DATATYPES)}')
    if datatype not in V2_NUMERIC_DATATYPES:
        raise RequestError(400, f"datatype {datatype}: the model takes numbers only (e.g. FP32)")
    shape, data = tensor.get("shape"), tensor.get("data")
    # type() rather than isinstance(): a JSON true is no dimension.
    if not isinstance(shape, list) or not all(type(d) is int and d >= 0 for d in shape):
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
    return model.check_rows(flat.reshape(shape), "input tensor")


def check_requested_outputs(outputs: Any, model: Model) -> None:
    """Refuse requested outputs the model does not produce or extensions they ask for."""
    if outputs is None:
        return
    if not isinstance(outputs, list) or not all(isinstance(o, dict) for o in outputs):
        raise RequestError(400, '"outputs" must be a list of objects with a "name"')
    for output in outputs:
        name = output.get("name")
        if name != model.label_output:
            raise RequestError(
                400, f"unknown output {name!r}; the model produces {model.label_output!r}"
            )
        check_parameters(output.get("parameters"), f"output {name!r}", TENSOR_EXTENSIONS)


def parse_infer_request(payload: Any, model: Model) -> np.ndarray:
    """Validate a v2 inference request (see the spec above); its input rows."""
    if not isinstance(payload, dict):
        raise RequestError(400, "the inference request must be a JSON object")
    if "id" in payload and not isinstance(payload["id"], str):
        raise RequestError(400, '"id" must be a string')
    check_parameters(payload.get("parameters"), "request", REQUEST_EXTENSIONS)
    inputs = payload.get("inputs")
    if not isinstance(inputs, list) or len(inputs) != 1:
        raise RequestError(400, '"inputs" must be a list of exactly one tensor')
    check_requested_outputs(payload.get("outputs"), model)
    return check_input_tensor(inputs[0], model)


def check_infer_headers(request: Request) -> None:
    """Refuse bodies this server cannot read as one plain JSON document."""
    if "inference-header-content-length" in request.headers:
        raise unsupported(BINARY, "the request has an Inference-Header-Content-Length header")
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding != "identity":
        raise RequestError(415, f"Content-Encoding {encoding!r} is not supported; send plain JSON")


class Server:
    """The app's routes over one model: SageMaker's contract and the v2 protocol."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.model: Model | None = None
        self.version_header = {"X-Model-Version": config.model_version}

    def reply(self, content: Any, status: int = 200) -> Response:
        """A JSON answer carrying the version header."""
        return JSONResponse(content, status, headers=self.version_header)

    def loaded(self) -> Model:
        """The model, or a 503 while it loads."""
        if self.model is None:
            raise RequestError(503, "model not loaded")
        return self.model

    def ready(self) -> bool:
        """Loaded and not told to fail its health checks."""
        return self.model is not None and not self.config.fail_health

    async def read_body(self, request: Request) -> bytes:
        """The body, refused with a 413 as soon as it exceeds ``max_body_bytes``."""
        limit = self.config.max_body_bytes
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

    async def ping(self, request: Request) -> Response:
        """SageMaker's health check."""
        config = self.config
        ready = self.ready()
        status = "failing: FAIL_HEALTH=1" if config.fail_health else "ready" if ready else "loading"
        body = {"status": status, "model": config.model_name, "version": config.model_version}
        return self.reply(body, 200 if ready else 503)

    async def invocations(self, request: Request) -> Response:
        """SageMaker's predictions: JSON or CSV rows in, labels out."""
        model = self.loaded()
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in ("application/json", "text/csv"):
            raise RequestError(
                415, f"Content-Type must be application/json or text/csv, got {content_type!r}"
            )
        body = await self.read_body(request)
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
            return Response(text, headers=self.version_header, media_type="text/csv")
        return self.reply({"predictions": predictions})

    def health(self, ok: bool, key: str, **extra: Any) -> Response:
        """A v2 health answer: 200 when true, 400 when false (the spec asks for a 4xx)."""
        return self.reply({**extra, key: ok}, 200 if ok else 400)

    async def live(self, request: Request) -> Response:
        """v2 server live."""
        return self.health(True, "live")

    async def server_ready(self, request: Request) -> Response:
        """v2 server ready."""
        return self.health(self.ready(), "ready")

    async def server_metadata(self, request: Request) -> Response:
        """v2 server metadata: this server supports none of the optional extensions."""
        return self.reply(
            {"name": SERVER_NAME, "version": self.config.model_version, "extensions": []}
        )

    def check_model_route(self, request: Request) -> None:
        """404 unless the route names the served model (and its version, if any)."""
        name, version = request.path_params["name"], request.path_params.get("version")
        config = self.config
        if name != config.model_name:
            raise RequestError(
                404, f"unknown model {name!r}; this server serves {config.model_name!r}"
            )
        if version is not None and version != config.model_version:
            raise RequestError(
                404,
                f"unknown version {version!r} of model {name!r}; "
                f"this server serves version {config.model_version!r}",
            )

    async def model_ready(self, request: Request) -> Response:
        """v2 model ready."""
        self.check_model_route(request)
        return self.health(self.ready(), "ready", name=self.config.model_name)

    async def model_metadata(self, request: Request) -> Response:
        """v2 model metadata: one FP32 ``[-1, features]`` input, one INT64 label output."""
        self.check_model_route(request)
        model = self.loaded()
        return self.reply(
            {
                "name": self.config.model_name,
                "versions": [self.config.model_version],
                "platform": "onnxruntime_onnx",
                "inputs": [
                    {"name": model.input_name, "datatype": "FP32", "shape": [-1, model.n_features]}
                ],
                "outputs": [{"name": model.label_output, "datatype": "INT64", "shape": [-1]}],
            }
        )

    async def infer(self, request: Request) -> Response:
        """v2 inference: the request's ``id`` is echoed, the label tensor answered."""
        self.check_model_route(request)
        model = self.loaded()
        check_infer_headers(request)
        payload = parse_json(await self.read_body(request))
        labels = model.predict(parse_infer_request(payload, model))
        output = {"name": model.label_output, "shape": [len(labels)], "datatype": "INT64"}
        result: dict[str, Any] = {
            "model_name": self.config.model_name,
            "model_version": self.config.model_version,
            "outputs": [{**output, "data": labels}],
        }
        if "id" in payload:
            result["id"] = payload["id"]
        return self.reply(result)

    def refuse_extension(self, extension: str) -> Callable[[Request], Awaitable[Response]]:
        """A route handler answering the 400 for an extension's own endpoint."""

        async def refuse(request: Request) -> Response:
            raise unsupported(extension, f"{request.method} {request.url.path}")

        return refuse

    def routes(self) -> list[Route]:
        """Every route; extension endpoints first, so /v2/models/stats is no model name."""
        model = "/v2/models/{name}"
        versioned = [model, model + "/versions/{version}"]
        return [
            Route("/ping", self.ping),
            Route("/invocations", self.invocations, methods=["POST"]),
            *(
                Route(path, self.refuse_extension(extension), methods=["GET", "POST"])
                for path, extension in EXTENSION_ROUTES.items()
            ),
            Route("/v2", self.server_metadata),
            Route("/v2/health/live", self.live),
            Route("/v2/health/ready", self.server_ready),
            *(Route(path, self.model_metadata) for path in versioned),
            *(Route(path + "/ready", self.model_ready) for path in versioned),
            *(Route(path + "/infer", self.infer, methods=["POST"]) for path in versioned),
        ]


def create_app(config: Config) -> Starlette:
    """Build the ASGI app; the model loads in the lifespan, before the port opens."""
    server = Server(config)

    async def client_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestError)
        return server.reply({"error": exc.message}, exc.status)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return server.reply(
            {"error": f"{exc.detail}: {request.method} {request.url.path}"}, exc.status_code
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        server.model = model = Model.load(config.model_path)
        log.info(
            "loaded %s version %s from %s (%d features)",
            config.model_name,
            config.model_version,
            config.model_path,
            model.n_features,
        )
        yield

    return Starlette(
        routes=server.routes(),
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
