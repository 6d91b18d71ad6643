"""git push to deis-builder over SSH: a real builder, controller, etcd and Docker engine.

The builder runs as its own process (``deis-builder``), the controller serves
HTTP in a thread (``cli_conftest``), and pushes are made by the system ``git``
and ``ssh`` clients, as a user would.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import time
import uuid
from pathlib import Path

import docker
import pytest
import requests

from deis import keys
from tests.services import SCRIPTS, free_port, wait_until

pytest_plugins = ["tests.integration.cli_conftest"]

BUILDER_KEY = "test-builder-key-" + uuid.uuid4().hex
#: A Dockerfile app on the local busybox image: answers its release on $PORT.
DOCKERFILE = """FROM {base}
ARG GREETING
RUN echo "building with ${{GREETING:-nothing}}"
CMD echo "$DEIS_RELEASE" > /tmp/index.html && exec httpd -f -p $PORT -h /tmp
"""


class BuilderProcess:
    """``deis-builder`` on a free port with its data under ``data_dir``."""

    def __init__(self, etcd_endpoint: str, data_dir: Path):
        self.port = free_port()
        self.data_dir = data_dir
        self.environ = dict(os.environ, DEIS_ETCD=etcd_endpoint, DEIS_BUILDER_PORT=str(self.port),
                            DEIS_BUILDER_BIND="127.0.0.1", DEIS_BUILDER_DATADIR=str(data_dir))
        self.log = data_dir.parent / "builder.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen([str(SCRIPTS / "deis-builder")], env=self.environ,
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
    for container in docker_client.containers.list(all=True, filters={"label": f"deis.app={name}"}):
        container.remove(force=True)
    # The low-level list: images.list() fetches each image again and races the
    # controller's own image hygiene removing old release images meanwhile.
    for image in docker_client.api.images():
        for tag in image.get("RepoTags") or []:
            if tag.startswith(f"{name}:") or f"/{name}:" in tag:
                with contextlib.suppress(docker.errors.ImageNotFound):
                    docker_client.images.remove(tag, force=True)


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
    result = person("releases", "-a", app)
    assert result.exit_code == 0, result.output
    return [line for line in result.stdout.splitlines() if line.startswith("v")]


@pytest.fixture
def dockerfile_app(alice, app_name, base_image, tmp_path):
    """Alice's app, created on the controller, and a Dockerfile repository for it."""
    assert alice("create", app_name, "--no-remote").exit_code == 0
    return make_repo(tmp_path / "src", {"Dockerfile": DOCKERFILE.format(base=base_image)})


# git push: a Dockerfile app
def test_git_push_dockerfile_app_builds_releases_and_runs(builder, alice, app_name, dockerfile_app,
                                                         tmp_path, docker_client):
    key = with_key(alice, tmp_path)
    assert alice("config:set", "GREETING=hello-args", "-a", app_name).exit_code == 0
    started = time.monotonic()
    pushed = git_push(dockerfile_app, key, builder.port, app_name)
    elapsed = time.monotonic() - started
    print(f"\ngit push of a Dockerfile app took {elapsed:.1f} s")
    assert pushed.returncode == 0, pushed.stderr
    shown = pushed.stderr.replace("\x1b[1G", "")
    for expected in (f"-----> {app_name} uses Dockerfile", "-----> Building Docker image",
                     "       building with hello-args",
                     "-----> Launching... done, " + f"{app_name}:v3 deployed to Deis",
                     f"       http://{app_name}.example.com"):
        assert expected in shown, shown
    sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=dockerfile_app, capture_output=True,
                         text=True).stdout.strip()
    assert remote_head(builder, app_name) == sha
    running = docker_client.containers.list(filters={"label": f"deis.app={app_name}"})
    assert [c.name for c in running] == [f"{app_name}_v3.cmd.1"]
    assert running[0].image.tags == [f"{app_name}:git-{sha[:8]}"]


