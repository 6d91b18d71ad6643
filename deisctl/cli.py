"""The ``deisctl`` command line (Deis v1 vocabulary, local mode).

Typical first run on one host::

    deisctl config platform set domain=deis.localhost
    deisctl install platform
    deisctl start platform
    deisctl status
"""

from __future__ import annotations

import base64
import os
import sys
import time
from pathlib import Path

import click

from deis import PLATFORM_VERSION, filemodes, keys
from deis.errors import DeisError
from deis.paths import DEFAULT_DATA_DIR
from deisctl import boot
from deisctl import components as catalogue
from deisctl.platform import Platform, Status

#: Settings whose value is a file path; the file's content is stored (v1).
FILE_SETTINGS = {
    ("platform", "sshPrivateKey"): "base64",
    ("router", "sslCert"): "text",
    ("router", "sslKey"): "text",
    ("router", "sslDhparam"): "text",
}

TARGETS_HELP = "Targets: 'platform' (every built component, the default) or component names."


class DeisctlError(click.ClickException):
    """A deisctl failure: printed as one line, exit status 1."""

    def format_message(self) -> str:
        return self.message


pass_platform = click.make_pass_decorator(Platform, ensure=True)


def _run(action, *args):
    """Call ``action``, turning our errors into one-line CLI errors."""
    try:
        return action(*args)
    except DeisError as exc:
        raise DeisctlError(str(exc)) from exc


def _components(targets: tuple[str, ...]):
    return _run(catalogue.resolve, targets)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(PLATFORM_VERSION, prog_name="deisctl")
@click.option(
    "--data-dir", envvar="DEIS_DATA_DIR", default=DEFAULT_DATA_DIR, show_default=True,
    help="Where platform state lives (env DEIS_DATA_DIR).",
)
@click.pass_context
def main(ctx: click.Context, data_dir: str) -> None:
    """Install, start, stop and inspect the Deis platform on this host.

    Components run as supervised host processes, started in order
    (infrastructure, store, logging, control plane, data plane, router) and
    stopped in reverse. Ports: DEIS_ETCD (etcd endpoint, default
    http://127.0.0.1:2379), DEIS_ETCD_PEER_PORT (2380), DEIS_REDIS_PORT (6379),
    DOCKER_HOST (unix:///var/run/docker.sock).

    \b
    First run:
      deisctl config platform set domain=deis.localhost
      deisctl install platform
      deisctl start platform
    """
    filemodes.private_umask()
    os.environ["DEIS_DATA_DIR"] = str(Path(data_dir).absolute())
    ctx.obj = Platform(echo=click.echo)


@main.command()
@click.argument("target", type=click.Choice(sorted(catalogue.CONFIG_TARGETS)), metavar="TARGET")
@click.argument("action", type=click.Choice(["get", "set", "rm"]))
@click.argument("pairs", nargs=-1, required=True, metavar="KEY[=VALUE]...")
@pass_platform
def config(platform: Platform, target: str, action: str, pairs: tuple[str, ...]) -> None:
    """Get, set or remove settings of a component (stored at /deis/TARGET/KEY).

    \b
    Examples:
      deisctl config platform set domain=deis.localhost
      deisctl config platform set sshPrivateKey=~/.ssh/deis   (stores the file)
      deisctl config router get bodySize
      deisctl config controller rm registrationMode
    """
    _run(platform.ensure_etcd)
    etcd = platform.etcd()
    for pair in pairs:
        if action == "set":
            name, separator, value = pair.partition("=")
            if not separator or not name:
                raise click.UsageError(
                    f"{pair!r} is not KEY=VALUE; e.g. 'deisctl config platform set domain=example.com'"
                )
            value = _setting_value(target, name, value)
            _run(etcd.put, keys.component(target, name), value)
            click.echo(f"{name}: {value if (target, name) not in FILE_SETTINGS else '(file stored)'}")
        elif action == "get":
            value = _run(etcd.get, keys.component(target, pair))
            if value is None:
                raise DeisctlError(
                    f"{target} setting {pair!r} is not set; set it with 'deisctl config {target} set {pair}=<value>'"
                )
            click.echo(value)
        else:
            _run(etcd.delete, keys.component(target, pair))
            click.echo(f"{pair}: removed")


