"""Fixtures for tests against a real Docker engine."""

from tests.integration.edge_fixtures import (  # noqa: F401 - fixtures, found by name
    docker_engine,
    edge_test_image,
    ssh_engine,
    ssh_on_path,
    tls_engine,
)
from tests.integration.image_fixtures import (  # noqa: F401 - fixtures, found by name
    model_server,
    model_server_image,
    model_server_onnx,
    start_model_server,
)
