"""``python -m tests.cluster``: try the cluster on one machine (run as root).

    python -m tests.cluster up            # 3 hosts, 1 Swarm manager, 3 etcd members
    python -m tests.cluster status
    DOCKER_HOST=unix:///var/lib/deis-multihost/h1/docker.sock docker node ls
    python -m tests.cluster down          # removes everything, and checks
"""

from __future__ import annotations

import click

from tests.cluster import testbed


class BedFailed(click.ClickException):
    """A bed operation failed; the message says what and what to type next."""


def _guard(action):
    try:
        return action()
    except testbed.BedError as error:
        raise BedFailed(str(error)) from error


@click.group(epilog="State lives in /var/lib/deis-multihost (DEIS_MULTIHOST_STATE); "
                    "the bed's network is 10.213.77.0/24 on bridge deismh0.")
def cli():
    """N hosts on this machine as network namespaces, each with its own dockerd
    and etcd member, joined in one Swarm and one etcd cluster. Needs root.

    \b
    Try it:
      python -m tests.cluster up --hosts 3      # ~3 s; again: repairs, ~1-3 s
      python -m tests.cluster status
      DOCKER_HOST=unix:///var/lib/deis-multihost/h1/docker.sock docker node ls
      nsenter --net=/run/netns/deismh-h2 busybox wget -qO- http://10.213.77.11:PORT/
      python -m tests.cluster down              # and checks nothing is left

    \b
    Host hN is netns deismh-hN at 10.213.77.(10+N), etcd on :2379.
    Wrap docker CLI calls in 'timeout -k 5 20': an attached run can hang.
    No IPVS on this kernel: publish services with mode=host, no ingress mesh.
    """


@cli.command(short_help="Build the bed, or repair it.")
@click.option("--hosts", default=3, show_default=True, help="How many hosts (h1, h2, ...).")
@click.option("--managers", type=click.Choice(["1", "3"]), default="1", show_default=True,
              help="Swarm managers: h1 alone, or h1-h3 (for leader-loss tests).")
def up(hosts, managers):
    """Build the bed, or repair it (a dead dockerd or etcd member is restarted)."""
    bed = _guard(lambda: testbed.Testbed(hosts, int(managers)))
    seconds = _guard(bed.up)
    click.echo(f"up in {seconds:.1f} s")
    _print_status(bed)


@cli.command(short_help="Remove the whole bed, and check.")
def down():
    """Remove everything: processes, namespaces, links, the FORWARD rule, the state dir."""
    seconds = _guard(lambda: testbed.Testbed.existing().down())
    click.echo(f"down in {seconds:.1f} s; nothing left")


@cli.command(short_help="Empty the bed between tests.")
def reset():
    """Remove services, containers, extra networks, node labels and etcd's /deis/."""
    seconds = _guard(lambda: testbed.Testbed.existing().reset())
    click.echo(f"reset in {seconds:.1f} s")


@cli.command(short_help="Show hosts, nodes and etcd health.")
def status():
    """Show each host: netns, dockerd and etcd PIDs, Swarm node state, etcd health."""
    _print_status(testbed.Testbed.existing())
    left = testbed.leftovers()
    if left and not testbed.bed_netns():
        click.echo("leftovers: " + "; ".join(left))


def _print_status(bed: testbed.Testbed) -> None:
    columns = ("host", "ip", "netns", "dockerd", "etcd", "node", "etcd_healthy", "docker_host")
    rows = _guard(bed.status)
    click.echo("  ".join(f"{name:<12}" for name in columns[:-1]) + "  " + columns[-1])
    for row in rows:
        click.echo("  ".join(f"{str(row[name]):<12}" for name in columns[:-1]) + "  " + row["docker_host"])


if __name__ == "__main__":
    cli(prog_name="python -m tests.cluster")