def test_git_push_failing_dockerfile_is_rejected_and_changes_nothing(builder, alice, app_name, base_image,
                                                                      tmp_path, docker_client):
    key = with_key(alice, tmp_path)
    assert alice("create", app_name, "--no-remote").exit_code == 0
    repo = make_repo(tmp_path / "src", {"Dockerfile": f"FROM {base_image}\nRUN echo about to fail && false\n"})
    pushed = git_push(repo, key, builder.port, app_name)
    assert pushed.returncode != 0
    assert "about to fail" in pushed.stderr
    assert "returned a non-zero code" in pushed.stderr
    assert "! [remote rejected] master -> master (pre-receive hook declined)" in pushed.stderr
    assert remote_head(builder, app_name) is None
    assert releases(alice, app_name) == [releases(alice, app_name)[0]]
    assert docker_client.containers.list(all=True, filters={"label": f"deis.app={app_name}"}) == []
    assert docker_client.images.list(name=app_name) == []


# who may push
def test_git_push_with_an_unknown_key_is_refused(builder, alice, app_name, dockerfile_app, tmp_path):
    stranger_key = ssh_key(tmp_path / "unknown")
    pushed = git_push(dockerfile_app, stranger_key, builder.port, app_name)
    assert pushed.returncode != 0
    assert "Permission denied (publickey)" in pushed.stderr
    assert not (builder.data_dir / "repos" / f"{app_name}.git").exists()


def test_git_push_by_a_collaborator_works_and_by_a_stranger_is_denied(builder, alice, bob, make_deis, app_name,
                                                                       dockerfile_app, tmp_path):
    carol = make_deis("carol")
    bob_key, carol_key = with_key(bob, tmp_path), with_key(carol, tmp_path)
    denied = git_push(dockerfile_app, carol_key, builder.port, app_name)
    assert denied.returncode != 0
    assert f"You don't have access to app {app_name}" in denied.stderr
    assert not (builder.data_dir / "repos" / f"{app_name}.git").exists()
    assert alice("perms:create", "bob", "-a", app_name).exit_code == 0
    pushed = git_push(dockerfile_app, bob_key, builder.port, app_name)
    assert pushed.returncode == 0, pushed.stderr
    assert f"{app_name}:v2 deployed to Deis" in pushed.stderr


def test_git_push_to_an_app_that_does_not_exist_is_refused(builder, alice, tmp_path, base_image):
    key = with_key(alice, tmp_path)
    repo = make_repo(tmp_path / "src", {"Dockerfile": f"FROM {base_image}\n"})
    pushed = git_push(repo, key, builder.port, "no-such-app")
    assert pushed.returncode != 0
    assert "App no-such-app does not exist" in pushed.stderr
    assert not (builder.data_dir / "repos" / "no-such-app.git").exists()


# concurrency
def test_a_second_concurrent_push_to_the_same_app_is_rejected(builder, alice, app_name, base_image, tmp_path):
    key = with_key(alice, tmp_path)
    assert alice("create", app_name, "--no-remote").exit_code == 0
    slow = make_repo(tmp_path / "slow", {"Dockerfile": f"FROM {base_image}\nRUN sleep 6\nCMD httpd -f -p $PORT\n"})
    other = make_repo(tmp_path / "other", {"Dockerfile": f"FROM {base_image}\nCMD httpd -f -p $PORT\n"})
    first: dict = {}
    thread = threading.Thread(target=lambda: first.update(result=git_push(slow, key, builder.port, app_name)))
    thread.start()
    wait_until(lambda: (builder.data_dir / "repos" / f"{app_name}.git" / "HEAD").exists(), 20, what="first push")
    time.sleep(1)
    second = git_push(other, key, builder.port, app_name)
    thread.join(300)
    assert second.returncode != 0
    assert "Another git push is ongoing" in second.stderr
    assert first["result"].returncode == 0, first["result"].stderr


# abuse: nothing runs, nothing is written
@pytest.mark.parametrize("command", [
    "git-receive-pack '../x.git'", "git-receive-pack 'a;b.git'", "git-receive-pack '$(id).git'",
    "git-receive-pack '`id`.git'", "git-receive-pack 'a/b.git'", "git-receive-pack 'x.git'; touch /tmp/pwn",
    "git-upload-archive 'x.git'", "sh -c id", "ls", "git-receive-pack 'Ab.git'",
])
def test_ssh_commands_other_than_git_are_refused(builder, alice, tmp_path, command):
    key = with_key(alice, tmp_path)
    before = on_disk(builder)
    result = ssh(key, builder.port, command)
    assert result.returncode == 1, result
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "not" in result.stderr
    assert on_disk(builder) == before
    assert not Path("/tmp/pwn").exists()


