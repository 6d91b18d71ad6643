"""Image references, and which images an app may be deployed or built from (issue 12, item 3).

:func:`parse` splits a reference the way Docker does. :func:`check_source`
is the one rule the controller (``deis pull``, the build hook) and the builder
(a Dockerfile's ``FROM`` and ``COPY --from``) apply before the Docker engine
fetches anything:

* an image of the platform's registry (``<registry>/<repository>``) is the
  build of the app named like its repository, and only that app (or an admin)
  may use it — registry images are private to their app;
* any other registry must be out on the network: never ``localhost`` or
  ``*.localhost``, a loopback, link-local or unspecified address, an address of
  this host, or the host of a platform service (``/deis/<component>/host``) —
  else the engine, which runs as root next to the platform, would fetch from
  services that trust the local machine and hand their answer to the tenant.

Docker Hub references (no registry part) are public and always allowed. Names
are resolved once here; a name that resolves differently when the engine looks
it up (DNS rebinding) is not caught.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from deis import keys
from deis.errors import ValidationError
from deis.etcd import discover

#: The names Docker Hub answers under; ``library/`` is implied for its one-word repositories.
HUB = {"docker.io", "index.docker.io", "registry-1.docker.io"}


class ImageRefused(ValidationError):
    """An image may not be deployed or built from; the message says why."""


@dataclass(frozen=True)
class ImageName:
    """A parsed image reference: ``registry/repository:tag`` or ``…@digest``."""

    registry: str
    repository: str
    tag: str = ""
    digest: str = ""

    @property
    def on_hub(self) -> bool:
        """True for a Docker Hub image (no registry part, or one of Hub's names)."""
        return not self.registry or self.registry.lower() in HUB

    @property
    def host(self) -> str:
        """The registry's host without its port (``[::1]:5000`` → ``::1``)."""
        if self.registry.startswith("["):
            return self.registry[1:].partition("]")[0]
        return self.registry.rpartition(":")[0] if ":" in self.registry else self.registry


def parse(reference: str) -> ImageName:
    """Split an image reference the way Docker does (``127.0.0.1:5000/app:v2``).

    The first path component is a registry when it holds a ``.`` or ``:`` or is
    ``localhost``; a tag is what follows the last ``:`` after the last ``/``.
    """
    name, _, digest = reference.partition("@")
    registry, slash, rest = name.partition("/")
    if not slash or not ("." in registry or ":" in registry or registry == "localhost"):
        registry, rest = "", name
    repository, colon, tag = rest.rpartition(":")
    if not colon or "/" in tag:
        repository, tag = rest, ""
    return ImageName(registry, repository, tag, digest)


def check_source(reference: str, app: str, registry: str | None, platform_hosts: Iterable[str] = (),
                 admin: bool = False, addresses: Callable[[str], list[str]] | None = None) -> ImageName:
    """Return the parsed ``reference`` when ``app`` may use it; raise :class:`ImageRefused` otherwise.

    :param registry: ``host:port`` of the platform's registry, ``None`` when none is announced.
    :param admin: the user is an admin, who may use any app's registry image.
    :param addresses: resolves a host to IP addresses (default: :func:`addresses_of`).
    """
    image = parse(reference)
    if registry and image.registry.lower() == registry.lower():
        if image.repository != app and not admin:
            raise ImageRefused(f"Image {reference!r} is app {image.repository!r}'s build in the platform registry; "
                               f"an app may use only its own images ({registry}/{app}:<tag>)")
        return image
    if image.on_hub:
        return image
    resolved = (addresses or addresses_of)(image.host)
    reason = internal_reason(image.host, resolved, {h.lower() for h in platform_hosts})
    if reason:
        raise ImageRefused(f"Image {reference!r} is refused: its registry {image.registry!r} {reason}; "
                           "images come only from registries on the network, or from the platform's own")
    return image


def internal_reason(host: str, resolved: list[str], platform_hosts: set[str]) -> str | None:
    """Return why a registry ``host`` (resolving to ``resolved``) is off limits, or ``None``."""
    name = host.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return "names this machine"
    candidates = (name, *resolved)  # the host itself when it is an IP address
    for text in candidates:
        if reason := _address_reason(text):
            return reason
    if platform_hosts.intersection(candidates):
        return "is the address of a platform service"
    if any(is_local(text) for text in candidates if _ip(text)):
        return "is an address of this host"
    return None


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Return ``text`` as an IP address (IPv4-mapped IPv6 as IPv4), or ``None`` for a name."""
    try:
        address = ipaddress.ip_address(text.partition("%")[0])
    except ValueError:
        return None
    return getattr(address, "ipv4_mapped", None) or address


def _address_reason(text: str) -> str | None:
    address = _ip(text)
    if address is None:
        return None
    if address.is_loopback:
        return "is a loopback address"
    if address.is_link_local:
        return "is a link-local address"
    if address.is_unspecified:
        return "is an unspecified address"
    return None


def addresses_of(host: str) -> list[str]:
    """Return the IP addresses ``host`` resolves to (``[]`` when it does not: the pull fails anyway)."""
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError):
        return []
    return sorted({info[4][0] for info in found})


def is_local(address: str) -> bool:
    """True when ``address`` belongs to this host: only a local address can be bound."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with contextlib.suppress(OSError), socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((address, 0))
        return True
    return False


def registry_address(etcd) -> str | None:
    """Return ``host:port`` of the platform's registry (``/deis/registry/host|port``), or ``None``.

    ``None`` too when there is no etcd: then images stay on the engine that built them.
    """
    found = discover(etcd, "registry") if etcd is not None else None
    return f"{found[0]}:{found[1]}" if found else None


def registry_api_address(etcd) -> str | None:
    """Return ``host:port`` where a platform component reaches the registry's API, or ``None``.

    An instance's own key (``/deis/registry/hosts/*``) first: on a cluster
    ``/deis/registry/host`` is ``127.0.0.1``, the name each node's engine
    reaches its own registry by (:mod:`registry.server`), which a container
    cannot; else v1's pair, as :func:`registry_address`.
    """
    if etcd is None:
        return None
    found, _revision = etcd.get_prefix(keys.instances("registry"))
    announced = keys.addresses(found, "registry")
    return f"{announced[0][0]}:{announced[0][1]}" if announced else registry_address(etcd)


def platform_hosts(etcd) -> set[str]:
    """Return the hosts platform components announce (``/deis/<component>/host``)."""
    found, _revision = etcd.get_prefix(keys.ROOT)
    return {value.strip().lower() for key, value in found.items()
            if value and key == keys.host(keys.relative(key, keys.ROOT).partition("/")[0])}
