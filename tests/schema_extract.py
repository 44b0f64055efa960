"""Cut the provider schemas down to what modelfleet registers, as small JSON files.

The published Pulumi package schemas (``schema.json``) of pulumi-aws and
pulumi-azure-native are not reachable here (the Go module proxy refuses their
``provider`` modules, and their plugins cannot be built), so their subsets are read off
the installed Python SDKs, which are generated from those very schemas: each
``@pulumi.input_type`` class carries the wire names, the types, which arguments are
required (no default) and which are constants (discriminators); ``_enums.py`` carries
the enums. Kubernetes comes from the API server's own OpenAPI document
(``api/openapi-spec/swagger.json`` of the ``k8s.io/kubernetes`` module) for the cluster
version the project supports.

Every file has the Pulumi package schema's shape (``resources`` with
``inputProperties``/``requiredInputs``, ``types``, ``$ref: "#/types/..."``), so one
checker (``tests/provider_schemas.py``) reads all three. Descriptions are dropped; the
few patterns (ARNs, ARM resource IDs) the extractor derives from names and
descriptions are listed under ``provenance.rules``.

Run ``scripts/extract-provider-schemas`` to regenerate.
"""

import argparse
import datetime
import enum
import importlib
import inspect
import json
import re
import subprocess
import sys
import typing
from collections.abc import Awaitable, Iterator, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import pulumi
from pulumi import _types

SCHEMA_DIR = Path(__file__).parent / "schemas"
KUBERNETES_VERSION = "1.37.2"
"""The cluster version modelfleet supports (scripts/install-kubernetes runs it)."""

# What modelfleet registers, by SDK class (the checker fails on any type not listed).
SDK_RESOURCES: dict[str, tuple[str, ...]] = {
    "pulumi-aws": (
        "pulumi_aws.appautoscaling.Policy",
        "pulumi_aws.appautoscaling.Target",
        "pulumi_aws.cloudwatch.LogGroup",
        "pulumi_aws.cloudwatch.MetricAlarm",
        "pulumi_aws.iam.Role",
        "pulumi_aws.iam.RolePolicy",
        "pulumi_aws.sagemaker.Endpoint",
        "pulumi_aws.sagemaker.EndpointConfiguration",
        "pulumi_aws.sagemaker.Model",
    ),
    "pulumi-azure-native": (
        "pulumi_azure_native.machinelearningservices.EnvironmentContainer",
        "pulumi_azure_native.machinelearningservices.EnvironmentVersion",
        "pulumi_azure_native.machinelearningservices.OnlineDeployment",
        "pulumi_azure_native.machinelearningservices.OnlineEndpoint",
        "pulumi_azure_native.resources.Deployment",
    ),
}
KUBERNETES_RESOURCES = (
    "kubernetes:apps/v1:Deployment",
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    "kubernetes:core/v1:Namespace",
    "kubernetes:core/v1:Secret",
    "kubernetes:core/v1:Service",
    "kubernetes:core/v1:ServiceAccount",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    "kubernetes:policy/v1:PodDisruptionBudget",
)

ARN = r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:.+$"
ARM_ID = r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/[^/]+/.+$"
ARM_ID_OR_ASSET = r"^(/subscriptions/[^/]+/resourceGroups/[^/]+/providers/[^/]+/.+|azureml:.+)$"
RULES = [
    f"aws: a string property whose wire name ends in 'Arn' must match {ARN}",
    "azure-native: a string property described as an 'ARM resource ID' must match "
    f"{ARM_ID}; described as 'ARM resource ID or AssetId', {ARM_ID_OR_ASSET}",
    "azure-native: an enum the SDK types as Union[str, Enum] (modelAsString) is held to its "
    "listed values; a value Azure added later needs a newer provider anyway",
    "a constant the SDK sets in an input type's __init__ is that type's discriminator value",
]
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
CONSTANT = re.compile(r"""pulumi\.set\(__self__, "(\w+)", '([^']*)'\)""")
API_VERSION = re.compile(r"Uses Azure REST API version (\S+?)\.(\s|$)")
TOKEN = re.compile(r"""__init__\(\s*'([^']+)'""")


