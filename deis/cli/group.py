"""The ``deis`` command group: v1's ``topic:command`` names, shortcuts, plugins, one error boundary.

* Commands are named as v1 named them (``apps:create``); a bare topic means
  its ``:list`` command (``deis apps``), and v1's shortcuts (``create``,
  ``scale``, ``pull``, ``sharing:add``...) resolve through :data:`SHORTCUTS`.
* An unknown ``deis foo`` runs ``deis-foo`` from ``PATH`` with the remaining
  arguments (v1's CLI plugins).
* :class:`deis.client.ClientError` raised by any command is translated here,
  once, into :class:`deis.cli.errors.CLIError` (exit 1).
"""

from __future__ import annotations

import os
import shutil

import click

from deis.cli.errors import translate
from deis.client import ClientError

#: v1's shortcuts: ``deis <shortcut>`` is ``deis <command>``.
SHORTCUTS = {
    "create": "apps:create", "destroy": "apps:destroy", "info": "apps:info", "open": "apps:open",
    "logs": "apps:logs", "run": "apps:run",
    "login": "auth:login", "logout": "auth:logout", "register": "auth:register",
    "passwd": "auth:passwd", "whoami": "auth:whoami",
    "pull": "builds:create", "rollback": "releases:rollback", "scale": "ps:scale",
    "sharing": "perms:list", "sharing:list": "perms:list", "sharing:add": "perms:create",
    "sharing:remove": "perms:delete",
}


def resolve(name: str, known: set[str]) -> str:
    """Return the command a typed name means: itself, a shortcut's target, or ``<topic>:list``."""
    if name in known:
        return name
    if name in SHORTCUTS:
        return SHORTCUTS[name]
    return f"{name}:list" if f"{name}:list" in known else name


def plugin_command(name: str, executable: str) -> click.Command:
    """Return a command that replaces this process with the plugin ``executable``."""
    @click.command(name, context_settings={"ignore_unknown_options": True, "help_option_names": []},
                   help=f"Run the plugin {executable}.", add_help_option=False)
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    def run_plugin(args: tuple[str, ...]) -> None:
        os.execvp(executable, [executable, *args])  # noqa: S606 - argument list, no shell
    return run_plugin


class DeisGroup(click.Group):
    """A flat group of ``topic:command`` commands with v1's shortcuts and plugins."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Return the command ``cmd_name`` names, its shortcut's target, or a ``deis-<name>`` plugin."""
        command = super().get_command(ctx, resolve(cmd_name, set(self.commands)))
        if command is not None:
            return command
        executable = shutil.which(f"deis-{cmd_name}")
        return plugin_command(cmd_name, executable) if executable else None

    def resolve_command(self, ctx: click.Context, args: list[str]):
        """Resolve as click does, pointing unknown commands at ``deis help``."""
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            if "No such command" in str(exc):
                raise click.UsageError(f"{args[0]!r} is not a deis command. See 'deis help'.", ctx) from None
            raise

    def invoke(self, ctx: click.Context):
        """Run the command, turning API-client errors into ``Error: ...`` and exit 1."""
        try:
            return super().invoke(ctx)
        except ClientError as exc:
            raise translate(exc) from None
