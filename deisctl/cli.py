"""The ``deisctl`` command line (Deis v1 vocabulary), in single-host or cluster mode.

Typical first run on one host::

    deisctl config platform set domain=deis.localhost
    deisctl install platform
    deisctl start platform
    deisctl status

On a cluster (a data dir holding ``cluster.json``, written by the bootstrap)::

    deisctl cluster bootstrap tcp://10.0.0.1:2375 tcp://10.0.0.2:2375 tcp://10.0.0.3:2375
    deisctl start platform
    deisctl machines
    deisctl status
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
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
from deisctl.swarm import cluster as swarm_cluster
from deisctl.swarm import preflight, rollout, store_specs
from deisctl.swarm import rows as swarm_rows
from deisctl.swarm import state as swarm_state

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


# -- the mode: one host, or a cluster (<data dir>/cluster.json) --------------------------


def mode_text() -> str:
    """Say which mode this data dir is in and what the commands act on (for every --help)."""
    try:
        recorded = swarm_state.load()
    except DeisError as exc:
        return f"Mode: unknown ({exc})"
    if recorded is None:
        return ("Mode: single host: components run as processes on this machine. "
                "'deisctl cluster bootstrap ENGINE...' puts this data dir in cluster mode.")
    return (f"Mode: cluster ({swarm_state.path()}; managers {', '.join(recorded.managers)}): "
            "install, start, stop, restart, rolling-restart, upgrade, status, journal, list, scale and "
            "machines act on the Swarm's services.")


class _ModeHelp:
    """Ends a command's help with the mode line."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        formatter.write_paragraph()
        formatter.write_text(mode_text())


class ModeCommand(_ModeHelp, click.Command):
    """A command whose help says the mode."""


class ModeGroup(_ModeHelp, click.Group):
    """A group whose help, and whose commands' help, say the mode."""

    command_class = ModeCommand
    group_class = type


def _set_data_dir(ctx: click.Context, param: click.Parameter, value: str) -> str:
    # Eager, so that 'deisctl --data-dir X --help' reads X's mode.
    os.environ["DEIS_DATA_DIR"] = str(Path(value).absolute())
    return value


def _cluster() -> swarm_cluster.Cluster | None:
    """The cluster this data dir records, connected; None in single-host mode."""
    recorded = _run(swarm_state.load)
    return None if recorded is None else _run(swarm_cluster.Cluster, recorded)


def _require_cluster(command: str) -> swarm_cluster.Cluster:
    found = _cluster()
    if found is None:
        raise DeisctlError(f"'deisctl {command}' works on a cluster; this data dir is in single-host mode "
                           "(no cluster.json): run 'deisctl cluster bootstrap ENGINE...' first")
    return found