# --- the Python SDKs -----------------------------------------------------------------


class SdkSchema:
    """The schema subset of one provider package, read off its Python SDK."""

    def __init__(self, package: str) -> None:
        self.package = package
        self.prefix = package.removeprefix("pulumi-")
        self.types: dict[str, dict[str, Any]] = {}

    def resource(self, path: str) -> tuple[str, dict[str, Any]]:
        module_name, _, class_name = path.rpartition(".")
        module = importlib.import_module(module_name)
        cls = getattr(module, class_name)
        match = TOKEN.search(inspect.getsource(cls._internal_init))
        if match is None:
            raise ValueError(f"{path}: no type token in _internal_init")
        shape = self.object_shape(getattr(module, f"{class_name}Args"))
        resource: dict[str, Any] = {
            "inputProperties": shape["properties"],
            "requiredInputs": shape.get("required", []),
        }
        api = API_VERSION.search(inspect.getsource(cls))
        if api:
            resource["apiVersion"] = api.group(1)
        return match.group(1), resource

    def object_shape(self, cls: type) -> dict[str, Any]:
        names = _types.input_type_py_to_pulumi_names(cls)
        hints = _types.input_type_types(cls)
        constants = dict(CONSTANT.findall(inspect.getsource(cls.__init__)))  # type: ignore[misc]
        params = inspect.signature(cls.__init__).parameters  # type: ignore[misc]
        properties: dict[str, Any] = {}
        for py_name, wire in names.items():
            spec = self.spec(hints[wire])
            if py_name in constants:
                spec["const"] = constants[py_name]
            pattern = self.pattern(wire, getattr(cls, py_name).fget.__doc__ or "", spec)
            if pattern:
                spec["pattern"] = pattern
            properties[wire] = spec
        required = [
            names[p.name]
            for p in params.values()
            if p.name in names and p.default is inspect.Parameter.empty
        ]
        shape: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            shape["required"] = required
        return shape

    def pattern(self, wire: str, doc: str, spec: dict[str, Any]) -> str | None:
        if spec.get("type") != "string":
            return None
        if self.prefix == "aws" and wire.endswith("Arn"):
            return ARN
        if "ARM resource ID or AssetId" in doc:
            return ARM_ID_OR_ASSET
        if "ARM resource ID" in doc:
            return ARM_ID
        return None

    def spec(self, hint: Any) -> dict[str, Any]:
        members = list(_members(hint))
        if len(members) == 1:
            return self.single(members[0])
        enums = [m for m in members if isinstance(m, type) and issubclass(m, enum.Enum)]
        if enums and all(m is str or m in enums for m in members):
            return {"$ref": self.enum_ref(enums[0])}
        options = [self.single(m) for m in members]
        spec: dict[str, Any] = {"oneOf": options}
        discriminator = self.discriminator(members)
        if discriminator:
            spec["discriminator"] = discriminator
        return spec

    def single(self, hint: Any) -> dict[str, Any]:
        primitive = {str: "string", int: "integer", float: "number", bool: "boolean"}
        if hint in primitive:
            return {"type": primitive[hint]}
        if hint is Any or hint is object:
            return {"$ref": "pulumi.json#/Any"}
        if hint in (pulumi.Asset, pulumi.Archive):
            return {"$ref": "pulumi.json#/Asset"}
        origin = typing.get_origin(hint)
        if origin in (list, Sequence):
            return {"type": "array", "items": self.spec(typing.get_args(hint)[0])}
        if origin in (dict, Mapping):
            return {"type": "object", "additionalProperties": self.spec(typing.get_args(hint)[1])}
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            return {"$ref": self.enum_ref(hint)}
        if isinstance(hint, type) and _types.is_input_type(hint):
            return {"$ref": self.type_ref(hint)}
        raise TypeError(f"{self.package}: no schema type for {hint!r}")

    def token(self, cls: type) -> str:
        module = cls.__module__.split(".")[1]
        name = cls.__name__.removesuffix("Args")
        if self.prefix == "aws":
            return f"aws:{module}/{name}:{name}"
        return f"{self.prefix}:{module}:{name}"

    def type_ref(self, cls: type) -> str:
        token = self.token(cls)
        if token not in self.types:
            self.types[token] = {}  # a placeholder first: types may refer to themselves
            self.types[token] = self.object_shape(cls)
        return f"#/types/{token}"

    def enum_ref(self, cls: type[enum.Enum]) -> str:
        token = self.token(cls)
        self.types[token] = {"type": "string", "enum": [{"value": m.value} for m in cls]}
        return f"#/types/{token}"

    def discriminator(self, members: list[Any]) -> dict[str, Any] | None:
        """The property whose constant tells a union's object types apart, if there is one."""
        if not all(isinstance(m, type) and _types.is_input_type(m) for m in members):
            return None
        shapes = {
            self.type_ref(m): self.types[self.type_ref(m).rpartition("/")[2]] for m in members
        }
        consts = [
            {w: p["const"] for w, p in s["properties"].items() if "const" in p}
            for s in shapes.values()
        ]
        common = set.intersection(*(set(c) for c in consts))
        if len(common) != 1:
            return None
        (prop,) = common
        return {
            "propertyName": prop,
            "mapping": {c[prop]: ref for c, ref in zip(consts, shapes, strict=True)},
        }