def test_ssh_shell_and_pty_are_refused(builder, alice, tmp_path):
    key = with_key(alice, tmp_path)
    shell = ssh(key, builder.port)
    assert shell.returncode == 1
    assert "Shell access is not available" in shell.stderr
    terminal = ssh(key, builder.port, extra=("-tt",))
    assert terminal.returncode != 0
    assert "PTY allocation request failed" in terminal.stderr


def test_ssh_ping_answers_pong(builder, alice, tmp_path):
    key = with_key(alice, tmp_path)
    result = ssh(key, builder.port, "ping")
    assert (result.returncode, result.stdout) == (0, "pong\n")


def test_ssh_port_forwarding_is_refused(builder, alice, tmp_path):
    key = with_key(alice, tmp_path)
    forward = ("-o", "ExitOnForwardFailure=yes", "-R", f"{free_port()}:127.0.0.1:22")
    result = ssh(key, builder.port, "ping", extra=forward)
    assert result.returncode == 255, result


def host_key(port: int) -> str:
    scanned = subprocess.run(["ssh-keyscan", "-t", "ed25519", "-p", str(port), "127.0.0.1"],
                             capture_output=True, text=True, timeout=30).stdout
    return scanned.split(None, 1)[1].strip()


# deisctl scale builder=2: every builder presents the same host key
def test_two_builders_present_the_same_host_key_kept_in_etcd(etcd, etcd_endpoint, tmp_path):
    first = BuilderProcess(etcd_endpoint, tmp_path / "one" / "data")
    second = BuilderProcess(etcd_endpoint, tmp_path / "two" / "data")
    try:
        assert host_key(first.port) == host_key(second.port)
        assert etcd.get(keys.builder_host_key()).startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
        assert wait_until(lambda: etcd.get(keys.port("builder")), 10, what="builder announced")
    finally:
        first.stop()
        second.stop()


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).ok
    except requests.RequestException:
        return False


