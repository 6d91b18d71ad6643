"""``deis keys:*``: your SSH public keys, which let ``git push`` in (``/v1/keys/``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from deis.cli.context import State, limit_option, pass_state
from deis.cli.errors import CLIError
from deis.cli.output import header
from deis.client import segment

__all__ = ["list_keys", "add", "remove"]


@dataclass(frozen=True)
class PublicKey:
    """A public key file read from disk: its label (``id``), text and file name."""

    id: str
    public: str
    name: str


def read_key(path: Path) -> PublicKey:
    """Read an OpenSSH public key; its id is the comment field, else the file's base name."""
    try:
        text = path.expanduser().read_text().strip()
    except OSError as exc:
        raise CLIError(f"Cannot read the key file {str(path)!r}: {exc.strerror}") from None
    fields = text.split()
    if len(fields) < 2:
        raise CLIError(f"{str(path)!r} is not a valid SSH public key (expected '<type> <base64> [comment]').")
    key_id = fields[2] if len(fields) > 2 else path.name.split(".")[0]
    return PublicKey(key_id, text, path.name)


def abbreviate(public: str) -> str:
    """Return v1's short form of a key: its first 16 and last 10 characters."""
    return f"{public[:16]}...{public[-10:]}"


def format_keys(username: str, keys: Sequence[Mapping[str, Any]], count: int) -> str:
    """Return ``=== <user> Keys`` and ``<id> <abbreviated key>`` lines, sorted by id."""
    lines = [header(f"{username} Keys", len(keys), count)]
    lines += [f"{key['id']} {abbreviate(key['public'])}" for key in sorted(keys, key=lambda k: k["id"])]
    return "\n".join(lines) + "\n"


def local_keys(home: Path | None = None) -> list[PublicKey]:
    """Return the readable public keys in ``~/.ssh``."""
    folder = (home or Path.home()) / ".ssh"
    keys = []
    for path in sorted(folder.glob("*.pub")):
        try:
            keys.append(read_key(path))
        except CLIError:
            continue
    return keys


def choose_key(home: Path | None = None) -> PublicKey:
    """List ``~/.ssh/*.pub`` and ask which to use (0: type a path), as v1 did."""
    keys = local_keys(home)
    click.echo("Found the following SSH public keys:")
    for number, key in enumerate(keys, start=1):
        click.echo(f"{number}) {key.name} {key.id}")
    click.echo("0) Enter path to pubfile (or use keys:add <key_path>)")
    choice = click.prompt("Which would you like to use with Deis?", type=click.IntRange(0, len(keys)))
    if choice == 0:
        return read_key(Path(click.prompt("Enter the path to the pubfile")))
    return keys[choice - 1]


@click.command("keys:list")
@limit_option
@pass_state
def list_keys(state: State, limit: int | None) -> None:
    """List your SSH keys.

    Example: deis keys:list
    """
    listing = state.client.list("/v1/keys/", limit)
    click.echo(format_keys(state.session().username, listing.results, listing.count), nl=False)


@click.command("keys:add")
@click.argument("path", required=False, metavar="[<key>]", type=click.Path(dir_okay=False, path_type=Path))
@pass_state
def add(state: State, path: Path | None) -> None:
    """Add an SSH public key (asks which of ~/.ssh/*.pub when no path is given).

    Example: deis keys:add ~/.ssh/id_rsa.pub
    """
    key = read_key(path) if path else choose_key(state.home)
    click.echo(f"Uploading {key.name} to deis...", nl=False)
    state.client.post("/v1/keys/", {"id": key.id, "public": key.public})
    click.echo(" done")


@click.command("keys:remove")
@click.argument("key_id", metavar="<key>")
@pass_state
def remove(state: State, key_id: str) -> None:
    """Remove one of your SSH keys by its id (the key's comment, e.g. alice@laptop).

    Example: deis keys:remove alice@laptop
    """
    click.echo(f"Removing {key_id} SSH Key...", nl=False)
    state.client.delete(f"/v1/keys/{segment(key_id)}")
    click.echo(" done")
