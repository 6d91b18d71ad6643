"""A custom buildpack from ``BUILDPACK_URL``: a git URL (``#<ref>`` optional) or a tarball URL.

The URL is the app owner's, so it is handled as hostile: only ``https``,
``http`` and ``git`` URLs (git's ``ext::`` and ``file`` transports would run
commands or read the builder's disk), git runs as an argument list with ``--``
before the URL, a ref must look like a ref, and a tarball's members may not be
absolute, climb out with ``..``, link outside, or be devices.
"""

from __future__ import annotations

import io
import re
import subprocess
import tarfile
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import requests

from deis.errors import PermanentError

SCHEMES = ("https", "http", "git")
TARBALL = re.compile(r"\.(tgz|tar\.gz|tar\.bz2|tar\.xz|tar)$")
REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*\Z")
MAX_TARBALL = 200 << 20
#: git may only speak these protocols, also on redirects and submodules.
GIT_ENV = {"GIT_ALLOW_PROTOCOL": "https:http:git", "GIT_TERMINAL_PROMPT": "0"}


class FetchFailed(PermanentError):
    """The buildpack could not be fetched; the message says why."""


def split(url: str) -> tuple[str, str]:
    """Return ``(url, ref)`` of ``url#ref`` after checking both."""
    base, _, ref = url.strip().partition("#")
    if urlsplit(base).scheme not in SCHEMES or base.startswith("-"):
        raise FetchFailed(f"BUILDPACK_URL {url!r} must be an https://, http:// or git:// URL")
    if ref and not REF.match(ref):
        raise FetchFailed(f"BUILDPACK_URL ref {ref!r} is not a branch, tag or commit")
    return base, ref


def fetch(url: str, dest: Path, base_env: dict[str, str]) -> None:
    """Put the buildpack at ``url`` into ``dest`` (which must not exist)."""
    base, ref = split(url)
    if TARBALL.search(urlsplit(base).path):
        unpack(download(base), dest)
    else:
        # The hook's GIT_DIR, GIT_QUARANTINE_PATH… are about the app's repository, not this clone.
        clean = {name: value for name, value in base_env.items() if not name.startswith("GIT_")}
        clone(base, ref, dest, {**clean, **GIT_ENV})


def clone(url: str, ref: str, dest: Path, env: dict[str, str]) -> None:
    """Shallow-clone ``url`` at ``ref``; fall back to a full clone for a commit id."""
    shallow = ["git", "clone", "--quiet", "--depth", "1", *(["--branch", ref] if ref else []), "--", url, str(dest)]
    if _git(shallow, env).returncode == 0:
        return
    full = _git(["git", "clone", "--quiet", "--", url, str(dest)], env)
    if full.returncode != 0:
        raise FetchFailed(f"git clone {url} failed: {full.stderr.strip()[-500:]}")
    checkout = _git(["git", "-C", str(dest), "checkout", "--quiet", "--detach", ref, "--"], env)
    if ref and checkout.returncode != 0:
        raise FetchFailed(f"{ref!r} is not a branch, tag or commit of {url}")


def _git(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)


def download(url: str) -> bytes:
    """Return the bytes at ``url`` (at most :data:`MAX_TARBALL`)."""
    try:
        with requests.get(url, stream=True, timeout=60) as response:
            response.raise_for_status()
            data = response.raw.read(MAX_TARBALL + 1, decode_content=True)
    except requests.RequestException as exc:
        raise FetchFailed(f"downloading {url} failed: {exc}") from exc
    if len(data) > MAX_TARBALL:
        raise FetchFailed(f"{url} is larger than {MAX_TARBALL >> 20} MB")
    return data


def unsafe_member(member: tarfile.TarInfo) -> str | None:
    """Return why a tarball member may not be extracted, or ``None`` when it is safe."""
    path = PurePosixPath(member.name)
    if path.is_absolute() or ".." in path.parts:
        return f"{member.name!r} points outside the buildpack"
    if member.isdev() or member.isfifo():
        return f"{member.name!r} is a device"
    if member.issym() or member.islnk():
        target = PurePosixPath(member.linkname)
        if target.is_absolute() or ".." in (path.parent / target).parts:
            return f"{member.name!r} links outside the buildpack"
    return None


def unpack(data: bytes, dest: Path) -> None:
    """Extract a buildpack tarball into ``dest``, refusing unsafe members.

    A tarball with one top folder holding ``bin/`` (GitHub's archives) is unpacked from inside it.
    """
    try:
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            members = archive.getmembers()
            for member in members:
                if reason := unsafe_member(member):
                    raise FetchFailed(f"buildpack tarball refused: {reason}")
            archive.extractall(dest, members=members)
    except tarfile.TarError as exc:
        raise FetchFailed(f"the buildpack is not a tarball: {exc}") from exc
    tops = list(dest.iterdir())
    if not (dest / "bin").is_dir() and len(tops) == 1 and (tops[0] / "bin").is_dir():
        for entry in tops[0].iterdir():
            entry.rename(dest / entry.name)
        tops[0].rmdir()
