"""Check a resource's inputs against its provider's schema, as the provider would.

The mocks accept anything; a provider does not. This module holds every ``aws:*``,
``azure-native:*`` and ``kubernetes:*`` registration to the schema subsets under
``tests/schemas/`` (written by ``scripts/extract-provider-schemas``): no unknown
property at any depth, the right type, every required property, enum and constant
values, and the patterns the data carries (ARNs, ARM resource IDs). Where the schema
takes a string or a document (IAM policies), JSON text is checked as the document; the
endpoint an ARM template puts is checked as the azure-native resource it is. Each
violation names the resource, the property path and the rule.

Findings in today's components that are waiting for a fix are listed, each with its
reason, in ``tests/schemas/known-findings.json``; anything else fails.

Example
-------
>>> schemas().check("aws:sagemaker/endpoint:Endpoint", "ep", {})
[Violation(resource='aws:sagemaker/endpoint:Endpoint ep', path='endpointConfigName', ...)]
"""

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pulumi.runtime import rpc

SCHEMA_DIR = Path(__file__).parent / "schemas"
KNOWN_FINDINGS = SCHEMA_DIR / "known-findings.json"
CHECKED = ("aws:", "azure-native:", "kubernetes:")
"""Type-token prefixes of the packages whose schemas are checked."""
ANY = ("pulumi.json#/Any", "pulumi.json#/Asset", "pulumi.json#/Archive")
UNKNOWN = rpc.UNKNOWN
ARM_DEPLOYMENT = "azure-native:resources:Deployment"
ARM_TYPES = {
    "Microsoft.MachineLearningServices/workspaces/onlineEndpoints": (
        "azure-native:machinelearningservices:OnlineEndpoint"
    ),
}
"""Resources an ARM template may put, by ARM type: checked as the azure-native resource."""
ARM_BODY = ("identity", "kind", "location", "properties", "sku", "tags")
"""The parts of a template resource that are its REST body (the rest is template syntax)."""
OPAQUE_SIGS = (rpc._special_resource_sig, rpc._special_asset_sig, rpc._special_archive_sig)


@dataclass(frozen=True)
class Violation:
    """One input the provider would refuse."""

    resource: str
    """Type token and logical name."""
    path: str
    """Where in the inputs, e.g. ``productionVariants[0].serverlessConfig``."""
    rule: str
    """unknown property, missing required, wrong type, not in enum, const, pattern, no schema."""
    detail: str

    def __str__(self) -> str:
        return f"{self.resource}: {self.path or '<inputs>'}: {self.rule}: {self.detail}"