def _setting_value(target: str, name: str, value: str) -> str:
    encoding = FILE_SETTINGS.get((target, name))
    if encoding is None:
        return value
    path = Path(value).expanduser()
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise DeisctlError(f"{target} {name} takes a file path; cannot read {str(path)!r}: {exc.strerror}") from exc
    return base64.b64encode(content).decode() if encoding == "base64" else content.decode()


boot_unit_option = click.option(
    "--boot-unit", envvar="DEIS_BOOT_UNIT", default=boot.DEFAULT_UNIT, show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where the systemd unit that starts the platform at boot lives (env DEIS_BOOT_UNIT).",
)


@main.command()
@click.argument("targets", nargs=-1)
@boot_unit_option
@pass_platform
def install(platform: Platform, targets: tuple[str, ...], boot_unit: Path) -> None:
    """Install components: their Debian packages and supervised programs.

    'install platform' needs the platform domain set first, as in Deis v1.
    It also writes the systemd unit deis.service, which runs 'deisctl start
    platform' at boot, and enables it when systemd runs this host (otherwise
    it says how to enable it).
    """
    chosen = _components(targets)
    whole = not targets or "platform" in targets
    if whole:
        _run(platform.require_domain)
        if platform.etcd().get(keys.platform("sshPrivateKey")) is None:
            click.echo(
                "warning: no platform sshPrivateKey; 'deis run' will be unavailable. "
                "Set one with 'deisctl config platform set sshPrivateKey=<path>'", err=True,
            )
    _run(platform.install, chosen)
    if whole:
        _run(boot.install, boot_unit, platform.paths, platform.environ, click.echo)


@main.command()
@click.argument("targets", nargs=-1)
@boot_unit_option
@pass_platform
def uninstall(platform: Platform, targets: tuple[str, ...], boot_unit: Path) -> None:
    """Stop and uninstall components (their data stays on disk).

    'uninstall' (the whole platform) also stops the Docker engine and disables
    and removes the boot unit. App containers keep running without their engine
    (live-restore) until it starts again: 'deis apps:destroy' apps that should go first.
    """
    _run(platform.uninstall, _components(targets))
    if not targets or "platform" in targets:
        _run(boot.uninstall, boot_unit, platform.paths, click.echo)


@main.command()
@click.argument("targets", nargs=-1)
@pass_platform
def start(platform: Platform, targets: tuple[str, ...]) -> None:
    """Start components in order, waiting until each serves.

    If one fails, the ones this command started are stopped again.
    """
    _run(platform.start, _components(targets))
    if not targets or "platform" in targets:
        click.echo("The platform is up. Please set up an administrative account. See 'deis help register'")


@main.command()
@click.argument("targets", nargs=-1)
@pass_platform
def stop(platform: Platform, targets: tuple[str, ...]) -> None:
    """Stop components in reverse order; apps keep running.

    'stop platform' stops the platform's own processes and leaves the Docker
    engine running with every app container, as Deis v1 did: apps answer at
    their own addresses and keep their restart policies. 'stop docker'
    (or 'stop platform docker') stops the engine too; its containers keep
    running (dockerd runs with --live-restore) and are adopted when it starts,
    but an app blocks once 64 KiB of its output waits for the engine.
    Stopping the router stops its nginx too ('restart router' does not).
    """
    _stop(platform, targets)


@main.command()
@click.argument("targets", nargs=-1)
@pass_platform
def restart(platform: Platform, targets: tuple[str, ...]) -> None:
    """Stop, then start components; app containers keep running throughout.

    'restart platform' restarts every component but the Docker engine
    (see 'deisctl stop --help'); 'restart docker' restarts the engine, and
    its containers keep running. The router's nginx serves on while the
    router restarts, and the new router adopts it.
    """
    chosen = _components(targets)
    _stop(platform, targets, halt=False)
    _run(platform.start, chosen)


def _stop(platform: Platform, targets: tuple[str, ...], halt: bool = True) -> None:
    """Stop what ``targets`` name, saying so when the Docker engine is left running."""
    stopped = _run(catalogue.resolve_stop, targets)
    _run(platform.stop, stopped, halt)
    kept = [c for c in _components(targets) if c not in stopped]
    for component in kept:
        info = platform.supervisor.info(component.name)
        if info is not None and info.state == "RUNNING":
            click.echo(f"{component.name}: kept running with the apps; 'deisctl stop {component.name}' stops it")


