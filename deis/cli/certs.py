"""``deis certs:*``: your SSL certificates, each serving the domain of its common name (``/v1/certs/``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import click

from deis.cli.context import State, limit_option, pass_state
from deis.cli.output import header, pretty_tabs, progress
from deis.client import segment

__all__ = ["list_certs", "add", "remove", "info"]

INFO_FIELDS = ("common_name", "expires", "owner", "created", "updated", "id")


def format_certs(certs: Sequence[Mapping[str, Any]]) -> str:
    """Return v1's table: ``Common Name  Expires``, a dashed rule, one row per cert; or ``No certs``."""
    if not certs:
        return "No certs\n"
    width = max(len("Common Name"), *(len(cert["common_name"]) for cert in certs))
    expires_width = max(len("Expires"), *(len(str(cert.get("expires"))) for cert in certs))
    rows = [("Common Name", "Expires"), ("-" * width, "-" * expires_width)]
    rows += [(cert["common_name"], str(cert.get("expires"))) for cert in certs]
    return "".join(f"{name.ljust(width)}  {expires}\n" for name, expires in rows)


def format_cert(cert: Mapping[str, Any]) -> str:
    """Return the ``=== <cn> Certificate`` block of ``certs:info``."""
    fields = {f"{name}:": cert.get(name) for name in INFO_FIELDS if name in cert}
    return f"=== {cert['common_name']} Certificate\n" + pretty_tabs(fields, 1)


def read_pem(path: str, what: str) -> str:
    """Return the PEM text at ``path``, or a usage error naming it."""
    try:
        return Path(path).expanduser().read_text()
    except OSError as exc:
        raise click.BadParameter(f"cannot read the {what} file {path!r}: {exc.strerror}") from None


@click.command("certs:list")
@limit_option
@pass_state
def list_certs(state: State, limit: int | None) -> None:
    """List your SSL certificates.

    Example: deis certs:list
    """
    listing = state.client.list("/v1/certs/", limit)
    if listing.truncated:
        click.echo(header("Certs", len(listing.results), listing.count))
    click.echo(format_certs(listing.results), nl=False)


@click.command("certs:add")
@click.argument("cert", metavar="<cert>")
@click.argument("key", metavar="<key>")
@click.option("--common-name", metavar="<cn>", help="The domain the cert is for (default: read from the cert).")
@click.option("--subject-alt-names", metavar="<a,b>", help="Add the cert once for each of these domains.")
@pass_state
def add(state: State, cert: str, key: str, common_name: str | None, subject_alt_names: str | None) -> None:
    """Add an SSL certificate and its private key (PEM files).

    Example: deis certs:add server.crt server.key
    """
    body = {"certificate": read_pem(cert, "certificate"), "key": read_pem(key, "key")}
    names = [n.strip() for n in subject_alt_names.split(",") if n.strip()] if subject_alt_names else [common_name]
    with progress("Adding SSL endpoint... "):
        created = [state.client.post("/v1/certs/", {**body, **({"common_name": n} if n else {})}) for n in names]
    click.echo("done")
    for obj in created:
        click.echo(obj["common_name"])


@click.command("certs:info")
@click.argument("common_name", metavar="<cn>")
@pass_state
def info(state: State, common_name: str) -> None:
    """Show one certificate: common name, expiry, owner.

    Example: deis certs:info www.example.com
    """
    click.echo(format_cert(state.client.get(f"/v1/certs/{segment(common_name)}")), nl=False)


@click.command("certs:remove")
@click.argument("common_name", metavar="<cn>")
@pass_state
def remove(state: State, common_name: str) -> None:
    """Remove a certificate.

    Example: deis certs:remove www.example.com
    """
    click.echo(f"Removing {common_name}... ", nl=False)
    state.client.delete(f"/v1/certs/{segment(common_name)}")
    click.echo("done")
