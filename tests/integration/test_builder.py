"""git push to deis-builder over SSH: a real builder, controller, etcd and Docker engine.

The builder runs as its own process (``deis-builder``), the controller serves
HTTP in a thread (``cli_conftest``), and pushes are made by the system ``git``
and ``ssh`` clients, as a user would.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
import uuid

import docker
import pytest
import requests

from deis import keys
from tests.integration.builder_conftest import (
    CANARY,
    DOCKERFILE,
    BuilderProcess,
    git_push,
    linked_repo,
    make_repo,
    releases,
    remote_head,
    ssh,
    ssh_key,
    with_key,
)
from tests.services import free_port, wait_until

pytest_plugins = ["tests.integration.cli_conftest", "tests.integration.builder_conftest"]

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


# ssh: ping (the abuse cases are in test_builder_abuse.py)
def test_ssh_ping_answers_pong(builder, alice, tmp_path):
    key = with_key(alice, tmp_path)
    result = ssh(key, builder.port, "ping")
    assert (result.returncode, result.stdout) == (0, "pong\n")


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
    # Other tags may share the image ID (identical content built for another app): ours must be among them.
    assert f"{registry}/{app_name}:git-{sha[:8]}" in running[0].image.tags


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


@pytest.fixture
def host_secret(tmp_path):
    """A file on the builder's host, outside any pushed tree, holding a canary line."""
    path = tmp_path / "host" / "secret"
    path.parent.mkdir()
    path.write_text(CANARY + "\n")
    return path


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
