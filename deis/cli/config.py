"""``deis config:*``: an app's environment (``values`` of ``/v1/apps/<id>/config/``).

Every change makes a new release; the answer's ``DEIS_RELEASE`` (or the
``Deis-Release`` header) names it.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import click

from deis.cli.context import State, app_option, pass_state
from deis.cli.errors import CLIError
from deis.cli.output import pretty_tabs, progress
from deis.client import app_path

__all__ = ["list_config", "set_config", "unset_config", "pull", "push"]

#: v1 accepted an SSH private key (or a path to one) for SSH_KEY, and sent it base64-encoded.
SSH_PRIVATE_KEY = re.compile(r"^-.+ .SA PRIVATE KEY-*")
ENV_FILE = ".env"


def parse_pairs(pairs: Iterable[str], example: str = "PORT=3000") -> dict[str, str]:
    """Return ``{key: value}`` from ``KEY=value`` arguments (the value may hold ``=``)."""
    parsed = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not in the format KEY=value (e.g. {example}).")
        parsed[key] = value
    return parsed


def parse_env_file(text: str) -> dict[str, str]:
    """Return the pairs of a ``.env`` file: ``KEY=value`` lines; blank lines and ``#`` comments skipped."""
    lines = [line.strip() for line in text.splitlines()]
    return parse_pairs(line for line in lines if line and not line.startswith("#"))


def format_env_file(values: Mapping[str, Any]) -> str:
    """Return ``KEY=value`` lines, sorted by key (what ``config:pull`` writes)."""
    return "".join(f"{key}={values[key]}\n" for key in sorted(values))


def encode_ssh_key(value: str) -> str:
    """Return an SSH private key (or the key at a path) base64-encoded, as v1 sent ``SSH_KEY``."""
    path = Path(value).expanduser()
    if path.is_file():
        value = path.read_text()
    if not SSH_PRIVATE_KEY.match(value):
        raise click.BadParameter("SSH_KEY is not an SSH private key, nor a path to one.")
    return base64.b64encode(value.encode()).decode()


def format_config(app: str, values: Mapping[str, Any], oneline: bool) -> str:
    """Return v1's ``=== <app> Config`` block, or ``K=V K2=V2`` with ``oneline``."""
    if oneline:
        return " ".join(f"{key}={values[key]}" for key in sorted(values)) + "\n"
    return f"=== {app} Config\n" + pretty_tabs({k: _text(v) for k, v in values.items()}, 6)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def release_of(response) -> str | None:
    """Return the release a config change made (``v3``), from the body or the ``Deis-Release`` header."""
    values = (response.json() or {}).get("values") or {}
    if values.get("DEIS_RELEASE"):
        return str(values["DEIS_RELEASE"])
    header = response.headers.get("Deis-Release")
    return f"v{header}" if header else None


def change(state: State, app: str, body: Mapping[str, Any]) -> str | None:
    """POST a config change and return the release it made."""
    return release_of(state.client.post_response(app_path(app, "config"), dict(body)))


def print_config(state: State, app: str, oneline: bool = False) -> None:
    """Print the app's config as ``config:list`` does."""
    values = state.client.get(app_path(app, "config")).get("values") or {}
    click.echo(format_config(app, values, oneline), nl=False)


def set_values(state: State, app: str, values: Mapping[str, str]) -> None:
    """Set config values, then list the config (``config:set`` and ``config:push``)."""
    values = {k: encode_ssh_key(v) if k == "SSH_KEY" else v for k, v in values.items()}
    with progress("Creating config... "):
        release = change(state, app, {"values": values})
    click.echo(f"done, {release}\n" if release else "done\n")
    print_config(state, app)


@click.command("config:list")
@app_option
@click.option("--oneline", is_flag=True, help="Print KEY=value pairs on one line.")
@pass_state
def list_config(state: State, app: str | None, oneline: bool) -> None:
    """List an app's environment variables.

    Example: deis config:list -a myapp --oneline
    """
    print_config(state, state.app(app), oneline)


@click.command("config:set")
@click.argument("pairs", nargs=-1, required=True, metavar="KEY=value...")
@app_option
@pass_state
def set_config(state: State, pairs: tuple[str, ...], app: str | None) -> None:
    """Set environment variables; a new release is deployed.

    Example: deis config:set DEBUG=true PORT=5000 -a myapp
    """
    set_values(state, state.app(app), parse_pairs(pairs))


@click.command("config:unset")
@click.argument("keys", nargs=-1, required=True, metavar="KEY...")
@app_option
@pass_state
def unset_config(state: State, keys: tuple[str, ...], app: str | None) -> None:
    """Remove environment variables; a new release is deployed.

    Example: deis config:unset DEBUG -a myapp
    """
    app = state.app(app)
    with progress("Removing config... "):
        change(state, app, {"values": dict.fromkeys(keys)})
    click.echo("done\n")
    print_config(state, app)


def merge_pulled(local: Mapping[str, str], remote: Mapping[str, Any], overwrite: bool,
                 interactive: bool) -> dict[str, str]:
    """Return ``.env`` pairs after a pull: new keys added, changed ones replaced only when allowed."""
    merged = dict(local)
    for key, value in remote.items():
        value = _text(value)
        if key in merged and merged[key] != value and not overwrite:
            if not (interactive and click.confirm(f"{key}: overwrite {merged[key]} with {value}?")):
                continue
        merged[key] = value
    return merged


@click.command("config:pull")
@app_option
@click.option("-i", "--interactive", is_flag=True, help="Ask before overwriting a differing local value.")
@click.option("-o", "--overwrite", is_flag=True, help="Overwrite differing local values without asking.")
@pass_state
def pull(state: State, app: str | None, interactive: bool, overwrite: bool) -> None:
    """Write the app's environment into ./.env; an existing .env needs -o (or -i to choose per key).

    Keys only in the local file are kept. Without -o or -i an existing file is
    left alone, as in v1: a silent merge would keep stale local values.

    Example: deis config:pull -a myapp --overwrite
    """
    path = Path(ENV_FILE)
    if path.exists() and not (overwrite or interactive):
        raise CLIError(f"{ENV_FILE} already exists, pass -o to overwrite")
    values = state.client.get(app_path(state.app(app), "config")).get("values") or {}
    local = parse_env_file(path.read_text()) if path.is_file() else {}
    path.write_text(format_env_file(merge_pulled(local, values, overwrite, interactive)))


@click.command("config:push")
@app_option
@click.option("-p", "--path", "path", default=ENV_FILE, show_default=True, type=click.Path(dir_okay=False),
              help="The file of KEY=value lines to push.")
@pass_state
def push(state: State, app: str | None, path: str) -> None:
    """Set the app's environment from a .env file.

    Example: deis config:push -a myapp -p production.env
    """
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise click.BadParameter(f"cannot read {path!r}: {exc.strerror}", param_hint="--path") from None
    set_values(state, state.app(app), parse_env_file(text))
