"""Fixtures and helpers for tests of ``deis-builder``: a real builder process, keys, repositories, pushes.

Loaded by test modules with ``pytest_plugins`` next to ``tests.integration.cli_conftest``
(whose controller and users the ``builder`` fixture uses); the helpers are
imported from here, never from another test module.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest

from deis import keys
from tests.services import SCRIPTS, free_port, remove_app, wait_until

#: A line of a host file that must never reach a tenant.
CANARY = "CANARY-host-file-5b1e: not for tenants"
BUILDER_KEY = "test-builder-key-" + uuid.uuid4().hex
#: A Dockerfile app on the local busybox image: answers its release on $PORT.
DOCKERFILE = """FROM {base}
ARG GREETING
RUN echo "building with ${{GREETING:-nothing}}"
CMD echo "$DEIS_RELEASE" > /tmp/index.html && exec httpd -f -p $PORT -h /tmp
"""


class BuilderProcess:
    """``deis-builder`` on a free port with its data under ``data_dir``."""

    def __init__(self, etcd_endpoint: str, data_dir: Path, prefix: tuple[str, ...] = ()):
        self.port = free_port()
        self.data_dir = data_dir
        self.environ = dict(os.environ, DEIS_ETCD=etcd_endpoint, DEIS_BUILDER_PORT=str(self.port),
                            DEIS_BUILDER_BIND="127.0.0.1", DEIS_BUILDER_DATADIR=str(data_dir))
        self.log = data_dir.parent / "builder.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        # ``prefix`` runs the builder under another program (``strace -f …``).
        self.process = subprocess.Popen([*prefix, str(SCRIPTS / "deis-builder")], env=self.environ,
                                        stdout=open(self.log, "wb"), stderr=subprocess.STDOUT)
        wait_until(self._listening, 20, what="deis-builder listening")

    def _listening(self) -> bool:
        assert self.process.poll() is None, self.log.read_text()
        result = subprocess.run(["bash", "-c", f"exec 3<>/dev/tcp/127.0.0.1/{self.port}"], capture_output=True)
        return result.returncode == 0

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture(scope="module")
def builder_process(etcd_endpoint, tmp_path_factory):
    """A builder process for the module."""
    builder = BuilderProcess(etcd_endpoint, tmp_path_factory.mktemp("builder") / "data")
    yield builder
    builder.stop()


@pytest.fixture
def builder(builder_process, etcd, controller):
    """The builder, with the controller and its builder key announced in this test's etcd."""
    host, port = controller.url.removeprefix("http://").split(":")
    etcd.put(keys.host("controller"), host)
    etcd.put(keys.port("controller"), port)
    etcd.put(keys.component("controller", "builderKey"), BUILDER_KEY)
    return builder_process


@pytest.fixture
def app_name(docker_client):
    """A unique app id; its containers and images are removed after the test."""
    name = f"bt-{uuid.uuid4().hex[:8]}"
    yield name
    remove_app(docker_client, name)


def ssh_key(folder: Path, name: str = "id_ed25519") -> Path:
    """Create an ed25519 key pair in ``folder``; return the private key's path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return path


def with_key(person, tmp_path: Path) -> Path:
    """Give ``person`` an SSH key registered with the controller; return the private key."""
    key = ssh_key(tmp_path / f"ssh-{person.username}")
    result = person("keys:add", str(key.with_suffix(".pub")))
    assert result.exit_code == 0, result.output
    return key


def ssh_env(key: Path) -> dict[str, str]:
    """The environment making git and ssh use ``key`` and trust the builder's host key."""
    command = (f"ssh -i {key} -o IdentitiesOnly=yes -o StrictHostKeyChecking=no "
               "-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes")
    return dict(os.environ, GIT_SSH_COMMAND=command, GIT_TERMINAL_PROMPT="0")


def make_repo(folder: Path, files: dict[str, str]) -> Path:
    """Create a git repository with ``files`` committed on ``master``."""
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
        (folder / name).chmod(0o755 if name.startswith("bin/") else 0o644)
    git = ["git", "-c", "user.name=T", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", "-b", "master"], cwd=folder, check=True)
    subprocess.run(["git", "add", "-A"], cwd=folder, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "app"], cwd=folder, check=True)
    return folder


def git_push(repo: Path, key: Path, port: int, app: str) -> subprocess.CompletedProcess:
    """``git push ssh://git@127.0.0.1:<port>/<app>.git master``; the output is in ``.stderr``."""
    url = f"ssh://git@127.0.0.1:{port}/{app}.git"
    return subprocess.run(["git", "push", url, "master"], cwd=repo, env=ssh_env(key),
                          capture_output=True, text=True, timeout=300)


def ssh(key: Path, port: int, *command: str, extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """Run ``ssh git@127.0.0.1 <command>`` against the builder."""
    argv = ["ssh", "-i", str(key), "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes",
            "-p", str(port), *extra, "git@127.0.0.1", *command]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def remote_head(builder, app: str) -> str | None:
    """Return where ``master`` points in the builder's repository of ``app``."""
    result = subprocess.run(["git", "rev-parse", "--verify", "-q", "refs/heads/master"],
                            cwd=builder.data_dir / "repos" / f"{app}.git", capture_output=True, text=True)
    return result.stdout.strip() or None


def on_disk(builder) -> set[str]:
    """Return every path under the builder's data directory."""
    return {str(path) for path in builder.data_dir.rglob("*")}


def releases(person, app: str) -> list[str]:
    """Return the ``v<N> …`` lines of ``deis releases`` of ``app``."""
    result = person("releases", "-a", app)
    assert result.exit_code == 0, result.output
    return [line for line in result.stdout.splitlines() if line.startswith("v")]


def linked_repo(folder: Path, files: dict[str, str], links: dict[str, Path]) -> Path:
    """A repository with ``files`` and the symbolic links ``links`` (name → target) committed."""
    folder.mkdir(parents=True)
    for name, target in links.items():
        (folder / name).symlink_to(target)
    for name, text in files.items():
        (folder / name).write_text(text)
    git = ["git", "-c", "user.name=T", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", "-b", "master"], cwd=folder, check=True)
    subprocess.run(["git", "add", "-A"], cwd=folder, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "app"], cwd=folder, check=True)
    return folder