@click.group(cls=ModeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(PLATFORM_VERSION, prog_name="deisctl")
@click.option(
    "--data-dir", envvar="DEIS_DATA_DIR", default=DEFAULT_DATA_DIR, show_default=True, is_eager=True,
    callback=_set_data_dir, help="Where platform state lives (env DEIS_DATA_DIR).",
)
@click.pass_context
def main(ctx: click.Context, data_dir: str) -> None:
    """Install, start, stop and inspect the Deis platform on this host or a cluster.

    Components run as supervised host processes, started in order
    (infrastructure, store, logging, control plane, data plane, router) and
    stopped in reverse. Ports: DEIS_ETCD (etcd endpoint, default
    http://127.0.0.1:2379), DEIS_ETCD_PEER_PORT (2380), DEIS_REDIS_PORT (6379),
    DOCKER_HOST (unix:///var/run/docker.sock).

    \b
    First run on one host:
      deisctl config platform set domain=deis.localhost
      deisctl install platform
      deisctl start platform

    \b
    On a cluster of hosts running Docker (from one that reaches their APIs):
      deisctl cluster bootstrap tcp://10.0.0.1:2375 tcp://10.0.0.2:2375 tcp://10.0.0.3:2375 \\
          --store ceph    # Ceph on the hosts (or file:///srv/deis-store: a folder every host mounts)
      deisctl start platform      # every component as Swarm services, tier by tier
      deisctl machines            # the hosts, their roles and health
      deisctl status              # each service's tasks and nodes
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

    In cluster mode 'deisctl config store set url=URL' records the store in
    cluster.json (as 'cluster bootstrap --store' does); 'start platform'
    then gives it to the components that keep data.

    In cluster mode the settings go to the cluster's etcd: DEIS_ETCD when set,
    else every node's member at <node address>:2379.
    """
    recorded = _run(swarm_state.load)
    if recorded is not None and target == "store":
        _cluster_store(recorded, action, pairs)
        return
    if recorded is not None:
        etcd = _run(preflight.cluster_etcd, _run(swarm_cluster.Cluster, recorded), platform.environ)
    else:
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


def _cluster_store(recorded: swarm_state.ClusterState, action: str, pairs: tuple[str, ...]) -> None:
    """``deisctl config store get|set|rm url`` on a cluster: the store URL in cluster.json."""

    for pair in pairs:
        name, separator, value = pair.partition("=")
        if name != "url" or bool(separator) != (action == "set"):
            raise click.UsageError("on a cluster the store has one setting here: "
                                   "'deisctl config store set url=file:///srv/deis-store' (or get url, rm url)")
        if action == "get":
            if not recorded.settings.store:
                raise DeisctlError("the cluster has no store; 'deisctl config store set url=URL'")
            click.echo(recorded.settings.store)
            continue
        store = _run(store_specs.check_store, value) if action == "set" else ""
        recorded = dataclasses.replace(recorded, settings=dataclasses.replace(recorded.settings, store=store))
        _run(swarm_state.save, recorded)
        click.echo(f"url: {store or 'removed'} (in {swarm_state.path()}; 'deisctl start platform' applies it)")


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

    In cluster mode it is the preflight and starts nothing: the domain is
    read from the cluster's etcd (refused without it), a missing
    sshPrivateKey is warned of, the overlays (and a Ceph store's identity
    secret) are made, and the images the services run are looked for on the
    manager's engine. Each node's Swarm agent finds <repository>/<component>:<tag>
    on its node or pulls it itself.

    \b
    Examples:
      deisctl config platform set domain=deis.example.com
      deisctl install platform
      deisctl start platform
    """
    whole = not targets or "platform" in targets
    found = _cluster()
    if found is not None:
        _install_on_cluster(found, platform, targets, whole)
        return
    chosen = _components(targets)
    if whole:
        _run(platform.require_domain)
        if platform.etcd().get(keys.platform("sshPrivateKey")) is None:
            click.echo(preflight.NO_SSH_KEY, err=True)
    _run(platform.install, chosen)
    if whole:
        _run(boot.install, boot_unit, platform.paths, platform.environ, click.echo)


def _install_on_cluster(found: swarm_cluster.Cluster, platform: Platform, targets: tuple[str, ...],
                        whole: bool) -> None:
    """``deisctl install`` in cluster mode: check and prepare, start nothing."""
    chosen = _run(swarm_cluster.check_components, targets)
    if whole:
        etcd = _run(preflight.cluster_etcd, found, platform.environ)
        click.echo(f"platform domain: {_run(preflight.require_domain, etcd)}")
        if _run(etcd.get, keys.platform("sshPrivateKey")) is None:
            click.echo(preflight.NO_SSH_KEY, err=True)
    missing = _run(preflight.install, found, chosen, click.echo)
    if missing:
        click.echo(f"warning: the manager's engine lacks {', '.join(missing)}; every node must hold them or "
                   "pull them: 'deisctl images build', then load them into each engine, or push them to a "
                   "registry and 'deisctl upgrade --repository REGISTRY/deis --pull'", err=True)
    click.echo(f"Installed. 'deisctl start {' '.join(targets) or 'platform'}' starts the services.")


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

    In cluster mode: tier by tier (store — Ceph's daemons, when the
    cluster's store is ceph —, logging, control plane, data plane, router;
    'start store' is the store tier), create the missing Swarm services, update changed ones, leave
    equal ones (and their tasks) alone, and wait until the tier's tasks run
    before the next. Run it again at any time.
    """
    found = _cluster()
    if found is not None:
        chosen = _run(swarm_cluster.check_components, targets)
        started = time.monotonic()
        _run(found.start, chosen, click.echo)
        click.echo(f"The platform's services run ({time.monotonic() - started:.1f} s). See 'deisctl status'.")
        return
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

    In cluster mode: remove the platform's Swarm services; apps' services
    keep running (unrouted until 'deisctl start platform').
    """
    found = _cluster()
    if found is not None:
        removed = _run(found.stop, _run(swarm_cluster.check_components, targets), click.echo)
        click.echo(f"{len(removed)} service(s) removed; apps' services keep running" if removed
                   else "no platform service was running")
        return
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

    In cluster mode it is 'deisctl rolling-restart' (see its --help).
    """
    found = _cluster()
    if found is not None:
        _rolling_restart(found, targets, ROLLING_TIMEOUT)
        return
    chosen = _components(targets)
    _stop(platform, targets, halt=False)
    _run(platform.start, chosen)


#: Seconds one component's rolling restart (or upgrade) may take before deisctl stops waiting.
ROLLING_TIMEOUT = 300.0
timeout_option = click.option(
    "--timeout", default=ROLLING_TIMEOUT, show_default=True, type=click.FloatRange(min=1, max=86400), metavar="SECONDS",
    help="How long each component may take; then deisctl says what is pending and exits 1 (Swarm carries on).",
)


@main.command("rolling-restart")
@click.argument("targets", nargs=-1, required=True, metavar="COMPONENT...")
@timeout_option
@click.pass_context
def rolling_restart(ctx: click.Context, targets: tuple[str, ...], timeout: float) -> None:
    """Restart components one task at a time while the others serve (Deis v1's 'rolling-restart router').

    On a cluster each named component's Swarm service replaces its tasks one
    node at a time, waiting until the new task runs before the next: while
    one router restarts the others answer, while one controller restarts the
    other does. A component with one task (logger, database, registry) is
    away until its new task runs (the database restores from the store).
    'platform' restarts every component, one after another, in tier order.
    If Swarm pauses the update (a new task failed), deisctl says why and
    exits 1; the component's other tasks keep running.

    On one host this is 'deisctl restart': the router's nginx keeps serving
    (the new router adopts it), and the other components are away for the
    moment each restarts.

    \b
    Examples:
      deisctl rolling-restart router
      deisctl rolling-restart controller builder --timeout 600
      deisctl rolling-restart platform
    """
    found = _cluster()
    if found is None:
        ctx.invoke(restart, targets=targets)
        return
    _rolling_restart(found, targets, timeout)


def _rolling_restart(found: swarm_cluster.Cluster, targets: tuple[str, ...], timeout: float) -> None:
    """Restart the services of ``targets`` one after another, each task by task."""
    chosen = _run(swarm_cluster.check_components, targets)
    running = _run(found.services)
    absent = [component for component in chosen if component not in running]
    named = [component for component in absent if component in targets]
    if named:
        raise DeisctlError(f"{', '.join(named)}: no service on the cluster; 'deisctl start {' '.join(named)}' "
                           "starts it")
    if absent:
        click.echo(f"not running, so not restarted: {', '.join(absent)}")
    mover, started = rollout.Rollout(found, click.echo, timeout), time.monotonic()
    for component in chosen:
        if component in running:
            click.echo(f"{component}: restarting its tasks one at a time")
            click.echo(f"{component}: restarted ({_run(mover.restart, component):.1f} s)")
    click.echo(f"Rolling restart done in {time.monotonic() - started:.1f} s.")


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
    """Show each component's state, pid, uptime and automatic restarts.

    In cluster mode: each platform service's mode, running/desired tasks and
    nodes, and, when the store is Ceph on the cluster, its health as the
    store's gateways announce it (HEALTH_OK, or the failing checks' names).
    """
    found = _cluster()
    if found is not None:
        chosen = _run(swarm_cluster.check_components, targets)
        service_rows = [row for row in _run(found.status) if row.component in chosen]
        click.echo(swarm_rows.format_services(service_rows) if service_rows
                   else "No platform service runs on the cluster; 'deisctl start platform' starts them.")
        health = _run(found.store_health) if any(c in store_specs.COMPONENTS for c in chosen) else None
        if health:
            click.echo(f"store (Ceph): {health}")
        return
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
    """Print a component's log (its standard output and error).

    In cluster mode: the service's logs, from every node's task.
    """
    found = _cluster()
    if found is not None:
        with contextlib.suppress(KeyboardInterrupt):
            try:
                for line in found.journal(component, lines, follow):
                    click.echo(line)
            except DeisError as exc:
                raise DeisctlError(str(exc)) from exc
        return
    name = component if component == "supervisord" else _run(catalogue.get, component).name
    path = platform.paths.logs / f"{name}.log"
    if not path.exists():
        raise DeisctlError(f"{name} has no journal yet at {path}; has it been started? See 'deisctl status'")
    argv = ["tail", "-n", str(lines)] + (["-F"] if follow else []) + [str(path)]
    sys.stdout.flush()
    os.execvp("tail", argv)


@main.command("list")
@click.pass_context
def list_(ctx: click.Context) -> None:
    """List the platform's components and their state (on one host: as 'deisctl status')."""
    ctx.invoke(status, targets=())


@main.command()
def machines() -> None:
    """List the cluster's hosts: address, manager or worker (and reachability), state, role labels.

    Cluster mode only. A healthy 3-host cluster shows 3 managers, one the leader.
    """
    found = _require_cluster("machines")
    click.echo(swarm_rows.format_machines(_run(found.machines)))


SINGLE_HOST_UPGRADE = (
    "'deisctl upgrade' moves a cluster's services to new images; on one host the components run from "
    "this installation: install the new version here, run 'deisctl images build' (the images a cluster "
    "runs) and then 'deisctl restart platform'"
)


@main.command()
@click.option("--tag", metavar="TAG", help="The images' tag (default: this deisctl's version, "
              f"v{PLATFORM_VERSION}).")
@click.option("--repository", metavar="REPO", help="Where the images are: REPO/<component>:TAG "
              "(default: the cluster's, deis).")
@click.option("--pull", is_flag=True, help="Let the manager's engine pull images it lacks before the check.")
@timeout_option
def upgrade(tag: str | None, repository: str | None, pull: bool, timeout: float) -> None:
    """Move the platform's services to new images, one component at a time (cluster mode).

    First the images REPO/<component>:TAG are looked for on the manager's
    engine: one missing refuses the upgrade before anything changes. Then
    cluster.json records the new tag and repository, and each running
    service whose spec changed is updated in tier order (store, logging,
    control plane, data plane, router) and followed until every task of it
    runs the new image — one task at a time, the others serving — before
    the next begins. A service already on these images is 'unchanged'.

    Each node's Swarm agent uses the image on its node or pulls it: give
    every node the images ('docker load'), or push them to a registry the
    nodes reach and name it with --repository. If Swarm pauses a
    component's update, the upgrade stops there and says what runs what;
    run it again to go on, or with the old --tag to go back.

    \b
    Examples:
      deisctl upgrade                  # to this deisctl's version, its images on every node
      deisctl upgrade --tag v1.2.1     # the images deis/<component>:v1.2.1 on every node
      deisctl upgrade --repository registry.example.com:5000/deis --tag v1.2.1 --pull
    """
    from deisctl.swarm import upgrade as swarm_upgrade

    found = _cluster()
    if found is None:
        raise DeisctlError(SINGLE_HOST_UPGRADE)
    new = _run(swarm_upgrade.settings_for, found.settings, tag, repository)
    started = time.monotonic()
    steps = _run(swarm_upgrade.upgrade, found, new, click.echo, timeout, pull)
    updated = [step.component for step in steps if step.action == "update"]
    took = time.monotonic() - started
    click.echo(f"Upgraded {', '.join(updated)} in {took:.1f} s." if updated else
               f"Nothing to upgrade: every running service runs {new.repository}/<component>:{new.tag} "
               f"({took:.1f} s).")


@main.command()
@click.argument("pairs", nargs=-1, required=True, metavar="COMPONENT=N...")
def scale(pairs: tuple[str, ...]) -> None:
    """Set the number of tasks of replicated components (cluster mode).

    controller and builder scale (at most one task per controlPlane node);
    the count is recorded in cluster.json, so 'start platform' keeps it.
    The publisher and logspout run on every node, the router on every node
    labelled routerMesh: they are not scaled but placed, by node labels
    ('deisctl cluster bootstrap ... --roles HOST=ROLE,...'). The logger,
    database and registry run one task each.
    """
    found = _require_cluster("scale")
    for pair in pairs:
        component, separator, count = pair.partition("=")
        if not separator or not count.isdigit():
            raise click.UsageError(f"{pair!r} is not COMPONENT=N; e.g. 'deisctl scale controller=2'")
        _run(found.scale, component, int(count))
        click.echo(f"{component}: scaled to {count}")


@main.group()
def cluster() -> None:
    """Form a cluster of Docker hosts and put this data dir in cluster mode.

    \b
    Flow:
      deisctl cluster bootstrap ENGINE=ADDRESS ...   # Swarm, 3 managers from 3 hosts, role labels
      deisctl start platform                         # every component but etcd (the store if --store ceph)
      deisctl machines / status / journal router / stop platform
    """


@cluster.command("bootstrap")
@click.argument("engines", nargs=-1, required=True, metavar="ENGINE[=ADDRESS]...")
@click.option("--roles", "roles", multiple=True, metavar="HOST=ROLE[,ROLE...]",
              help="The roles of one host (hostname or address): controlPlane, dataPlane, routerMesh. "
                   "Default: every role on every host. Repeat per host.")
@click.option("--docker-socket", metavar="PATH",
              help="The Docker socket path on every node, mounted into publisher and logspout "
                   "(default: the engines' unix socket path, else /var/run/docker.sock).")
@click.option("--store", metavar="URL",
              help="The platform's store for logs, database backups and registry blobs: ceph (Ceph's "
                   "daemons on the controlPlane hosts, pools replicated on 3), file:///PATH "
                   "(a folder every host mounts at PATH, e.g. over NFS), s3://BUCKET or rados://POOL. "
                   "Kept from an earlier bootstrap when not given.")
def cluster_bootstrap(engines: tuple[str, ...], roles: tuple[str, ...], docker_socket: str | None,
                      store: str | None) -> None:
    """Form a Swarm of the hosts whose Docker APIs are ENGINEs, label them, and record it here.

    ENGINE is unix:///path/docker.sock or tcp://host:port; ADDRESS is the
    address the host advertises to the others (needed when it has several).
    The first host initialises the Swarm (unless one of them already manages
    one); the others join, as managers when there are 3 or more hosts (3
    managers survive the loss of one). Running it again on a formed cluster
    changes nothing. The managers' URLs go to <data dir>/cluster.json, which
    puts every later deisctl command in cluster mode.

    \b
    Example:
      deisctl cluster bootstrap tcp://10.0.0.1:2375 tcp://10.0.0.2:2375 tcp://10.0.0.3:2375 \\
          --roles 10.0.0.3=dataPlane,routerMesh
    """
    from deisctl.swarm import bootstrap as swarm_bootstrap

    if store is not None:
        _run(store_specs.check_store, store)
    parsed = [_run(swarm_bootstrap.parse_engine, engine) for engine in engines]
    by_host = _run(swarm_bootstrap.parse_roles, roles)
    started = time.monotonic()
    recorded = _run(swarm_bootstrap.bootstrap, parsed, by_host, docker_socket, click.echo, 30, store)
    click.echo(f"Cluster mode: {len(recorded.managers)} manager(s) in {time.monotonic() - started:.1f} s. "
               "Next: 'deisctl start platform', then 'deisctl machines'.")


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
