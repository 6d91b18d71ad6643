"""T17, injection corpus: hostile strings into every user-controlled string, through the API and git push.

The controller (``deis-controller`` under gunicorn) and the builder run as their
own processes under ``strace -f -e trace=execve``, so every program they or
their children start is recorded. Each corpus string carries a marker and a
command that would create a canary file on the host. Passing means: the
canary never appears, every input is refused with a 4xx or handled
literally (a config value reaches the container's environment byte for byte),
and no platform process executes ``sh``/``bash`` with a marker in its argv.
Commands inside app containers are the app's own business: Docker starts
them through containerd, never as a child of the builder or controller.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import psutil
import pytest
import requests

from tests.integration.builder_conftest import BUILDER_KEY, DOCKERFILE, BuilderProcess, git_push, make_repo, with_key
from tests.integration.cli_conftest import PLATFORM_DOMAIN, Controller
from tests.services import SCRIPTS, free_port, wait_until

pytest_plugins = ["tests.integration.cli_conftest", "tests.integration.builder_conftest"]

#: In every corpus string; a canary path and the marker looked for in the traces.
MARKER = f"deis-canary-{uuid.uuid4().hex[:12]}"
CANARY = Path("/tmp") / MARKER
TOUCH = f"touch {CANARY}"
CORPUS = [
    f";{TOUCH};", f"|{TOUCH}", f"&&{TOUCH}", f"$({TOUCH})", f"`{TOUCH}`", f"\n{TOUCH}\n", f"';{TOUCH};'",
    f'";{TOUCH};"', f"../../../..{CANARY}", f"%s%n{{}}{{0}}{MARKER}", f"ünïcødé-☃-{MARKER}", "x" * 4096 + MARKER,
    f"-rf {CANARY}", f"--upload-pack={TOUCH}",
]
SHELLS = {"sh", "bash", "dash", "ash", "zsh"}
STRACE = ("strace", "-f", "--seccomp-bpf", "-qq", "-e", "trace=execve", "-s", "65536")


def traced(name: str, folder: Path) -> tuple[str, ...]:
    """The argv prefix running a program under strace, its trace in ``folder/<name>.trace``."""
    return (*STRACE, "-o", str(folder / f"{name}.trace"))


@pytest.fixture(scope="module")
def traces(tmp_path_factory) -> Path:
    """The folder of this module's strace outputs."""
    assert shutil.which("strace"), "strace is not installed (script/test installs the Debian package)"
    return tmp_path_factory.mktemp("traces")


@pytest.fixture(scope="module")
def controller(cli_database_url, etcd_endpoint, docker_client, traces):
    """``deis-controller`` as its own process (gunicorn, 2 workers) under strace: overrides cli_conftest's."""
    port = free_port()
    environ = dict(os.environ, DEIS_ETCD=etcd_endpoint, DEIS_DATABASE_URL=cli_database_url,
                   DEIS_CONTROLLER_PORT=str(port), DEIS_CONTROLLER_HOST="127.0.0.1", DEIS_CONTROLLER_WORKERS="2",
                   DEIS_PLATFORM_DOMAIN=PLATFORM_DOMAIN, DEIS_BUILDER_KEY=BUILDER_KEY,
                   DEIS_SECRET_KEY=uuid.uuid4().hex, DEIS_CONTROLLER_STARTTIMEOUT="10",
                   DEIS_CONTROLLER_STOPGRACEPERIOD="1", DEIS_CONTROLLER_ROUTERWAITTIMEOUT="2")
    log = traces / "controller.log"
    process = subprocess.Popen([*traced("controller", traces), str(SCRIPTS / "deis-controller")], env=environ,
                               stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: _answers(url, process, log), 60, what="deis-controller answering")
    yield Controller(url, None)
    stop_traced(process)


def _answers(url: str, process: subprocess.Popen, log: Path) -> bool:
    assert process.poll() is None, log.read_text()
    try:
        return requests.get(f"{url}/v1/", timeout=2).status_code < 500
    except requests.RequestException:
        return False


@pytest.fixture(scope="module")
def builder_process(etcd_endpoint, tmp_path_factory, traces):
    """The builder under strace: overrides builder_conftest's."""
    builder = BuilderProcess(etcd_endpoint, tmp_path_factory.mktemp("builder") / "data",
                             prefix=traced("builder", traces))
    yield builder
    stop_traced(builder.process)


def stop_traced(strace: subprocess.Popen) -> None:
    """SIGTERM the program strace runs (strace itself would wait for it), then wait for both."""
    for child in psutil.Process(strace.pid).children():
        child.terminate()
    strace.wait(30)


@pytest.fixture(autouse=True)
def no_canary():
    """Every test ends with no canary on the host."""
    yield
    assert not CANARY.exists(), f"{CANARY} was created on the host"