@main.command()
@click.argument("targets", nargs=-1)
@pass_platform
def status(platform: Platform, targets: tuple[str, ...]) -> None:
    """Show each component's state, pid, uptime and automatic restarts."""
    if targets and "platform" not in targets:
        chosen = [_run(catalogue.get, name) for name in targets]
    else:
        chosen = list(catalogue.COMPONENTS)
    rows = _run(platform.status, chosen)
    click.echo(format_status(rows))


def format_status(rows: list[Status]) -> str:
    """Render status rows as an aligned table (pure)."""
    table = [("COMPONENT", "STATE", "PID", "UPTIME", "RESTARTS", "NOTE")]
    for row in rows:
        table.append((
            row.name,
            row.state,
            str(row.pid) if row.pid else "-",
            _duration(row.uptime) if row.uptime is not None else "-",
            str(row.restarts) if row.restarts is not None else "-",
            row.note,
        ))
    widths = [max(len(line[i]) for line in table) for i in range(5)]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line[:5])) + "  " + line[5]
        for line in table
    ).rstrip()


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


@main.command()
@click.argument("component")
@click.option("-n", "--lines", default=100, show_default=True, help="How many recent lines to show.")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines until interrupted.")
@pass_platform
def journal(platform: Platform, component: str, lines: int, follow: bool) -> None:
    """Print a component's log (its standard output and error)."""
    name = component if component == "supervisord" else _run(catalogue.get, component).name
    path = platform.paths.logs / f"{name}.log"
    if not path.exists():
        raise DeisctlError(f"{name} has no journal yet at {path}; has it been started? See 'deisctl status'")
    argv = ["tail", "-n", str(lines)] + (["-F"] if follow else []) + [str(path)]
    sys.stdout.flush()
    os.execvp("tail", argv)


# -- database backups ------------------------------------------------------------------


@main.group()
def database() -> None:
    """List, take and restore base backups of the platform's database.

    deis-database archives every WAL segment to the platform's store and
    pushes a base backup after it is created or restored, every
    backupInterval (3 h) and on a clean stop, keeping the newest
    backupsToRetain (5). A backup plus the WAL archived after it can bring
    the database back to any moment since that backup.

    \b
    Examples:
      deisctl database backups
      deisctl database backup
      deisctl database restore                       # newest backup, every archived commit
      deisctl database restore 20261122T101500.250Z
      deisctl database restore --to-time 2026-11-22T10:30:00+00:00
      deisctl database restore --to-name before-upgrade
    """


def _database(platform: Platform):
    from database.admin import Database

    return _run(Database, platform.etcd(), platform.environ)


