"""Whether an app container answers: the one probe of the controller and the publisher.

The controller runs it before a deploy withdraws any old container; the
publisher before it routes a container, and again on every resync. Without
``HEALTHCHECK_URL`` (the app's config) the container's port must accept a TCP
connection; with it, an HTTP GET of that path must answer 200 (redirects are
not followed). Both probe the container's own address, never Docker's userland proxy.
"""

from __future__ import annotations

import socket
import sys

import requests


def check_path(url: object) -> str | None:
    """Return the path ``HEALTHCHECK_URL`` names (``health`` → ``/health``), or ``None`` when unset."""
    text = str(url or "").strip()
    if not text:
        return None
    return text if text.startswith("/") else f"/{text}"


def answers(ip: str, port: int, url: str | None, timeout: float) -> tuple[bool, str]:
    """Probe the container at ``ip:port`` once: ``(passed, why not)``."""
    path = check_path(url)
    return http_ok(ip, port, path, timeout) if path else port_open(ip, port, timeout)


def port_open(ip: str, port: int, timeout: float) -> tuple[bool, str]:
    """Whether ``ip:port`` accepts a TCP connection: ``(passed, why not)``."""
    try:
        with socket.create_connection((ip, port), timeout=timeout):
            return True, ""
    except OSError as exc:
        return False, f"connection failed: {exc.strerror or exc}"


def http_ok(ip: str, port: int, path: str, timeout: float) -> tuple[bool, str]:
    """Whether ``GET http://ip:port<path>`` answers 200: ``(passed, why not)``."""
    try:
        response = requests.get(f"http://{ip}:{port}{path}", timeout=timeout, allow_redirects=False)
    except requests.RequestException as exc:
        return False, f"request failed: {type(exc).__name__}"
    if response.status_code == 200:
        return True, ""
    return False, f"GET {path} answered {response.status_code}, not 200"


def main(argv: list[str] | None = None) -> int:
    """``python3 -m deis.health IP PORT PATH TIMEOUT``: probe once, print why not, exit 0 if it passed.

    ``PATH`` may be empty (a TCP connect). The ``swarm`` scheduler runs it
    inside a container on the app overlay, where the app's addresses are reachable.
    """
    ip, port, path, timeout = (sys.argv[1:] if argv is None else argv)
    passed, why = answers(ip, int(port), path or None, float(timeout))
    if not passed:
        print(why)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