class API:
    """One user's HTTP client of the controller."""

    def __init__(self, url: str, token: str):
        self.url = url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"token {token}"

    def __call__(self, method: str, path: str, **json) -> requests.Response:
        """Send ``json`` to ``path``; return the response."""
        return self.session.request(method, f"{self.url}{path}", json=json or None, timeout=120)


@pytest.fixture
def api(controller, alice) -> API:
    """Alice's API client."""
    return API(controller.url, alice.token)


@pytest.fixture
def app(api, app_name) -> str:
    """An app of alice's (no build yet)."""
    assert api("POST", "/v1/apps/", id=app_name).status_code == 201
    return app_name


def refused_or_literal(response: requests.Response) -> None:
    """A hostile input is answered by a 2xx or 4xx, or a 503 whose sentence says what failed — never a 500.

    A literal command that exits, or a literal health check path that answers
    404, fails the deploy: that is the 503 "failed and was undone" of T2.
    """
    assert response.status_code < 500 or (response.status_code == 503 and "detail" in response.json()), \
        (response.status_code, response.text[:300])


# deis apps:create <name>
def test_app_names_from_the_corpus_are_refused(api):
    for value in CORPUS:
        response = api("POST", "/v1/apps/", id=value)
        assert response.status_code == 400, (value[:60], response.status_code, response.text[:200])


# deis config:set <key>=…
def test_config_keys_from_the_corpus_are_refused(api, app):
    for value in CORPUS:
        response = api("POST", f"/v1/apps/{app}/config/", values={value: "x"})
        assert response.status_code == 400, (value[:60], response.status_code, response.text[:200])


# deis domains:add, limits:set, tags:set, scale with hostile names
def test_domains_limits_tags_and_process_types_from_the_corpus_are_refused(api, app):
    for value in CORPUS:
        for path, body in ((f"/v1/apps/{app}/domains/", {"domain": value}),
                           (f"/v1/apps/{app}/config/", {"memory": {value: "64M"}}),
                           (f"/v1/apps/{app}/config/", {"cpu": {value: 512}}),
                           (f"/v1/apps/{app}/config/", {"tags": {value: "x"}}),
                           (f"/v1/apps/{app}/scale/", {value: 1})):
            response = api("POST", path, **body)
            if path.endswith("/domains/") or not re.fullmatch(r"[a-z0-9-]+", value):
                assert 400 <= response.status_code < 500, (path, value[:60], response.status_code,
                                                           response.text[:200])
            else:  # letters, digits and dashes only: a (long) name of a type the app lacks, stored as is
                refused_or_literal(response)


def procfile(web: str) -> str:
    """A Procfile whose ``web`` serves, and one more type per one-line corpus string."""
    lines = [f"web: {web}"]
    lines += [f"h{chr(97 + n)}: {value}" for n, value in enumerate(CORPUS) if "\n" not in value]
    return "\n".join(lines) + "\n"


@pytest.fixture
def deployed(builder, api, alice, app, base_image, tmp_path) -> str:
    """``app`` with every corpus string as a config value, pushed with a hostile Procfile and deployed."""
    values = {f"V{n}": value for n, value in enumerate(CORPUS)}
    values["GREETING"] = f"`{TOUCH}`"  # Deis #2980: a backtick in a config value used to break the build
    assert api("POST", f"/v1/apps/{app}/config/", values=values).status_code == 201
    web = 'echo "$DEIS_RELEASE" > /tmp/index.html && exec httpd -f -p $PORT -h /tmp'
    repo = make_repo(tmp_path / "src", {"Dockerfile": DOCKERFILE.format(base=base_image), "Procfile": procfile(web)})
    pushed = git_push(repo, with_key(alice, tmp_path), builder.port, app)
    assert pushed.returncode == 0, pushed.stderr
    return app


# git push: config values (build args and container env) and Procfile commands
def test_config_values_and_procfile_commands_are_used_literally(deployed, docker_client):
    running = docker_client.containers.list(filters={"label": f"deis.app={deployed}"})
    assert running, "the app did not start"
    environment = running[0].attrs["Config"]["Env"]
    for n, value in enumerate(CORPUS):
        assert f"V{n}={value}" in environment, value[:60]
    assert f"GREETING=`{TOUCH}`" in environment


# deis run <command>
def test_run_commands_from_the_corpus_run_only_inside_the_container(api, deployed):
    for value in CORPUS:
        refused_or_literal(api("POST", f"/v1/apps/{deployed}/run/", command=value))


# deis scale <hostile type>=1: the command runs in the container, never on the host
def test_scaling_a_hostile_procfile_type_runs_it_only_in_the_container(api, deployed):
    refused_or_literal(api("POST", f"/v1/apps/{deployed}/scale/", ha=1))
    refused_or_literal(api("POST", f"/v1/apps/{deployed}/scale/", ha=0))


