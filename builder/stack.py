"""The stack image buildpack builds run on, made here from Debian and never pulled.

``debootstrap --variant=minbase bookworm`` plus python3, pip and CA
certificates, imported with ``docker import`` and tagged (``deis/stack:bookworm``
by default). It is made once per engine, on the first buildpack build, under a
lock so two first builds do not both make it. The host's CA bundle replaces the
stack's, so builds trust whatever the host trusts (a company TLS proxy too),
and pip and requests are pointed at it.
"""

from __future__ import annotations

import contextlib
import fcntl
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import docker

from builder.output import Output
from deis.errors import PermanentError

#: Files inside images keep the usual modes (the builder itself runs with umask 077, deis/filemodes.py).
IMAGE_UMASK = 0o022
IMAGE_MODE = 0o755
SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
PACKAGES = ("python3", "python3-pip", "ca-certificates")
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
STACK_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
#: How the image is configured on import (``docker import --change``).
CHANGES = (
    "ENV PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin",
    f"ENV SSL_CERT_FILE={STACK_CA_BUNDLE}",
    f"ENV REQUESTS_CA_BUNDLE={STACK_CA_BUNDLE}",
    f"ENV PIP_CERT={STACK_CA_BUNDLE}",
    "ENV PIP_DISABLE_PIP_VERSION_CHECK=1",
    "ENV LANG=C.UTF-8",
    f"ENV STACK=debian-{SUITE}",
    'CMD ["/bin/bash"]',
)


class StackFailed(PermanentError):
    """The stack image could not be made; the message has debootstrap's last lines."""


def exists(api: docker.APIClient, tag: str) -> bool:
    """True when the engine has the stack image."""
    try:
        api.inspect_image(tag)
        return True
    except docker.errors.ImageNotFound:
        return False


def ensure(api: docker.APIClient, tag: str, workdir: Path, out: Output) -> None:
    """Make the stack image ``tag`` unless the engine has it."""
    if exists(api, tag):
        return
    with _lock(workdir / "stack.lock"):
        if exists(api, tag):  # made by the build that held the lock before us
            return
        out.step(f"Making the stack image {tag} (once; debootstrap {SUITE}, about a minute)")
        make(api, tag, workdir)


def make(api: docker.APIClient, tag: str, workdir: Path) -> None:
    """Bootstrap a Debian root, give it the host's CA bundle, and import it as ``tag``."""
    workdir.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="stack-", dir=workdir))
    # It becomes the image's "/": the builder's private umask must not reach into images.
    root.chmod(IMAGE_MODE)
    try:
        _debootstrap(root)
        _prepare(root)
        _import(api, root, tag)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _debootstrap(root: Path) -> None:
    argv = ["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}", SUITE, str(root), MIRROR]
    result = subprocess.run(argv, capture_output=True, text=True, umask=IMAGE_UMASK)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-10:])
        raise StackFailed(f"debootstrap failed (exit {result.returncode}):\n{tail}")


def _prepare(root: Path) -> None:
    """Trust the host's CAs, drop caches, and let pip install into slugs."""
    if HOST_CA_BUNDLE.is_file():
        shutil.copyfile(HOST_CA_BUNDLE, root / STACK_CA_BUNDLE.lstrip("/"))
        (root / STACK_CA_BUNDLE.lstrip("/")).chmod(0o644)
    for cache in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for entry in (root / cache).glob("*"):
            if entry.is_file():
                entry.unlink()
    # PEP 668's marker stops "pip install" in a system Python; builds install into the slug.
    for marker in root.glob("usr/lib/python3*/EXTERNALLY-MANAGED"):
        marker.unlink()


def _import(api: docker.APIClient, root: Path, tag: str) -> None:
    repository, _, version = tag.rpartition(":")
    with tempfile.TemporaryFile(dir=root.parent) as tarball:
        subprocess.run(["tar", "-C", str(root), "--numeric-owner", "-c", "."], stdout=tarball, check=True)
        tarball.seek(0)
        api.import_image_from_data(tarball, repository=repository, tag=version, changes=list(CHANGES))
    if not exists(api, tag):
        raise StackFailed(f"docker import did not produce {tag}")


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
