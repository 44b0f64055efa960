"""``EdgeContainerProvider``: create / read / diff / update / delete of one model container.

A Pulumi dynamic provider over the docker SDK. Secrets (TLS key, registry password,
secret env) reach it as plain values: the engine keeps them secret in state, and this
module keeps them out of every output and error message.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import docker
import docker.errors
import pulumi
import pulumi.dynamic
from docker.models.containers import Container

from modelfleet.errors import EdgeContainerError, EdgeHostError
from modelfleet.targets.edge import handover, lifecycle, rollout
from modelfleet.targets.edge.connect import docker_client
from modelfleet.targets.edge.spec import CONTAINER_KEYS, INPUT_KEYS, REPLACE_KEYS, Spec

# Inside the dynamic provider's own process (this module arrives with the first pickled
# provider), let more than four hosts swap at once: see rollout.py.
rollout.widen_provider_server()


class EdgeContainerProvider(pulumi.dynamic.ResourceProvider):
    """create / read / diff / update / delete of one model container over the docker SDK."""

    def diff(
        self, _id: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> pulumi.dynamic.DiffResult:
        changed = [key for key in INPUT_KEYS if olds.get(key) != news.get(key)]
        stopped = olds.get("status") not in (None, "running")
        replaces = [key for key in changed if key in REPLACE_KEYS]
        # Replacing on the same address must free the port first; elsewhere, create first.
        same_address = (olds.get("bind"), olds.get("host_port")) == (
            news.get("bind"),
            news.get("host_port"),
        )
        return pulumi.dynamic.DiffResult(
            changes=bool(changed) or stopped,
            replaces=replaces,
            stables=[],
            delete_before_replace=bool(replaces) and same_address,
        )

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        spec = Spec.of(props)
        with rollout.slot(props), _connected(spec, "create") as client:
            name, generation = lifecycle.Inventory.of(client, spec).free_name(1)
            container = lifecycle.start_healthy(client, spec, name)
            return pulumi.dynamic.CreateResult(container.id, _outs(props, container, generation))

    def read(self, id_: str, props: dict[str, Any]) -> pulumi.dynamic.ReadResult:
        spec = Spec.of(props)
        with _connected(spec, "read") as client:
            container = lifecycle.get(client, _current(id_, props))
            if container is None:
                return pulumi.dynamic.ReadResult("", {})
            host_config = container.attrs["HostConfig"]
            ours = props.get("labels") or {}
            image = lifecycle.image_labels(container)
            live = {
                "image": container.attrs["Config"]["Image"],
                # Docker copies the image's labels onto the container: they are not drift.
                "labels": {
                    k: v for k, v in container.labels.items() if k in ours or image.get(k) != v
                },
                "cpu": host_config.get("NanoCpus", 0) / 1e9,
                "memory_mb": host_config.get("Memory", 0) // 2**20,
                "status": container.status,
                "container_name": container.name,
                "container_id": container.id,
            }
            return pulumi.dynamic.ReadResult(id_, {**props, **live})

    def update(
        self, id_: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> pulumi.dynamic.UpdateResult:
        spec, old_spec = Spec.of(news), Spec.of(olds)
        generation = int(olds.get("generation") or 1)
        with rollout.slot(news), _connected(spec, "update") as client:
            inventory = lifecycle.Inventory.of(client, spec)
            old = inventory.container(_current(id_, olds))
            rebuild = any(olds.get(key) != news.get(key) for key in CONTAINER_KEYS)
            if old is not None and old.status == "running" and not rebuild:
                return pulumi.dynamic.UpdateResult(_outs(news, old, generation))
            inventory.remove_leftovers()
            name, generation = inventory.free_name(generation + 1)
            if handover.serving(old) and (old_spec.bind, old_spec.host_port) == (
                spec.bind,
                spec.host_port,
            ):
                container = handover.swap(client, spec, old, name)
            else:
                # A new address, or nothing serving (no container, or one a lost link left
                # off every network mid hand-over): nothing to hand over, start and wait.
                container = lifecycle.start_healthy(client, spec, name)
                if old is not None:
                    lifecycle.retire(old)
            return pulumi.dynamic.UpdateResult(_outs(news, container, generation))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        spec = Spec.of(props)
        with _connected(spec, "delete") as client:
            inventory = lifecycle.Inventory.of(client, spec)
            container = inventory.container(_current(id_, props))
            if container is not None:
                lifecycle.retire(container)
            inventory.remove_leftovers()


def _current(id_: str, props: Mapping[str, Any]) -> str:
    """The serving container: an update cannot change a resource's id, so outputs track it."""
    return str(props.get("container_id") or id_)


def _outs(props: Mapping[str, Any], container: Container, generation: int) -> dict[str, Any]:
    if not isinstance(container.attrs.get("State"), dict) or "Name" not in container.attrs:
        container.reload()  # a listing's summary: no health probe just saw it run
    return {
        **{key: props.get(key) for key in INPUT_KEYS},
        "container_name": container.name,
        "container_id": container.id,
        "url": Spec.of(props).url,
        "status": container.status,
        "generation": generation,
    }


@contextmanager
def _connected(spec: Spec, action: str) -> Iterator[docker.DockerClient]:
    """A client of the spec's engine; its errors reported as :func:`_reported` says."""
    with docker_client(spec.target, spec.tls) as client, _reported(spec, action):
        yield client


@contextmanager
def _reported(spec: Spec, action: str) -> Iterator[None]:
    """Engine errors as one line naming host and location, with secrets redacted.

    ``from None`` matters: the dynamic provider sends the whole traceback to the
    engine, chained exceptions included.
    """
    try:
        yield
    except (EdgeHostError, EdgeContainerError):
        raise
    except docker.errors.DockerException as error:
        explanation = getattr(error, "explanation", None) or str(error)
        raise EdgeHostError(f"{spec.target}: {action} failed: {spec.redact(explanation)}") from None
    except OSError as error:
        raise EdgeHostError(f"{spec.target}: {action} failed: {spec.redact(str(error))}") from None
