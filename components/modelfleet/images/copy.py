"""Copy an image from one registry to another, byte for byte, with skopeo.

Why skopeo (Debian's package; ``containers/image`` underneath): it moves the manifest
and blobs as they are, and ``--preserve-digests`` makes it fail rather than write a
different manifest. ``docker pull/tag/push`` can rewrite a manifest (another media type,
recompressed layers), and then the digest a stack pinned no longer exists in the mirror.
``--all`` copies a multi-platform index whole, so its digest is kept too.

Credentials go to skopeo in an auth file (mode 600) in a private temporary directory,
never on its command line (where ``ps`` shows them); errors are redacted all the same.
"""

import base64
import hashlib
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from modelfleet.images.reference import ImageRef, Registry

INSPECT_TIMEOUT_S = 120
COPY_TIMEOUT_S = 3600
"""A 236 MB image over a thin link takes minutes, not hours."""
MISSING = ("manifest unknown", "name unknown", "not found")
"""How a registry says it does not hold a manifest (skopeo passes its words on)."""
_LOG_MESSAGE = re.compile(r'msg="((?:[^"\\]|\\.)*)"')
_PARSING = re.compile(r'^Error parsing image name "[^"]*": ')
ACCEPT_ANYTHING = {"default": [{"type": "insecureAcceptAnything"}]}
"""Signature policy for skopeo: what is trusted here is the digest, checked below."""


class ImageCopyError(RuntimeError):
    """A registry could not be read or written; the message names it, without secrets."""


@dataclass(frozen=True)
class RegistryAccess:
    """How to reach one registry: credentials and the CA its TLS certificate chains to.

    No CA and a loopback host: plain HTTP is allowed there, as Docker allows it.
    """

    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca: str | None = field(default=None, repr=False)
    """PEM of the CA that signed the registry's certificate, when not a public one."""


@dataclass(frozen=True)
class CopyResult:
    """What a copy left in the destination."""

    image: str
    """The destination image, pinned: ``host/path@sha256:...``."""
    digest: str
    copied: bool
    """False when the destination already held the digest and nothing moved."""


def manifest_digest(image: str, access: RegistryAccess | None = None) -> str | None:
    """The digest of the manifest ``image`` names in its registry; None when it holds none."""
    ref = ImageRef.parse(image)
    with _workdir() as work:
        flags = _flags(work, "", ref.host, access)
        code, raw, error = _skopeo(
            work, ["inspect", "--raw", *flags, f"docker://{ref}"], INSPECT_TIMEOUT_S
        )
    if code != 0:
        if any(word in error for word in MISSING):
            return None
        raise ImageCopyError(f"cannot read {ref} from {ref.host}: {_redact(error, access)}")
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def pin(image: str, access: RegistryAccess | None = None) -> str:
    """``image`` pinned to the digest its tag names in its registry now.

    For a stack whose image is built where it deploys (``local``): the program pins
    the tag when it runs, so every resource, and the policy pack, sees a digest.
    """
    ref = ImageRef.parse(image)
    if ref.pinned:
        return str(ref)
    digest = manifest_digest(image, access)
    if digest is None:
        raise ImageCopyError(f"{image} does not exist in {ref.host}")
    return str(ImageRef(ref.host, ref.repository, digest=digest))


def copy_image(
    source: str,
    destination: str,
    source_access: RegistryAccess | None = None,
    destination_access: RegistryAccess | None = None,
    tag: str | None = None,
) -> CopyResult:
    """Make ``destination``'s registry hold ``source``'s manifest under the same digest.

    ``destination`` names the repository (``host/path``; a tag or digest in it is
    ignored). A source pinned by tag is resolved to its digest first. Nothing moves
    when the destination already holds that digest. Otherwise the copy is pushed as
    ``tag`` when given (an immutable-tag registry then refuses a version whose bytes
    changed), else by digest alone.
    """
    src = ImageRef.parse(source)
    digest = src.digest or manifest_digest(source, source_access)
    if digest is None:
        raise ImageCopyError(f"{source} does not exist in {src.host}")
    pinned_src = ImageRef(src.host, src.repository, digest=digest)
    dst = ImageRef.parse(destination)
    pinned_dst = ImageRef(dst.host, dst.repository, digest=digest)
    if manifest_digest(str(pinned_dst), destination_access) == digest:
        return CopyResult(str(pinned_dst), digest, copied=False)
    target = ImageRef(dst.host, dst.repository, tag=tag) if tag else pinned_dst
    with _workdir() as work:
        flags = _flags(work, "src-", src.host, source_access)
        flags += _flags(work, "dest-", dst.host, destination_access)
        code, _, error = _skopeo(
            work,
            [
                "copy",
                "--all",
                "--preserve-digests",
                "--quiet",
                "--digestfile",
                str(work / "digest"),
                *flags,
                f"docker://{pinned_src}",
                f"docker://{target}",
            ],
            COPY_TIMEOUT_S,
        )
        if code != 0:
            reason = _redact(_redact(error, source_access), destination_access)
            raise ImageCopyError(f"copying {pinned_src} to {target} failed: {reason}")
        written = (work / "digest").read_text().strip()
    if written != digest:
        raise ImageCopyError(f"{target} was written as {written}, not {digest}: not copied as is")
    return CopyResult(str(pinned_dst), digest, copied=True)


def _flags(work: Path, side: str, host: str, access: RegistryAccess | None) -> list[str]:
    """skopeo's options for one side of a command: auth file, CA directory, TLS."""
    access = access or RegistryAccess()
    flags = []
    if access.username is not None and access.password is not None:
        token = base64.b64encode(f"{access.username}:{access.password}".encode()).decode()
        auth = work / f"{side or 'inspect-'}auth.json"
        auth.touch(mode=0o600)
        auth.write_text(json.dumps({"auths": {host: {"auth": token}}}))
        flags.append(f"--{side or ''}authfile={auth}")
    if access.ca is not None:
        certs = work / f"{side or 'inspect-'}certs"
        certs.mkdir()
        (certs / "ca.crt").write_text(access.ca)
        flags.append(f"--{side}cert-dir={certs}")
    verify = access.ca is not None or not Registry(host).is_loopback
    flags.append(f"--{side}tls-verify={'true' if verify else 'false'}")
    return flags


@contextmanager
def _workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="modelfleet-skopeo-") as path:
        work = Path(path)
        (work / "policy.json").write_text(json.dumps(ACCEPT_ANYTHING))
        yield work


def _skopeo(work: Path, args: list[str], timeout_s: float) -> tuple[int, bytes, str]:
    """skopeo's exit code, output and error text."""
    binary = shutil.which("skopeo")
    if binary is None:
        raise ImageCopyError(
            "skopeo is not installed: it copies images between registries as they are "
            "(Debian: apt-get install skopeo)"
        )
    command = [binary, f"--policy={work / 'policy.json'}", *args]
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise ImageCopyError(f"skopeo {args[0]} took longer than {timeout_s:g} s") from None
    return done.returncode, done.stdout, done.stderr.decode(errors="replace")


def _redact(text: str, access: RegistryAccess | None) -> str:
    """skopeo's last error line, as words (not a log record), with the password hidden."""
    lines = text.strip().splitlines()
    line = lines[-1] if lines else "(no output)"
    message = _LOG_MESSAGE.search(line)
    if message is not None:
        line = message[1].replace('\\"', '"')
        line = _PARSING.sub("", line)
    if access is not None and access.password:
        line = line.replace(access.password, "***")
    return line
