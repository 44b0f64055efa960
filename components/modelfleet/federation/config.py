"""``modelfleet:federations``: who trains which model where, as pydantic models.

Shape and local validity only, like :mod:`modelfleet.config`; what spans the stack
(the model and locations a federation names, residency) is in :func:`validate`.
"""

from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, TypeAdapter, ValidationError

from modelfleet.config import Image, Name, SecretValue, Strict


def _check_host_path(path: str) -> str:
    if not PurePosixPath(path).is_absolute() or ".." in PurePosixPath(path).parts:
        raise ValueError("must be an absolute path on the site's Docker host, without '..'")
    return path


HostPath = Annotated[str, AfterValidator(_check_host_path)]


def _check_file_name(name: str) -> str:
    if "/" in name or name in {"", ".", ".."}:
        raise ValueError("must be a file name within the claim, without '/'")
    return name


class SiteSpec(Strict):
    """One site of a federation: a location holding part of the training rows.

    Edge sites name a file on the Docker host (``data``); Kubernetes sites a
    PersistentVolumeClaim (``claim``) and the file in it (``data_file``).
    """

    data: HostPath | None = Field(
        None, description="Edge: the rows' file on the Docker host; mounted read-only, alone."
    )
    host: Name | None = Field(None, description="Edge: which host runs the SuperNode.")
    claim: Name | None = Field(
        None, description="Kubernetes: the PersistentVolumeClaim holding the rows (read-only)."
    )
    data_file: Annotated[str, AfterValidator(_check_file_name)] = Field(
        "rows.csv", description="Kubernetes: the rows' file within the claim."
    )


class AggregatorTls(Strict):
    """The SuperLink's TLS: its certificate, its key, and the CA sites verify it with (PEM)."""

    ca: str = Field(min_length=1, description="CA certificate sites trust.")
    cert: str = Field(min_length=1, description="SuperLink certificate (SANs: what sites dial).")
    key: SecretValue = Field(description="SuperLink private key, a secret.")


class FederationSpec(Strict):
    """One federation: a model trained at its sites, aggregated at one location."""

    model: Name = Field(description="The model (in modelfleet:models) this federation trains.")
    aggregator: Name = Field(description="Location of the Flower SuperLink.")
    aggregator_host: Name | None = Field(None, description="Host of that location; default first.")
    port: int = Field(9093, ge=1, le=65535, description="SuperLink port (Fleet and Control API).")
    sites: dict[Name, SiteSpec] = Field(min_length=1, description="Location name -> its data.")
    rounds: int = Field(3, ge=1, le=1000, description="FedAvg rounds.")
    min_clients: int | None = Field(
        None, ge=1, description="Sites that must answer each round (default: all of them)."
    )
    strategy: Literal["fedavg"] = Field("fedavg", description="Aggregation strategy.")
    local_epochs: int = Field(20, ge=1, le=10_000, description="Solver steps per site per round.")
    round_timeout_s: float = Field(60.0, gt=0, le=86_400, description="Wait for replies.")
    image: Image = Field("modelfleet/federation:dev", description="Federation image.")
    tls: AggregatorTls | None = Field(
        None,
        description="The SuperLink's TLS. May be left out of a stack file until "
        "`pulumi config set`; `up` refuses a federation without it.",
    )

    @property
    def required_clients(self) -> int:
        return self.min_clients if self.min_clients is not None else len(self.sites)


Federations = dict[Name, FederationSpec]
_ADAPTER: TypeAdapter[Federations] = TypeAdapter(Federations)


def parse_federations(raw: Mapping[str, Any] | None) -> Federations:
    """The federations map, or :class:`pydantic.ValidationError` (see :func:`validate`)."""
    return _ADAPTER.validate_python(dict(raw or {}))


def validation_errors(raw: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """pydantic's errors for ``raw``, empty when it parses."""
    try:
        parse_federations(raw)
    except ValidationError as exc:
        return [dict(error) for error in exc.errors()]
    return []
