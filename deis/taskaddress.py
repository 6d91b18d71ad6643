"""``python3 -m deis.taskaddress NETWORK``: print this container's address on the Docker network NETWORK.

A Swarm task on two overlays has one ``/etc/hosts`` line per network for its
own name, in an order Docker does not promise (on the bed: one network's
line first whichever order the spec named them in), so a task that must
announce its address on one of them asks its node's engine, through the
Docker socket mounted into it, for the address of its own container (the
container's hostname is its short ID) on that network. Prints nothing and
exits 1 when the engine does not answer or the container is not on it.
"""

from __future__ import annotations

import socket
import sys

import docker


def address_on(network: str, client: docker.DockerClient | None = None) -> str:
    """Return this container's IPv4 address on ``network`` ('' when it is not attached to it)."""
    client = client or docker.from_env(timeout=10)
    try:
        found = client.api.inspect_container(socket.gethostname())["NetworkSettings"]["Networks"]
    finally:
        client.close()
    return (found.get(network) or {}).get("IPAddress") or ""


def main(argv: list[str]) -> int:
    """Print the address on ``argv[0]``; 1 (and a line on stderr) when there is none."""
    try:
        address = address_on(argv[0])
    except (IndexError, docker.errors.DockerException) as exc:
        print(f"deis.taskaddress: {exc or 'give the network name'}", file=sys.stderr)
        return 1
    if not address:
        print(f"deis.taskaddress: this container is not on {argv[0]!r}", file=sys.stderr)
        return 1
    print(address)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
