"""The ``deis`` command line for developers (click + requests).

One module per API resource (``apps``, ``auth``, ``config``, ``keys``...),
each exporting its click commands in ``__all__``; the group that holds them
(v1's ``topic:command`` names, shortcuts, plugins) is in :mod:`deis.cli.group`,
the API client in :mod:`deis.client`.
"""

from __future__ import annotations

import click

from deis import PLATFORM_VERSION
from deis.cli import (
    apps,
    auth,
    builds,
    certs,
    config,
    domains,
    git,
    keys,
    limits,
    logs,
    perms,
    ps,
    releases,
    run,
    tags,
    users,
)
from deis.cli.context import State
from deis.cli.group import SHORTCUTS, DeisGroup

__all__ = ["main"]

MODULES = (apps, auth, builds, certs, config, domains, git, keys, limits, logs, perms, ps, releases, run,
           tags, users)

EPILOG = ("Shortcuts: " + ", ".join(f"{name}={target}" for name, target in SHORTCUTS.items())
          + ". A bare topic lists it ('deis apps' is 'deis apps:list'). 'deis help <command>' shows "
          "a command's help; an unknown 'deis foo' runs the plugin 'deis-foo' from PATH.")


@click.group(cls=DeisGroup, context_settings={"help_option_names": ["-h", "--help"]}, epilog=EPILOG)
@click.version_option(PLATFORM_VERSION, "-v", "--version", message="%(version)s")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Deploy and manage apps on a Deis platform.

    Start with 'deis register http://deis.<domain>' or 'deis login http://deis.<domain>',
    then 'deis create' in a git repository and 'git push deis master'.
    """
    ctx.ensure_object(State)


@main.command("help")
@click.argument("command", required=False)
@click.pass_context
def help_command(ctx: click.Context, command: str | None) -> None:
    """Show help for deis or one of its commands.

    Example: deis help apps:create
    """
    group = ctx.parent
    if command is None:
        click.echo(group.get_help())
        return
    found = main.get_command(group, command)
    if found is None:
        raise click.UsageError(f"{command!r} is not a deis command. See 'deis help'.")
    with click.Context(found, info_name=found.name, parent=group) as sub:
        click.echo(found.get_help(sub))


@main.command("version")
def version() -> None:
    """Show the version of this client.

    Example: deis version
    """
    click.echo(PLATFORM_VERSION)


for _module in MODULES:
    for _name in _module.__all__:
        main.add_command(getattr(_module, _name))