# deis config:set HEALTHCHECK_URL=…
def test_healthcheck_paths_from_the_corpus_are_refused_or_literal(api, deployed):
    for value in [f"/{CORPUS[3]}", f"@127.0.0.1:1/{MARKER}"]:  # each fails its deploy after startTimeout
        refused_or_literal(api("POST", f"/v1/apps/{deployed}/config/", values={"HEALTHCHECK_URL": value}))
    refused_or_literal(api("POST", f"/v1/apps/{deployed}/config/", values={"HEALTHCHECK_URL": None}))


# deis config:set BUILDPACK_URL=… and git push of a buildpack app
@pytest.mark.parametrize("url", [f"--upload-pack={TOUCH}", f"ext::sh -c {TOUCH.replace(' ', '% ')}",
                                 f"https://example.invalid/$({TOUCH})", f"file:///tmp/{MARKER}",
                                 f"https://example.invalid/x.git#--upload-pack={TOUCH}"])
def test_buildpack_urls_from_the_corpus_fail_the_push_without_running_anything(builder, api, alice, app,
                                                                              tmp_path, url):
    assert api("POST", f"/v1/apps/{app}/config/", values={"BUILDPACK_URL": url}).status_code in (201, 400)
    repo = make_repo(tmp_path / "src", {"Procfile": "web: python3 -m http.server $PORT\n", "requirements.txt": ""})
    pushed = git_push(repo, with_key(alice, tmp_path), builder.port, app)
    assert pushed.returncode != 0
    assert "BUILDPACK_URL" in pushed.stderr or "git clone" in pushed.stderr, pushed.stderr[-500:]


def crafted_commit(repo: Path, outside: Path, dockerfile: bool) -> None:
    """Commit a tree git itself would never make: ``link -> outside`` and ``link/pwned``, and a ``..`` folder."""
    def git(*args: str, data: bytes | None = None) -> str:
        return subprocess.run(["git", *args], cwd=repo, input=data, capture_output=True, check=True).stdout.decode()

    blob = git("hash-object", "-w", "--stdin", data=MARKER.encode()).strip()
    link = git("hash-object", "-w", "--stdin", data=str(outside).encode()).strip()
    folder = git("mktree", data=f"100644 blob {blob}\tpwned\n".encode()).strip()
    up = git("mktree", data=f"040000 tree {folder}\t..\n".encode()).strip()
    entries = f"120000 blob {link}\tlink\n040000 tree {folder}\tlink\n040000 tree {up}\tup\n"
    if dockerfile:
        entries += f"100644 blob {git('hash-object', '-w', '--stdin', data=b'FROM scratch').strip()}\tDockerfile\n"
    tree = git("mktree", data=entries.encode()).strip()
    commit = git("-c", "user.name=T", "-c", "user.email=t@example.com", "commit-tree", tree, "-m", "crafted").strip()
    git("update-ref", "refs/heads/master", commit)


# git push of a tree with members that climb out
@pytest.mark.parametrize("kind", ["dockerfile", "buildpack"])
def test_tree_members_linking_or_climbing_out_write_nothing_outside(builder, alice, app, tmp_path, kind):
    outside = tmp_path / "outside"
    outside.mkdir()
    repo = make_repo(tmp_path / "src", {"README": "x"})
    crafted_commit(repo, outside, dockerfile=kind == "dockerfile")  # without one the builder extracts the tree
    pushed = git_push(repo, with_key(alice, tmp_path), builder.port, app)
    print(f"\n{kind}: push exit {pushed.returncode}: {pushed.stderr.strip().splitlines()[-1:]}")
    assert list(outside.iterdir()) == []
    assert not list(Path("/tmp").glob(f"{MARKER}*"))


# strace: no platform process ran a shell on user input (keep this test last in the module)
def shell_execs(trace: Path) -> tuple[int, int, list[str]]:
    """Return (execve count, shell execve count, shell execve lines holding the marker) of a trace."""
    lines = [line for line in trace.read_text(errors="replace").splitlines() if "execve(" in line]
    shells = [line for line in lines if _program(line) in SHELLS]
    return len(lines), len(shells), [line[:300] for line in shells if MARKER in line]


def _program(line: str) -> str:
    match = re.search(r'execve\("([^"]*)"', line)
    return os.path.basename(match[1]) if match else ""


def test_no_platform_process_ran_a_shell_with_user_input(traces, controller, builder_process):
    for name in ("controller", "builder"):
        total, shells, hostile = shell_execs(traces / f"{name}.trace")
        print(f"\n{name}: {total} execve, {shells} of a shell, {len(hostile)} with a corpus marker")
        assert total > 0, f"strace recorded nothing for the {name}"
        assert hostile == [], "\n".join(hostile)
    assert not CANARY.exists()

