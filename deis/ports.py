"""The port an app container listens on, which the controller sets and the publisher routes to.

The controller starts every container with ``PORT``: the app's config
``PORT`` when it is a port number, else the port its image EXPOSEs, else
5000 (Deis v1's default). The publisher reads ``PORT`` back from the
container, rather than picking the lowest exposed port (a Deis v1 complaint).
"""

from __future__ import annotations

#: The port of an app that says nothing else.
DEFAULT_PORT = 5000


def listen_port(configured: object, fallback: int | None = None) -> int:
    """Return ``configured`` when it is a port number (1–65535), else ``fallback`` or 5000."""
    text = str(configured if configured is not None else "")
    if text.isdigit() and 0 < int(text) < 65536:
        return int(text)
    return fallback or DEFAULT_PORT


def environment_port(environment: list[str] | None) -> int:
    """Return the port a container's environment (``["PORT=8080", …]``) names, else 5000."""
    for item in environment or []:
        key, _, value = item.partition("=")
        if key == "PORT":
            return listen_port(value)
    return DEFAULT_PORT
