"""Health checks a container must pass before it is routed.

Without ``HEALTHCHECK_URL`` the port must accept a connection; with it, an
HTTP GET of that path must answer 200 (the app's config, mirrored by the
controller at ``/deis/config/<app>/healthcheck_url``).
"""

from __future__ import annotations

import socket

import requests

from publisher.routes import split_address


def port_open(address: str, timeout: float) -> bool:
    """True when ``ip:port`` accepts a TCP connection."""
    try:
        with socket.create_connection(split_address(address), timeout=timeout):
            return True
    except OSError:
        return False


def healthy(address: str, url_path: str | None, timeout: float) -> bool:
    """True when the container at ``address`` passes its check."""
    if not url_path:
        return port_open(address, timeout)
    path = url_path if url_path.startswith("/") else f"/{url_path}"
    try:
        return requests.get(f"http://{address}{path}", timeout=timeout, allow_redirects=False).status_code == 200
    except requests.RequestException:
        return False
