"""git push of apps without a Dockerfile: buildpack builds on the platform's own stack image.

The stack image is made with debootstrap on first use (about a minute, once
per engine); the Python buildpack installs requirements from the package
index through the machine's TLS proxy, trusting its CA bundle.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time

import pytest

from deis import keys
from tests.integration.builder_conftest import CANARY, git_push, linked_repo, make_repo, releases, remote_head, with_key
from tests.services import free_port

pytest_plugins = ["tests.integration.cli_conftest", "tests.integration.builder_conftest"]


#: Serves /app on $PORT once the requirement imports: a deploy fails if it did not install.
PYTHON_WEB = "web: python3 -c 'import six' && exec python3 -m http.server $PORT\n"


def commit(repo, files: dict[str, str]) -> None:
    for name, text in files.items():
        (repo / name).write_text(text)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-q", "-m", "change"],
                   cwd=repo, check=True)


def running(docker_client, app: str) -> list[str]:
    return sorted(c.name for c in docker_client.containers.list(filters={"label": f"deis.app={app}"}))


def shown(result) -> str:
    return result.stderr.replace("\x1b[1G", "")


# git push: a Python app (requirements.txt + Procfile)
def test_git_push_python_app_installs_requirements_and_reuses_the_cache(builder, alice, app_name, tmp_path,
                                                                         docker_client):
    key = with_key(alice, tmp_path)
    assert alice("create", app_name, "--no-remote").exit_code == 0
    repo = make_repo(tmp_path / "src", {"requirements.txt": "six==1.16.0\n", "Procfile": PYTHON_WEB})
    started = time.monotonic()
    first = git_push(repo, key, builder.port, app_name)
    cold = time.monotonic() - started
    assert first.returncode == 0, first.stderr
    for expected in ("-----> Python app detected", "-----> Installing requirements with pip",
                     "-----> Discovering process types", "Procfile declares types -> web",
                     "-----> Building Docker image", f"done, {app_name}:v2 deployed to Deis"):
        assert expected in shown(first), shown(first)
    assert running(docker_client, app_name) == [f"{app_name}_v2.web.1"]

    commit(repo, {"README": "second push\n"})
    started = time.monotonic()
    second = git_push(repo, key, builder.port, app_name)
    warm = time.monotonic() - started
    print(f"\nPython app git push: first {cold:.1f} s (stack image made if missing), second {warm:.1f} s (cache)")
    assert second.returncode == 0, second.stderr
    assert "Using cached wheels for every requirement" in shown(second), shown(second)
    assert running(docker_client, app_name) == [f"{app_name}_v3.web.1"]


def test_git_push_with_a_failing_pip_install_is_rejected(builder, alice, app_name, tmp_path, docker_client):
    key = with_key(alice, tmp_path)
    assert alice("create", app_name, "--no-remote").exit_code == 0
    repo = make_repo(tmp_path / "src", {"requirements.txt": "deis-no-such-package-4c1d==0.0.1\n",
                                        "Procfile": PYTHON_WEB})
    pushed = git_push(repo, key, builder.port, app_name)
    assert pushed.returncode != 0
    assert "No matching distribution found for deis-no-such-package-4c1d" in shown(pushed)
    assert "pre-receive hook declined" in pushed.stderr
    assert remote_head(builder, app_name) is None
    assert len(releases(alice, app_name)) == 1
    assert docker_client.images.list(name=app_name) == []


# git push: an app that brings its own start command
def test_git_push_procfile_app_uses_the_generic_buildpack_and_honours_slugignore(builder, alice, app_name,
                                                                                   tmp_path, docker_client):
    key = with_key(alice, tmp_path)
    assert alice("create", app_name, "--no-remote").exit_code == 0
    repo = make_repo(tmp_path / "src", {"Procfile": "web: exec python3 -m http.server $PORT\n",
                                        "index.html": "hello\n", "big.psd": "x" * 1000, ".slugignore": "*.psd\n"})
    pushed = git_push(repo, key, builder.port, app_name)
    assert pushed.returncode == 0, pushed.stderr
    assert "-----> Generic app detected" in shown(pushed)
    assert running(docker_client, app_name) == [f"{app_name}_v2.web.1"]
    container = docker_client.containers.get(f"{app_name}_v2.web.1")
    listing = container.exec_run(["ls", "-a", "/app"]).output.decode().split()
    assert "index.html" in listing and "big.psd" not in listing


def test_git_push_without_dockerfile_or_procfile_is_rejected(builder, alice, app_name, tmp_path):
    key = with_key(alice, tmp_path)
    assert alice("create", app_name, "--no-remote").exit_code == 0
    repo = make_repo(tmp_path / "src", {"README": "nothing to run\n"})
    pushed = git_push(repo, key, builder.port, app_name)
    assert pushed.returncode != 0
    assert "-----> Unable to select a buildpack" in shown(pushed)
    assert remote_head(builder, app_name) is None


@pytest.mark.parametrize("url", ["file:///etc", "ext::sh -c touch% /tmp/pwn-bp", "--upload-pack=touch /tmp/pwn-bp"])
def test_buildpack_url_other_than_a_network_url_is_refused(builder, alice, app_name, tmp_path, url):
    key = with_key(alice, tmp_path)
    assert alice("create", app_name, "--no-remote").exit_code == 0
    assert alice("config:set", f"BUILDPACK_URL={url}", "-a", app_name).exit_code == 0
    repo = make_repo(tmp_path / "src", {"Procfile": "web: exec python3 -m http.server $PORT\n"})
    pushed = git_push(repo, key, builder.port, app_name)
    assert pushed.returncode != 0
    assert "must be an https://, http:// or git:// URL" in shown(pushed)
    assert not (tmp_path / "pwn-bp").exists()


CUSTOM_PACK = {
    "bin/detect": "#!/bin/bash\necho Custom\n",
    "bin/compile": "#!/bin/bash\necho '-----> Custom pack compiling'\necho hi > \"$1/made-by-pack\"\n",
    "bin/release": "#!/bin/bash\necho '---'\necho 'default_process_types:'\n"
                   "echo '  web: exec python3 -m http.server $PORT'\n",
}


@contextlib.contextmanager
def served_pack(folder, files: dict[str, str]):
    """A ``git daemon`` serving a buildpack made of ``files`` at ``git://127.0.0.1:<port>/pack.git`` (branch ``v1``)."""
    pack = make_repo(folder / "pack", files)
    subprocess.run(["git", "branch", "v1"], cwd=pack, check=True)
    served = folder / "served"
    subprocess.run(["git", "clone", "-q", "--bare", str(pack), str(served / "pack.git")], check=True)
    port = free_port()
    daemon = subprocess.Popen(["git", "daemon", "--export-all", f"--base-path={served}", "--listen=127.0.0.1",
                               f"--port={port}", "--reuseaddr", str(served)])
    time.sleep(0.5)
    try:
        yield f"git://127.0.0.1:{port}/pack.git"
    finally:
        daemon.terminate()
        daemon.wait(10)


