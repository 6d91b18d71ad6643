"""T18: every container the scheduler makes for tenant code passes the hardening audit.

Reliability plan T18 inspects each app container the platform creates across
the ways code reaches it: a Dockerfile build, a buildpack build, and one-off
``deis run`` containers of each (the buildpack's compile container has its own
test in ``test_builder_buildpack.py``; an image pulled with ``deis pull`` in
``controller/test_deploys.py``). Containers are caught from the engine's
``create`` events and inspected at once, so a one-off container removed a
second later is audited too. The rules are the plan's: not privileged, every
capability dropped and none added, ``no-new-privileges``, a PID limit, the
memory limit ``limits:set`` asked for, no host paths or Docker socket
mounted, neither the host's network nor its PID namespace, no published port.

Not covered, and why: the intermediate containers of a Dockerfile's ``RUN``
steps are made by the engine's classic builder, which takes no capability or
security options; they get the build's memory limit (``buildMemory``) only.
"""

from __future__ import annotations

import threading

import docker
import pytest

from tests import services
from tests.integration.builder_conftest import DOCKERFILE, git_push, make_repo, with_key
from tests.services import wait_until

pytest_plugins = ["tests.integration.cli_conftest", "tests.integration.builder_conftest"]

GENERIC_WEB = "web: exec python3 -m http.server $PORT\n"


def violations(attrs: dict) -> list[str]:
    """Return each T18 rule ``attrs`` (a container's inspect data) breaks, as a sentence."""
    host, name = attrs["HostConfig"], attrs["Name"].lstrip("/")
    found = []
    if host.get("Privileged"):
        found.append(f"{name}: privileged")
    if host.get("CapDrop") != ["ALL"] or host.get("CapAdd"):
        found.append(f"{name}: capabilities drop={host.get('CapDrop')} add={host.get('CapAdd')}")
    if "no-new-privileges" not in (host.get("SecurityOpt") or []):
        found.append(f"{name}: no-new-privileges missing")
    if not host.get("PidsLimit") or host["PidsLimit"] <= 0:
        found.append(f"{name}: no PID limit")
    if host.get("NetworkMode") == "host" or host.get("PidMode") == "host" or host.get("IpcMode") == "host":
        found.append(f"{name}: host namespace network={host.get('NetworkMode')} pid={host.get('PidMode')}")
    if host.get("Binds") or attrs.get("Mounts"):
        found.append(f"{name}: mounts {host.get('Binds')} {attrs.get('Mounts')}")
    if host.get("PortBindings") or host.get("PublishAllPorts"):
        found.append(f"{name}: published ports {host.get('PortBindings')}")
    if host.get("Devices"):
        found.append(f"{name}: devices {host['Devices']}")
    return found


class CreatedContainers:
    """Inspects every container created for ``apps`` from the engine's event stream."""

    def __init__(self, client: docker.DockerClient, apps: set[str]):
        self.client, self.apps = client, apps
        self.seen: dict[str, dict] = {}
        self._events = client.events(decode=True, filters={"type": "container", "event": "create"})
        self._thread = threading.Thread(target=self._follow, daemon=True)
        self._thread.start()

    def _follow(self) -> None:
        for event in self._events:
            labels = event.get("Actor", {}).get("Attributes", {})
            if labels.get("deis.app") in self.apps:
                try:
                    attrs = self.client.api.inspect_container(event["id"])
                except docker.errors.NotFound:  # gone before we looked: fail the audit, do not hide it
                    attrs = {"Name": labels.get("name", event["id"]), "HostConfig": {"Privileged": True}}
                self.seen[attrs["Name"].lstrip("/")] = attrs

    def close(self) -> None:
        """Stop following the event stream."""
        self._events.close()


@pytest.fixture
def two_apps(app_name):
    """Two app ids (cleaned up by ``app_name`` and its sibling)."""
    return app_name, f"{app_name}-bp"


@pytest.fixture
def audit(docker_client, two_apps):
    watcher = CreatedContainers(docker_client, set(two_apps))
    yield watcher
    watcher.close()
    services.remove_app(docker_client, two_apps[1])


def test_t18_dockerfile_buildpack_and_run_containers_pass_the_hardening_audit(
        builder, alice, two_apps, base_image, tmp_path, audit):
    dockerfile_app, buildpack_app = two_apps
    key = with_key(alice, tmp_path)
    for app in two_apps:
        assert alice("create", app, "--no-remote").exit_code == 0
    pushed = git_push(make_repo(tmp_path / "df", {"Dockerfile": DOCKERFILE.format(base=base_image)}),
                      key, builder.port, dockerfile_app)
    assert pushed.returncode == 0, pushed.stderr
    pushed = git_push(make_repo(tmp_path / "bp", {"Procfile": GENERIC_WEB, "index.html": "hi\n"}),
                      key, builder.port, buildpack_app)
    assert pushed.returncode == 0, pushed.stderr
    limited = alice("limits:set", "cmd=64M", "-a", dockerfile_app)  # a Dockerfile app without Procfile: type cmd (v1)
    assert limited.exit_code == 0, limited.output
    for app in two_apps:
        ran = alice("run", "-a", app, "--", "echo audited")
        assert ran.exit_code == 0 and "audited" in ran.stdout, ran.output

    expected = {f"{dockerfile_app}_v2.cmd.1", f"{dockerfile_app}_v3.cmd.1", f"{dockerfile_app}_v3.run.1",
                f"{buildpack_app}_v2.web.1", f"{buildpack_app}_v2.run.1"}
    wait_until(lambda: expected <= set(audit.seen), 10, what=f"create events of {sorted(expected)}")
    found = [line for attrs in audit.seen.values() for line in violations(attrs)]
    print(f"T18: audited {len(audit.seen)} containers ({', '.join(sorted(audit.seen))}): {len(found)} violations")
    assert found == []
    assert audit.seen[f"{dockerfile_app}_v3.cmd.1"]["HostConfig"]["Memory"] == 64 << 20


def test_the_audit_catches_each_rule():
    """The audit is not a rubber stamp: each broken rule is reported."""
    good = {"Name": "/a_v1.web.1", "Mounts": [],
            "HostConfig": {"CapDrop": ["ALL"], "CapAdd": None, "SecurityOpt": ["no-new-privileges"], "PidsLimit": 1024,
                           "Privileged": False, "NetworkMode": "deis-apps", "PidMode": "", "Binds": None,
                           "PortBindings": {}}}
    assert violations(good) == []
    for change in ({"Privileged": True}, {"CapAdd": ["NET_ADMIN"]}, {"CapDrop": None}, {"SecurityOpt": []},
                   {"PidsLimit": 0}, {"NetworkMode": "host"}, {"PidMode": "host"},
                   {"Binds": ["/var/run/docker.sock:/var/run/docker.sock"]},
                   {"PortBindings": {"5000/tcp": [{"HostPort": "5000"}]}}, {"Devices": [{"PathOnHost": "/dev/mem"}]}):
        bad = {**good, "HostConfig": {**good["HostConfig"], **change}}
        assert len(violations(bad)) == 1, change