def _members(hint: Any) -> Iterator[Any]:
    """The types a value may have, without None, Awaitable or Output (Input's wrappers)."""
    if typing.get_origin(hint) is typing.Union:
        for arg in typing.get_args(hint):
            yield from _members(arg)
        return
    origin = typing.get_origin(hint)
    if hint is type(None) or origin in (Awaitable, pulumi.Output) or hint is pulumi.Output:
        return
    yield hint


def sdk_schema(package: str, paths: Sequence[str]) -> dict[str, Any]:
    schema = SdkSchema(package)
    resources = dict(sorted(schema.resource(path) for path in paths))
    version = metadata.version(package)
    return {
        "name": schema.prefix,
        "version": version,
        "provenance": {
            "source": f"installed Python SDK {package}=={version} (@pulumi.input_type classes "
            "and _enums.py, generated from the provider's schema.json)",
            "why": "the provider's published schema.json is not served by the Go module "
            "proxy (403) and its plugin cannot be built here",
            "generated": datetime.date.today().isoformat(),
            "generator": "scripts/extract-provider-schemas",
            "rules": RULES,
            "typeTokens": "derived from the SDK class names: <package>:<module>[/<Name>]:<Name>",
        },
        "resources": resources,
        "functions": {},
        "types": dict(sorted(schema.types.items())),
    }


# --- Kubernetes ----------------------------------------------------------------------


