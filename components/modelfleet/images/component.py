"""``ModelImage``: the model's image, by one digest, in every registry its placements pull from.

Targets take their image from :meth:`ModelImage.image_for`, an output of the copy into
their registry: so no target is created or updated before its registry holds the
digest, and a registry that cannot be reached fails the update before anything stops.
"""

import re
from collections.abc import Sequence
from typing import NotRequired, TypedDict

import pulumi

from modelfleet.images.reference import ImageRef, Registry
from modelfleet.images.registry_copy import RegistryCopy, RegistryCopyArgs, RegistryCredentialsArgs

RESOURCE_TYPE = "modelfleet:images:ModelImage"


class RegistryTargetArgs(TypedDict):
    """One registry the image must be in."""

    registry: str
    """``host[:port][/prefix]``: a location's mirror."""
    auth: NotRequired[pulumi.Input[RegistryCredentialsArgs]]
    """Push credentials (pass the password as a secret)."""
    ca: NotRequired[pulumi.Input[str]]
    """PEM of the CA its certificate chains to, when not a public one."""


class ModelImageArgs(TypedDict):
    """Args of :class:`ModelImage`."""

    image: pulumi.Input[str]
    """The model's image as its stack names it; pinned by digest outside dev."""
    registries: Sequence[RegistryTargetArgs]
    """Every registry a placement pulls from (the same registry listed twice is copied once)."""
    version: NotRequired[str]
    """Model version: the copies are also tagged with it."""
    source_auth: NotRequired[pulumi.Input[RegistryCredentialsArgs]]
    """Pull credentials for the image's own registry."""
    source_ca: NotRequired[pulumi.Input[str]]
    """PEM of the CA the image's own registry chains to."""


class ModelImage(pulumi.ComponentResource):
    """One ``RegistryCopy`` per registry the model's placements use.

    Example
    -------
    >>> image = ModelImage("iris", {"image": "ci.example/ml/iris@sha256:...",
    ...                             "registries": [{"registry": "registry.plant-lyon.example:5000"}]})
    >>> image.image_for("registry.plant-lyon.example:5000")  # the EdgeContainer's image input
    """

    images: pulumi.Output[dict[str, str]]
    """Per registry, the image there, pinned by digest."""
    digest: pulumi.Output[str]
    """The one digest every registry holds ("" for a tag-only image and no registry)."""

    def __init__(
        self, name: str, args: ModelImageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(RESOURCE_TYPE, name, {}, opts)
        self._copies: dict[str, RegistryCopy] = {}
        for target in args["registries"]:
            registry = str(Registry.parse(target["registry"]))
            if registry in self._copies:
                continue
            self._copies[registry] = RegistryCopy(
                f"{name}-{slug(registry)}",
                _copy_args(args, target, registry),
                pulumi.ResourceOptions(parent=self),
            )
        self._source = pulumi.Output.from_input(args["image"])
        self.images = pulumi.Output.all(**{r: c.image for r, c in self._copies.items()})
        self.digest = (
            next(iter(self._copies.values())).digest
            if self._copies
            else self._source.apply(lambda image: ImageRef.parse(image).digest or "")
        )
        self.register_outputs({"images": self.images, "digest": self.digest})

    def image_for(self, registry: str | None) -> pulumi.Output[str]:
        """The image a placement pulling from ``registry`` runs; the model's own for None."""
        if registry is None:
            return self._source
        key = str(Registry.parse(registry))
        if key not in self._copies:
            raise ValueError(f"{registry!r} is not one of this ModelImage's registries")
        return self._copies[key].image


def slug(registry: str) -> str:
    """A registry as a resource-name suffix: stable while the registry's name is."""
    return re.sub(r"[^a-z0-9]+", "-", registry.lower()).strip("-")


def _copy_args(args: ModelImageArgs, target: RegistryTargetArgs, registry: str) -> RegistryCopyArgs:
    copy_args: RegistryCopyArgs = {"source": args["image"], "registry": registry}
    if "version" in args:
        copy_args["tag"] = args["version"]
    if "source_auth" in args:
        copy_args["source_auth"] = args["source_auth"]
    if "source_ca" in args:
        copy_args["source_ca"] = args["source_ca"]
    if "auth" in target:
        copy_args["auth"] = target["auth"]
    if "ca" in target:
        copy_args["ca"] = target["ca"]
    return copy_args