class SchemaViolationError(AssertionError):
    """Raised by the mock hook: the resource would not get past its provider."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = list(violations)
        super().__init__("provider schema check failed:\n  " + "\n  ".join(map(str, violations)))


class Schemas:
    """The resources and types of every schema file, by type token."""

    def __init__(self, documents: Sequence[Mapping[str, Any]]) -> None:
        self.resources: dict[str, Mapping[str, Any]] = {}
        self.types: dict[str, Mapping[str, Any]] = {}
        self.versions: dict[str, str] = {}
        for doc in documents:
            self.versions[doc["name"]] = doc["version"]
            for token, resource in doc["resources"].items():
                self.resources[token] = resource
            for token, typ in doc["types"].items():
                self.types[f"{doc['name']}/{token}"] = typ

    @classmethod
    def load(cls, directory: Path = SCHEMA_DIR) -> "Schemas":
        files = sorted(p for p in directory.glob("*.json") if p != KNOWN_FINDINGS)
        return cls([json.loads(p.read_text()) for p in files])

    def check(self, token: str, name: str, inputs: Mapping[str, Any]) -> list[Violation]:
        """Every way ``inputs`` break the schema of resource ``token`` (empty when none)."""
        walk = _Walk(self, f"{token} {name}", token.split(":", 1)[0])
        resource = self.resources.get(token)
        if resource is None:
            walk.fail(
                "",
                "no schema",
                f"{token} is not in tests/schemas: add it to "
                "tests/schema_extract.py and run scripts/extract-provider-schemas",
            )
            return walk.violations
        shape = {
            "type": "object",
            "properties": resource["inputProperties"],
            "required": resource.get("requiredInputs", []),
        }
        walk.value(shape, dict(inputs), "")
        if token == ARM_DEPLOYMENT:
            self.template(walk, plain(plain(inputs.get("properties")) or {}).get("template"))
        return walk.violations

    def template(self, walk: "_Walk", template: Any) -> None:
        """Check the bodies an ARM template puts, as the resource they are would be checked.

        A template's resources go to Azure without any provider's schema in the way.
        """
        resources = plain(template).get("resources", []) if isinstance(template, Mapping) else []
        for index, body in enumerate(map(plain, resources)):
            token = ARM_TYPES.get(body.get("type", "")) if isinstance(body, Mapping) else None
            if token is None:
                continue
            resource = self.resources[token]
            path = f"properties.template.resources[{index}]"
            if body.get("apiVersion") != resource["apiVersion"]:
                walk.fail(
                    f"{path}.apiVersion",
                    "api version",
                    f"{body.get('apiVersion')!r} is not {resource['apiVersion']!r}, the version "
                    f"the schema of {token} describes",
                )
            for key in ARM_BODY:
                if key in body:
                    walk.value(resource["inputProperties"][key], body[key], f"{path}.{key}")


class _Walk:
    """One resource's walk through its inputs, collecting violations."""

    def __init__(self, schemas: Schemas, resource: str, package: str) -> None:
        self.schemas = schemas
        self.resource = resource
        self.package = package
        self.violations: list[Violation] = []

    def fail(self, path: str, rule: str, detail: str) -> None:
        self.violations.append(Violation(self.resource, path, rule, detail))

    def resolve(self, ref: str) -> Mapping[str, Any]:
        return self.schemas.types[f"{self.package}/{ref.removeprefix('#/types/')}"]

    def value(self, spec: Mapping[str, Any], value: Any, path: str) -> None:
        value = plain(value)
        if value is None or value == UNKNOWN or _opaque(value):
            return
        if "$ref" in spec:
            if spec["$ref"] not in ANY:
                self.value(self.resolve(spec["$ref"]), value, path)
            return
        if "oneOf" in spec:
            self.one_of(spec, value, path)
            return
        if not self.typed(spec, value, path):
            return
        if "const" in spec and value != spec["const"]:
            self.fail(path, "const", f"{value!r} is not {spec['const']!r}")
        if "enum" in spec:
            allowed = [e["value"] if isinstance(e, dict) else e for e in spec["enum"]]
            if value not in allowed:
                self.fail(path, "not in enum", f"{value!r} is not one of {allowed}")
        if "pattern" in spec and isinstance(value, str) and not re.search(spec["pattern"], value):
            self.fail(path, "pattern", f"{value!r} does not match {spec['pattern']}")

    def typed(self, spec: Mapping[str, Any], value: Any, path: str) -> bool:
        """Check ``value``'s type, and its members when it has some; False on a wrong type."""
        kind = spec.get("type")
        if kind is None:
            return True
        if not _is(kind, value):
            self.fail(path, "wrong type", f"expected {kind}, got {type(value).__name__} {value!r}")
            return False
        if kind == "array" and "items" in spec:
            for index, item in enumerate(value):
                self.value(spec["items"], item, f"{path}[{index}]")
        if kind == "object":
            self.members(spec, value, path)
        return True

    def members(self, spec: Mapping[str, Any], value: Mapping[str, Any], path: str) -> None:
        properties: Mapping[str, Any] | None = spec.get("properties")
        extra = spec.get("additionalProperties")
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if properties is not None and key in properties:
                self.value(properties[key], item, where)
            elif properties is None and isinstance(extra, dict):
                self.value(extra, item, f"{path}[{key!r}]")
            elif properties is not None and item is not None:
                close = difflib.get_close_matches(key, list(properties), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                self.fail(where, "unknown property", f"{key!r} is not a property{hint}")
        for key in spec.get("required", []):
            if plain(value.get(key)) is None:
                self.fail(
                    f"{path}.{key}" if path else key, "missing required", f"{key!r} is required"
                )

    def one_of(self, spec: Mapping[str, Any], value: Any, path: str) -> None:
        discriminator = spec.get("discriminator")
        if discriminator and isinstance(value, Mapping):
            prop, mapping = discriminator["propertyName"], discriminator["mapping"]
            tag = plain(value.get(prop))
            if tag in mapping:
                self.value({"$ref": mapping[tag]}, value, path)
            elif tag != UNKNOWN:
                where = f"{path}.{prop}" if path else prop
                self.fail(where, "not in enum", f"{tag!r} is not one of {sorted(mapping)}")
            return
        documents = _document_options(spec["oneOf"])
        if documents and isinstance(value, str) and isinstance(_json(value), dict):
            # A document given as its JSON text (an IAM policy) is checked as the document.
            self.one_of({"oneOf": documents}, _json(value), f"{path}(json)")
            return
        attempts: list[list[Violation]] = []
        for option in spec["oneOf"]:
            trial = _Walk(self.schemas, self.resource, self.package)
            trial.value(option, value, path)
            if not trial.violations:
                return
            attempts.append(trial.violations)
        fewest: list[Violation] = min(attempts, key=len)
        self.violations.extend(fewest)


def _document_options(options: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The object types of a "string or document" union; empty for any other union."""
    if not any(o.get("type") == "string" for o in options):
        return []
    return [o for o in options if o.get("$ref", ANY[0]) not in ANY]


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _is(kind: str, value: Any) -> bool:
    if kind == "integer":
        integral = isinstance(value, float) and value.is_integer()
        return (isinstance(value, int) or integral) and not isinstance(value, bool)
    checks: dict[str, Any] = {
        "string": str,
        "number": (int, float),
        "boolean": bool,
        "array": (list, tuple),
        "object": Mapping,
    }
    return isinstance(value, checks[kind]) and not (kind == "number" and isinstance(value, bool))


def plain(value: Any) -> Any:
    """The value inside a secret or an output value, as the provider receives it."""
    while isinstance(value, Mapping) and value.get(rpc._special_sig_key) in (
        rpc._special_secret_sig,
        rpc._special_output_value_sig,
    ):
        value = value.get("value")
    return value


def _opaque(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get(rpc._special_sig_key) in OPAQUE_SIGS


@dataclass(frozen=True)
class KnownFinding:
    """A violation in today's components, allowed until its fix lands."""

    type: str
    path: str
    """The property path; ``*`` stands for any index, key or name within one step."""
    rule: str
    reason: str

    def covers(self, violation: Violation) -> bool:
        return (
            violation.resource.split(" ", 1)[0] == self.type
            and re.fullmatch(re.escape(self.path).replace(r"\*", "[^.]*"), violation.path)
            is not None
            and violation.rule == self.rule
        )


@cache
def known_findings() -> tuple[KnownFinding, ...]:
    entries = json.loads(KNOWN_FINDINGS.read_text())["findings"]
    return tuple(KnownFinding(**e) for e in entries)


@cache
def schemas() -> Schemas:
    return Schemas.load()


def check_registration(token: str, name: str, inputs: Mapping[str, Any]) -> None:
    """The mock hook: raise :class:`SchemaViolationError` unless ``inputs`` fit the schema."""
    if not token.startswith(CHECKED):
        return
    found = schemas().check(token, name, inputs)
    left = [v for v in found if not any(k.covers(v) for k in known_findings())]
    if left:
        raise SchemaViolationError(left)