@database.command("backups")
@pass_platform
def database_backups(platform: Platform) -> None:
    """List the base backups in the store, oldest first."""
    db = _database(platform)
    found = _run(db.backups)
    if not found:
        click.echo(f"No base backups in {db.store_url} yet. Take one with 'deisctl database backup'.")
        return
    table = [("NAME", "CREATED (UTC)", "SIZE", "FIRST WAL")]
    for backup in found:
        created = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(backup.created))
        table.append((backup.name, created, f"{backup.size / 1e6:.1f} MB", backup.start_wal))
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    for row in table:
        click.echo("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3])
    click.echo(f"\nStore: {db.store_url}. Restore one with 'deisctl database restore <name>'.")


@database.command("backup")
@pass_platform
def database_backup(platform: Platform) -> None:
    """Push a base backup of the running database now (e.g. before an upgrade)."""
    db = _database(platform)
    started = time.monotonic()
    click.echo("database: taking a base backup")
    backup = _run(db.backup_now)
    click.echo(f"database: base backup {backup.name} stored ({backup.size / 1e6:.1f} MB, "
               f"{time.monotonic() - started:.1f} s)")


@database.command("restore")
@click.argument("name", required=False)
@click.option("--to-time", metavar="TIME", help="Replay WAL up to this moment (ISO 8601 with a zone).")
@click.option("--to-lsn", metavar="LSN", help="Replay WAL up to this log position (e.g. 0/3000060).")
@click.option("--to-name", metavar="POINT", help="Replay WAL up to this restore point (pg_create_restore_point).")
@click.option("-y", "--yes", is_flag=True, help="Do not ask before stopping the database.")
@pass_platform
def database_restore(platform: Platform, name: str | None, to_time: str | None, to_lsn: str | None,
                     to_name: str | None, yes: bool) -> None:
    """Restore backup NAME (default: the newest that fits) and replay WAL.

    The backup is fetched, verified and unpacked while the database still
    serves. Then the database is stopped (pushing a last backup of the
    current data), its data directory is moved aside — never deleted — and
    the unpacked backup moved in; starting it replays the archived WAL up to
    the target (default: everything archived), then a new base backup is
    pushed. If it does not start, the previous data is put back and started.
    """
    from database.restore import Target

    chosen_targets = [(kind, value) for kind, value in (("time", to_time), ("lsn", to_lsn), ("name", to_name))
                      if value is not None]
    if len(chosen_targets) > 1:
        raise DeisctlError("choose at most one of --to-time, --to-lsn and --to-name")
    try:
        target = Target(*chosen_targets[0]) if chosen_targets else None
    except ValueError as exc:
        raise DeisctlError(str(exc)) from exc
    component = _run(catalogue.get, "database")
    if component.name not in platform.supervisor.installed():
        raise DeisctlError("deisctl manages no database on this host: run 'deisctl install database' first")
    db = _database(platform)
    from database.admin import choose

    backup = _run(choose, _run(db.restorable), name, target)
    until = f" up to {target.describe()}" if target else " and every commit archived after it"
    click.echo(f"Restoring base backup {backup.name} ({backup.size / 1e6:.1f} MB){until}.")
    click.echo(f"The current data in {db.cluster.data} is moved aside, not deleted.")
    if not yes:
        click.confirm("Stop the database and restore?", abort=True)
    started = time.monotonic()
    aside = _run(lambda: db.restore(backup, target, stop=lambda: platform.stop([component]),
                                           start=lambda: platform.start([component]), report=click.echo))
    click.echo(f"database: restored {backup.name}{until} in {time.monotonic() - started:.1f} s")
    if aside is not None:
        click.echo(f"The data it replaced is kept in {aside}; remove it once you are satisfied.")


# -- component images ------------------------------------------------------------------


@main.group()
def images() -> None:
    """Build and list the platform's container images, deis/<component>:vVERSION.

    Every component runs as a host process under deisctl on one machine; on a
    cluster it runs as a container of one of these images (contrib/coreos,
    Docker Swarm), starting the same deis-<component> console script. They
    are built from this repository on deis/stack:bookworm, the Debian base
    the builder makes with debootstrap (no registry is pulled from):

    \b
      deis/stack:bookworm -> deis/python-base:vVERSION -> deis/<component>:vVERSION

    An image is rebuilt only when its inputs (Dockerfile, the image below it,
    its source files) changed; otherwise it is reported up to date.

    \b
    Examples:
      deisctl images build                 # every image (the first run takes minutes)
      deisctl images build router          # python-base and deis/router only
      deisctl images list
      docker run --rm deis/router:vVERSION --version
    """


def _images(platform: Platform):
    from deisctl.images import Images

    return _run(Images, None, click.echo, platform.paths)


@images.command("build")
@click.argument("components", nargs=-1)
@pass_platform
def images_build(platform: Platform, components: tuple[str, ...]) -> None:
    """Build python-base and the images of COMPONENTS (default: all) that are out of date."""
    started = time.monotonic()
    results = _run(_images(platform).build, components)
    built = sum(result.built for result in results)
    click.echo(f"{built} of {len(results)} images built in {time.monotonic() - started:.1f} s")


@images.command("list")
@pass_platform
def images_list(platform: Platform) -> None:
    """List the platform's images: up to date, out of date (run 'deisctl images build') or missing."""
    from deisctl.images import size_mb

    rows = [("IMAGE", "STATE", "SIZE", "ID")]
    for tag, state, attrs in _run(_images(platform).status):
        rows.append((tag, state, size_mb(attrs), attrs["Id"].removeprefix("sha256:")[:12] if attrs else "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        click.echo("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3])