@pytest.fixture
def git_daemon(tmp_path):
    """The custom buildpack :data:`CUSTOM_PACK`, served by ``git daemon``."""
    with served_pack(tmp_path, CUSTOM_PACK) as url:
        yield url


# deis config:set BUILDPACK_URL=…
def test_git_push_with_buildpack_url_uses_that_buildpack(builder, alice, app_name, tmp_path, git_daemon,
                                                        docker_client):
    key = with_key(alice, tmp_path)
    assert alice("create", app_name, "--no-remote").exit_code == 0
    assert alice("config:set", f"BUILDPACK_URL={git_daemon}#v1", "-a", app_name).exit_code == 0
    repo = make_repo(tmp_path / "src", {"index.html": "hello\n"})
    pushed = git_push(repo, key, builder.port, app_name)
    assert pushed.returncode == 0, pushed.stderr
    assert "-----> Custom app detected" in shown(pushed)
    assert "-----> Custom pack compiling" in shown(pushed)
    assert "Procfile declares types -> web" in shown(pushed)
    assert running(docker_client, app_name) == [f"{app_name}_v3.web.1"]
    container = docker_client.containers.get(f"{app_name}_v3.web.1")
    assert container.exec_run(["cat", "/app/made-by-pack"]).output == b"hi\n"