def kubernetes_swagger(version: str) -> Path:
    """swagger.json of the k8s.io/kubernetes module, fetched through the Go module proxy."""
    out = subprocess.run(
        ["go", "mod", "download", "-json", f"k8s.io/kubernetes@v{version}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return Path(json.loads(out)["Dir"]) / "api" / "openapi-spec" / "swagger.json"


def kubernetes_schema(swagger_path: Path, version: str) -> dict[str, Any]:
    definitions = json.loads(swagger_path.read_text())["definitions"]
    by_kind = {
        _pulumi_token(gvk): name
        for name, d in definitions.items()
        for gvk in d.get("x-kubernetes-group-version-kind", [])
    }
    types: dict[str, Any] = {}
    resources: dict[str, Any] = {}
    for token in KUBERNETES_RESOURCES:
        shape = _k8s_spec(definitions[by_kind[token]], definitions, types)
        properties = {k: v for k, v in shape["properties"].items() if k != "status"}
        group_version, _, kind = token.removeprefix("kubernetes:").partition(":")
        properties["apiVersion"] = {"type": "string", "const": group_version.removeprefix("core/")}
        properties["kind"] = {"type": "string", "const": kind}
        resources[token] = {
            "inputProperties": properties,
            "requiredInputs": shape.get("required", []),
        }
    return {
        "name": "kubernetes",
        "version": version,
        "provenance": {
            "source": f"k8s.io/kubernetes@v{version} api/openapi-spec/swagger.json "
            "(the API server's OpenAPI v2 document), via the Go module proxy",
            "why": "the cluster version modelfleet supports; pulumi-kubernetes's own schema "
            "is generated from this document",
            "generated": datetime.date.today().isoformat(),
            "generator": "scripts/extract-provider-schemas",
            "rules": [
                "resource tokens are kubernetes:<group or core>/<version>:<Kind>, from "
                "x-kubernetes-group-version-kind; status (read-only) is not an input; "
                "apiVersion and kind are constants of the resource",
                "format int-or-string takes an integer or a string; a Quantity a string or "
                "a number (as the API server decodes it)",
                "the document carries no enums and no patterns",
            ],
        },
        "resources": dict(sorted(resources.items())),
        "functions": {},
        "types": dict(sorted(types.items())),
    }


def _pulumi_token(gvk: Mapping[str, str]) -> str:
    return f"kubernetes:{gvk['group'] or 'core'}/{gvk['version']}:{gvk['kind']}"


def _k8s_spec(d: Mapping[str, Any], definitions: Mapping[str, Any], types: dict[str, Any]) -> Any:
    keep = ("type", "required", "enum", "pattern")
    if d.get("format") == "int-or-string":
        return {"oneOf": [{"type": "integer"}, {"type": "string"}]}
    if "$ref" in d:
        name = d["$ref"].rpartition("/")[2]
        if name == QUANTITY:
            return {"oneOf": [{"type": "string"}, {"type": "number"}]}
        if name not in types:
            types[name] = {}
            types[name] = _k8s_spec(definitions[name], definitions, types)
        return {"$ref": f"#/types/{name}"}
    spec: dict[str, Any] = {k: d[k] for k in keep if k in d}
    if "properties" in d:
        spec["type"] = "object"
        spec["properties"] = {
            k: _k8s_spec(v, definitions, types) for k, v in d["properties"].items()
        }
    for key in ("items", "additionalProperties"):
        if isinstance(d.get(key), dict):
            spec[key] = _k8s_spec(d[key], definitions, types)
    if d.get("x-kubernetes-preserve-unknown-fields") or not spec:
        spec = {"$ref": "pulumi.json#/Any"}
    return spec


# --- files ---------------------------------------------------------------------------


def write(schema: Mapping[str, Any], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{schema['name']}-{schema['version']}.json"
    path.write_text(json.dumps(schema, indent=1, sort_keys=False) + "\n")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SCHEMA_DIR)
    parser.add_argument(
        "--swagger", type=Path, help="Kubernetes swagger.json (default: from the Go module proxy)"
    )
    args = parser.parse_args(argv)
    schemas = [sdk_schema(package, paths) for package, paths in SDK_RESOURCES.items()]
    try:
        swagger = args.swagger or kubernetes_swagger(KUBERNETES_VERSION)
    except (OSError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", None) or error
        print(
            f"error: cannot get k8s.io/kubernetes@v{KUBERNETES_VERSION} through `go mod "
            f"download` ({str(detail).strip()}); pass --swagger PATH/swagger.json",
            file=sys.stderr,
        )
        return 1
    schemas.append(kubernetes_schema(swagger, KUBERNETES_VERSION))
    for schema in schemas:
        path = write(schema, args.out)
        print(f"{path}: {path.stat().st_size} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
