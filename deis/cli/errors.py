"""How failures reach the person at the terminal: one translation, at the command boundary.

:class:`deis.client.ClientError` (the API client's tree) becomes a
:class:`CLIError`, which click prints as ``Error: <message>`` on stderr and
exits 1; wrong arguments raise click's ``UsageError`` (exit 2)::

    click.ClickException
    ├── CLIError        a command failed (exit 1); API errors keep v1's rendering
    └── click.UsageError (exit 2)
        └── click.BadParameter
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import click

from deis.client import ClientError, ControllerError


class CLIError(click.ClickException):
    """A command failed; the message says what, with the offending value."""

    exit_code = 1


def translate(exc: ClientError, prefix: str = "") -> CLIError:
    """Return the CLI error for an API-client error (v1: ``Error: \\n<STATUS>\\n<key>: <msg>``)."""
    message = f"{prefix}{exc}"
    if isinstance(exc, ControllerError) and exc.status == 401:
        message += "\nYour session may have expired: log in again with 'deis login <controller>'."
    return CLIError(message)


@contextlib.contextmanager
def failure_prefix(prefix: str) -> Iterator[None]:
    """Prefix errors raised inside the block, as v1's ``Registration failed: ``."""
    try:
        yield
    except ClientError as exc:
        raise translate(exc, prefix) from None