# git push: a Procfile linked to a host file
def test_git_push_with_a_procfile_linked_to_a_host_file_is_refused_without_reading_it(builder, alice, app_name,
                                                                                     tmp_path, docker_client):
    key = with_key(alice, tmp_path)
    assert alice("create", app_name, "--no-remote").exit_code == 0
    secret = tmp_path / "host" / "secret"
    secret.parent.mkdir()
    secret.write_text(CANARY + "\n")
    repo = linked_repo(tmp_path / "src", {"requirements.txt": ""}, {"Procfile": secret})
    pushed = git_push(repo, key, builder.port, app_name)
    assert pushed.returncode != 0
    assert "Procfile is a symbolic link" in shown(pushed), shown(pushed)
    assert CANARY not in pushed.stderr
    assert remote_head(builder, app_name) is None


# git push: build containers are hardened and limited (buildMemory, buildTimeout)
def pack_that(compile_script: str) -> dict[str, str]:
    """A custom buildpack whose ``bin/compile`` runs ``compile_script`` (bash)."""
    return {**CUSTOM_PACK, "bin/compile": "#!/bin/bash\n" + compile_script}


def build_containers(docker_client, seen: dict, stop: threading.Event) -> None:
    """Record the HostConfig of every compile container (the slugbuilder) until ``stop``."""
    while not stop.is_set():
        for found in docker_client.api.containers(all=True):
            if found["Id"] not in seen and found.get("Command") == "/usr/local/bin/slugbuilder":
                with contextlib.suppress(Exception):
                    seen[found["Id"]] = docker_client.api.inspect_container(found["Id"])["HostConfig"]
        time.sleep(0.1)


def buildpack_push(alice, app_name, tmp_path, builder, compile_script):
    """Push a plain app built by a custom pack running ``compile_script``; return the push."""
    key = with_key(alice, tmp_path)
    assert alice("create", app_name, "--no-remote").exit_code == 0
    with served_pack(tmp_path, pack_that(compile_script)) as url:
        assert alice("config:set", f"BUILDPACK_URL={url}#v1", "-a", app_name).exit_code == 0
        repo = make_repo(tmp_path / "src", {"index.html": "hello\n"})
        return git_push(repo, key, builder.port, app_name)


def test_buildpack_compile_container_is_hardened_and_limited(builder, alice, app_name, tmp_path, docker_client,
                                                             etcd):
    etcd.put(keys.component("builder", "buildMemory"), "256m")
    seen, stop = {}, threading.Event()
    watcher = threading.Thread(target=build_containers, args=(docker_client, seen, stop), daemon=True)
    watcher.start()
    try:
        pushed = buildpack_push(alice, app_name, tmp_path, builder,
                                "grep -E '^(CapEff|NoNewPrivs)' /proc/self/status\nsleep 2\n")
    finally:
        stop.set()
        watcher.join()
    assert pushed.returncode == 0, pushed.stderr
    assert "CapEff:\t0000000000000000" in shown(pushed) and "NoNewPrivs:\t1" in shown(pushed)
    assert len(seen) == 1, seen
    (host,) = seen.values()
    assert host["CapDrop"] == ["ALL"] and "no-new-privileges" in host["SecurityOpt"]
    assert host["PidsLimit"] == 1024 and not host["Privileged"]
    assert host["Memory"] == host["MemorySwap"] == 256 << 20


def test_buildpack_compile_past_build_timeout_fails_the_push(builder, alice, app_name, tmp_path, docker_client,
                                                             etcd):
    etcd.put(keys.component("builder", "buildTimeout"), "5")
    started = time.monotonic()
    pushed = buildpack_push(alice, app_name, tmp_path, builder, "echo compiling forever\nsleep 600\n")
    assert time.monotonic() - started < 60
    assert pushed.returncode != 0
    assert "the build took longer than 5 s (buildTimeout) and was stopped; raise it with " \
           "'deisctl config builder set buildTimeout=<seconds>'" in shown(pushed), shown(pushed)
    assert remote_head(builder, app_name) is None
    left = [c for c in docker_client.api.containers(all=True) if c.get("Command") == "/usr/local/bin/slugbuilder"]
    assert left == []


def test_buildpack_compile_past_build_memory_fails_the_push(builder, alice, app_name, tmp_path, etcd):
    etcd.put(keys.component("builder", "buildMemory"), "64m")
    pushed = buildpack_push(alice, app_name, tmp_path, builder,
                            "python3 -c \"b = b'x' * (512 << 20)\"\n")
    assert pushed.returncode != 0
    assert "the build ran out of memory (buildMemory is 64m); raise it with " \
           "'deisctl config builder set buildMemory=4g'" in shown(pushed), shown(pushed)