@pytest.fixture
def registry(etcd, tmp_path):
    """A plain ``docker-registry`` (Distribution) on loopback, announced in etcd."""
    port = free_port()
    config = tmp_path / "registry.yml"
    config.write_text(f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {tmp_path / 'blobs'}\n"
                      f"http:\n  addr: 127.0.0.1:{port}\nlog:\n  level: warn\n")
    process = subprocess.Popen(["docker-registry", "serve", str(config)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    wait_until(lambda: answers(f"http://127.0.0.1:{port}/v2/"), 10, what="registry answering")
    etcd.put(keys.host("registry"), "127.0.0.1")
    etcd.put(keys.port("registry"), str(port))
    yield f"127.0.0.1:{port}"
    process.terminate()
    process.wait(10)


# git push with the platform's registry announced
def test_git_push_pushes_the_image_to_the_announced_registry(builder, registry, alice, app_name, dockerfile_app,
                                                             tmp_path, docker_client):
    key = with_key(alice, tmp_path)
    pushed = git_push(dockerfile_app, key, builder.port, app_name)
    assert pushed.returncode == 0, pushed.stderr
    assert "-----> Pushing image to private registry" in pushed.stderr
    sha = remote_head(builder, app_name)
    tags = requests.get(f"http://{registry}/v2/{app_name}/tags/list", timeout=5).json()["tags"]
    assert tags == [f"git-{sha[:8]}"]
    running = docker_client.containers.list(filters={"label": f"deis.app={app_name}"})
    assert running[0].image.tags == [f"{registry}/{app_name}:git-{sha[:8]}"]


def test_git_push_with_binary_files_and_non_utf8_names_and_messages_builds(builder, alice, app_name,
                                                                           dockerfile_app, tmp_path,
                                                                           docker_client):
    """Binary content, a Latin-1 file name and a Latin-1 commit message must not break the builder."""
    key = with_key(alice, tmp_path)
    (dockerfile_app / "blob.bin").write_bytes(bytes(range(256)) * 4096)  # 1 MiB of every byte value
    os.mkdir(os.path.join(os.fsencode(dockerfile_app), b"caf\xe9"))
    with open(os.path.join(os.fsencode(dockerfile_app), b"caf\xe9", b"men\xfc.txt"), "wb") as handle:
        handle.write(b"\xff\xfe not utf-8 \x00")
    git = ["git", "-c", "user.name=T", "-c", "user.email=t@example.com", "-c", "i18n.commitEncoding=latin1"]
    subprocess.run(["git", "add", "-A"], cwd=dockerfile_app, check=True)
    subprocess.run([*git, "commit", "-q", "-F", "-"], cwd=dockerfile_app, input=b"r\xe9sum\xe9 of changes\n",
                   check=True)
    pushed = git_push(dockerfile_app, key, builder.port, app_name)
    assert pushed.returncode == 0, pushed.stderr
    assert f"{app_name}:v2 deployed to Deis" in pushed.stderr
    assert docker_client.containers.list(filters={"label": f"deis.app={app_name}"})


# git push: files of the pushed tree are never read through a link
CANARY = "CANARY-host-file-5b1e: not for tenants"


@pytest.fixture
def host_secret(tmp_path):
    """A file on the builder's host, outside any pushed tree, holding a canary line."""
    path = tmp_path / "host" / "secret"
    path.parent.mkdir()
    path.write_text(CANARY + "\n")
    return path


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


def test_git_push_dockerfile_app_with_a_linked_procfile_is_refused(builder, alice, app_name, base_image,
                                                                   host_secret, tmp_path):
    key = with_key(alice, tmp_path)
    assert alice("create", app_name, "--no-remote").exit_code == 0
    repo = linked_repo(tmp_path / "src", {"Dockerfile": DOCKERFILE.format(base=base_image)},
                       {"Procfile": host_secret})
    pushed = git_push(repo, key, builder.port, app_name)
    assert pushed.returncode != 0
    assert "Procfile is a symbolic link" in pushed.stderr, pushed.stderr
    assert CANARY not in pushed.stderr
    assert remote_head(builder, app_name) is None


def test_git_push_dockerfile_copying_a_link_out_never_carries_the_host_file(builder, alice, app_name, base_image,
                                                                            host_secret, tmp_path, docker_client):
    """The build context holds links as links: Docker resolves them inside the context, never on the host."""
    key = with_key(alice, tmp_path)
    assert alice("create", app_name, "--no-remote").exit_code == 0
    dockerfile = f"FROM {base_image}\nCOPY secret /secret\nRUN cat /secret || true\n" + \
        'CMD exec httpd -f -p $PORT -h /tmp\n'
    repo = linked_repo(tmp_path / "src", {"Dockerfile": dockerfile}, {"secret": host_secret})
    pushed = git_push(repo, key, builder.port, app_name)
    assert CANARY not in pushed.stderr
    for image in docker_client.images.list(name=app_name):
        with contextlib.suppress(docker.errors.ContainerError):
            shown = docker_client.containers.run(image.id, ["cat", "/secret"], remove=True)
            assert CANARY.encode() not in shown


# git push: Dockerfile builds are limited too (buildMemory per RUN step, buildTimeout)
def test_git_push_dockerfile_run_steps_get_the_build_memory_limit(builder, alice, app_name, base_image, etcd,
                                                                  tmp_path):
    etcd.put(keys.component("builder", "buildMemory"), "300m")
    key = with_key(alice, tmp_path)
    assert alice("create", app_name, "--no-remote").exit_code == 0
    dockerfile = (f"FROM {base_image}\n"
                  "RUN echo limit=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null"
                  " || cat /sys/fs/cgroup/memory.max)\n"
                  "CMD exec httpd -f -p $PORT -h /tmp\n")
    pushed = git_push(make_repo(tmp_path / "src", {"Dockerfile": dockerfile}), key, builder.port, app_name)
    assert pushed.returncode == 0, pushed.stderr
    assert f"limit={300 << 20}" in pushed.stderr


def test_git_push_dockerfile_build_past_build_timeout_fails_the_push(builder, alice, app_name, base_image, etcd,
                                                                     tmp_path, docker_client):
    etcd.put(keys.component("builder", "buildTimeout"), "5")
    key = with_key(alice, tmp_path)
    assert alice("create", app_name, "--no-remote").exit_code == 0
    repo = make_repo(tmp_path / "src", {"Dockerfile": f"FROM {base_image}\nRUN echo {app_name} && sleep 600\n"})
    started = time.monotonic()
    pushed = git_push(repo, key, builder.port, app_name)
    assert time.monotonic() - started < 60
    assert pushed.returncode != 0
    assert "the build took longer than 5 s (buildTimeout) and was stopped" in pushed.stderr, pushed.stderr
    assert remote_head(builder, app_name) is None
    # The engine cancels the build once the builder hangs up: its RUN container goes away.
    wait_until(lambda: not [c for c in docker_client.api.containers(all=True)
                            if app_name in (c.get("Command") or "")], 30, what="the RUN step removed")


# git push: a push over maxPushSize is refused before anything is built
def test_git_push_over_max_push_size_is_refused_before_building(builder, alice, app_name, dockerfile_app, etcd,
                                                                tmp_path, docker_client):
    etcd.put(keys.component("builder", "maxPushSize"), "64k")
    key = with_key(alice, tmp_path)
    (dockerfile_app / "big.bin").write_bytes(os.urandom(256 << 10))
    subprocess.run(["git", "add", "-A"], cwd=dockerfile_app, check=True)
    subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-q", "-m", "big"],
                   cwd=dockerfile_app, check=True)
    pushed = git_push(dockerfile_app, key, builder.port, app_name)
    assert pushed.returncode != 0
    assert "pack exceeds maximum allowed size" in pushed.stderr
    assert "The push is larger than the builder accepts (maxPushSize is 64k); push less at a time, or raise it " \
           "with 'deisctl config builder set maxPushSize=1g'" in pushed.stderr, pushed.stderr
    assert "Building Docker image" not in pushed.stderr
    assert remote_head(builder, app_name) is None
    assert docker_client.images.list(name=app_name) == []


# git push: a Dockerfile may not build from another app's registry image, or from this machine
@pytest.fixture
def other_apps_image(registry, docker_client, base_image):
    """An image of another app (``victim``) in the platform registry."""
    name = f"{registry}/victim-{uuid.uuid4().hex[:6]}:git-0000000a"
    docker_client.images.get(base_image).tag(name)
    try:
        for line in docker_client.images.push(name.rsplit(":", 1)[0], tag="git-0000000a", stream=True, decode=True):
            assert "error" not in line, line
        yield name
    finally:
        docker_client.images.remove(name, force=True)


@pytest.mark.parametrize("dockerfile", [
    "FROM {image}\nCMD exec httpd -f -p $PORT -h /tmp\n",
    "FROM {base} AS one\nCOPY --from={image} /bin/busybox /x\nCMD exec httpd -f -p $PORT -h /tmp\n",
    "ARG BASE\nFROM $BASE\nCMD exec httpd -f -p $PORT -h /tmp\n",
    "FROM localhost:{port}/{repository}\nCMD exec httpd -f -p $PORT -h /tmp\n",
])
def test_git_push_dockerfile_from_another_apps_registry_image_is_refused(builder, registry, alice, app_name,
                                                                        base_image, other_apps_image, tmp_path,
                                                                        docker_client, dockerfile):
    key = with_key(alice, tmp_path)
    assert alice("create", app_name, "--no-remote").exit_code == 0
    assert alice("config:set", f"BASE={other_apps_image}", "-a", app_name).exit_code == 0
    repository = other_apps_image.split("/", 1)[1]
    text = dockerfile.format(image=other_apps_image, base=base_image, port=registry.rpartition(":")[2],
                             repository=repository)
    pushed = git_push(make_repo(tmp_path / "src", {"Dockerfile": text}), key, builder.port, app_name)
    assert pushed.returncode != 0
    assert "Dockerfile refused: Image " in pushed.stderr, pushed.stderr
    assert "Building Docker image" not in pushed.stderr
    assert remote_head(builder, app_name) is None
