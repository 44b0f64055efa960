"""``RegistryCopy``: one image's digest, made present in one registry, as a dynamic resource.

create and update copy the image unless the registry already holds its digest; read
(refresh) checks the digest is still there; delete leaves the registry alone: other
stacks, and a rollback of this one, may still pull that digest.

Credentials reach the provider as plain values: the engine keeps them secret in state,
and :mod:`modelfleet.images.copy` keeps them off command lines and out of errors.
"""

from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi.dynamic
from pulumi.runtime import rpc

from modelfleet.images.copy import ImageCopyError, RegistryAccess, copy_image, manifest_digest
from modelfleet.images.reference import ImageRef, Registry

INPUT_KEYS = ("source", "registry", "tag", "source_auth", "source_ca", "auth", "ca")
SECRET_KEYS = ("source_auth", "auth")
REPLACE_KEYS = ("registry",)
"""Another registry is another copy; the old one is left where it is."""


class RegistryCredentialsArgs(TypedDict):
    """A registry user and password."""

    username: pulumi.Input[str]
    """Registry user."""
    password: pulumi.Input[str]
    """Its password or token (pass a secret)."""


class RegistryCopyArgs(TypedDict):
    """Inputs of :class:`RegistryCopy`."""

    source: pulumi.Input[str]
    """The image as the model names it; pinned by digest outside dev."""
    registry: str
    """Destination registry, ``host[:port][/prefix]``; the image keeps its repository path."""
    tag: NotRequired[str]
    """Tag the copy is pushed as (the model version), beside its digest."""
    source_auth: NotRequired[pulumi.Input[RegistryCredentialsArgs]]
    """Credentials for the source registry; kept secret."""
    source_ca: NotRequired[pulumi.Input[str]]
    """PEM of the CA the source registry's certificate chains to."""
    auth: NotRequired[pulumi.Input[RegistryCredentialsArgs]]
    """Credentials for the destination registry; kept secret."""
    ca: NotRequired[pulumi.Input[str]]
    """PEM of the CA the destination registry's certificate chains to."""


class RegistryCopy(pulumi.dynamic.Resource, module="images", name="RegistryCopy"):
    """The model's image, by digest, in one more registry.

    Example
    -------
    >>> RegistryCopy("iris-lyon", {"source": image, "registry": "registry.plant-lyon.example:5000"})
    """

    image: pulumi.Output[str]
    """The image in this registry, pinned: ``host/path@sha256:...``."""
    digest: pulumi.Output[str]
    """Its digest: the source's, unchanged."""
    copied: pulumi.Output[bool]
    """Whether the last create or update moved bytes (false: the registry had the digest)."""

    def __init__(
        self, name: str, args: RegistryCopyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props: dict[str, Any] = dict.fromkeys(INPUT_KEYS) | dict(args)
        for key in SECRET_KEYS:
            if props[key] is not None:
                props[key] = pulumi.Output.secret(props[key])
        secret_opts = pulumi.ResourceOptions(additional_secret_outputs=list(SECRET_KEYS))
        super().__init__(
            RegistryCopyProvider(),
            name,
            {**props, "image": None, "digest": None, "copied": None},
            pulumi.ResourceOptions.merge(opts, secret_opts),
        )


class RegistryCopyProvider(pulumi.dynamic.ResourceProvider):
    """check / create / read / diff / update / delete of one registry's copy."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.CheckResult:
        failures = []
        for key, parse in (("source", ImageRef.parse), ("registry", Registry.parse)):
            if news.get(key) == rpc.UNKNOWN:
                continue  # computed by another resource: known, and checked, at update time
            try:
                parse(news.get(key) or "")
            except ValueError as error:
                failures.append(pulumi.dynamic.CheckFailure(key, str(error)))
        return pulumi.dynamic.CheckResult(news, failures)

    def diff(
        self, _id: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> pulumi.dynamic.DiffResult:
        changed = [key for key in INPUT_KEYS if olds.get(key) != news.get(key)]
        return pulumi.dynamic.DiffResult(
            changes=bool(changed),
            replaces=[key for key in changed if key in REPLACE_KEYS],
            stables=["registry"],
            delete_before_replace=False,
        )

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        outs = _copied(props)
        return pulumi.dynamic.CreateResult(ImageRef.parse(outs["image"]).name, outs)

    def update(
        self, _id: str, _olds: dict[str, Any], news: dict[str, Any]
    ) -> pulumi.dynamic.UpdateResult:
        return pulumi.dynamic.UpdateResult(_copied(news))

    def read(self, id_: str, props: dict[str, Any]) -> pulumi.dynamic.ReadResult:
        try:
            held = manifest_digest(props["image"], _access(props, ""))
        except ImageCopyError as error:
            raise ImageCopyError(f"{props['registry']}: {error}") from None
        if held != props.get("digest"):
            return pulumi.dynamic.ReadResult("", {})  # gone: the next update copies it again
        return pulumi.dynamic.ReadResult(id_, props)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None


def destination(source: str, registry: str) -> str:
    """``source``'s repository under ``registry`` (without tag or digest)."""
    return ImageRef.parse(source).under(Registry.parse(registry)).name


def _copied(props: Mapping[str, Any]) -> dict[str, Any]:
    try:
        result = copy_image(
            props["source"],
            destination(props["source"], props["registry"]),
            _access(props, "source_"),
            _access(props, ""),
            tag=props.get("tag") or None,
        )
    except ImageCopyError as error:
        raise ImageCopyError(f"registry {props['registry']}: {error}") from None
    outs = {key: props.get(key) for key in INPUT_KEYS}
    return {**outs, "image": result.image, "digest": result.digest, "copied": result.copied}


def _access(props: Mapping[str, Any], prefix: str) -> RegistryAccess:
    auth = props.get(f"{prefix}auth") or {}
    return RegistryAccess(auth.get("username"), auth.get("password"), props.get(f"{prefix}ca"))
