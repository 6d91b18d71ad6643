"""The journey of a new user, through the CLI only, on the platform as deisctl starts it.

One platform (own data dir, free ports) for the module; each step is a test in
order, as a person would go: register, add a key, create apps, git push a
Dockerfile app and the bundled Procfile app, configure, scale, read logs, roll
back, add a domain and certificate, share with a second user, destroy. A load
loop runs through the router during the scale and the redeploy and must see no
error.
"""

from __future__ import annotations

import subprocess
import threading
import uuid
from pathlib import Path

import pytest
import requests

from deis import keys
from logger.settings import SETTINGS as LOGGER_SETTINGS
from logger.settings import store_url as logger_store_url
from store import SegmentLog, open_store
from tests.person import Person, make_repo
from tests.platform import Platform, started_platform
from tests.services import wait_until
from tests.tlscerts import pair

pytestmark = pytest.mark.timeout(900)

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = """FROM {image}
EXPOSE 5000
CMD ["sh", "-c", "echo \\"dockerfile $DEIS_RELEASE\\" > /tmp/index.html && exec httpd -f -p $PORT -h /tmp"]
"""


#: Unique names: the engine may also run the user's own platform and its 'example' app.
SUFFIX = uuid.uuid4().hex[:6]
DOCKERAPP, EXAMPLE = f"dockerapp-{SUFFIX}", f"example-{SUFFIX}"
APPS = (DOCKERAPP, EXAMPLE)
#: Requests one load thread sends at most, whatever happens.
MAX_REQUESTS_PER_THREAD = 5000
#: Requests a load run must have sent across a change for "no error" to mean something.
MIN_REQUESTS = 100


@pytest.fixture(scope="module")
def platform(docker_client):
    with started_platform("deis-e2e-", docker_client, APPS) as platform:
        yield platform


@pytest.fixture(scope="module")
def people(platform, tmp_path_factory):
    root = tmp_path_factory.mktemp("people")
    return {name: Person(name, root / name, platform) for name in ("alice", "bob")}


@pytest.fixture(scope="module")
def alice(people):
    return people["alice"]


@pytest.fixture(scope="module")
def bob(people):
    return people["bob"]


class Load:
    """A bounded load loop through the router: new connection per request, every outcome recorded.

    Each thread counts on its own and adds its totals under a lock when it ends, so ``count`` is exact.
    """

    def __init__(self, platform: Platform, app: str, threads: int = 4):
        self.platform, self.app, self.failures, self.count = platform, app, [], 0
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _run(self):
        sent, failures = 0, []
        while not self.stop.is_set() and sent < MAX_REQUESTS_PER_THREAD:
            try:
                response = self.platform.get(self.app)
                if response.status_code != 200:
                    failures.append(response.status_code)
            except requests.RequestException as exc:
                failures.append(repr(exc))
            sent += 1
        with self.lock:
            self.count += sent
            self.failures += failures

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stop.set()
        for thread in self.threads:
            thread.join(30)
        if exc_info[0] is None:
            assert not any(thread.is_alive() for thread in self.threads), "a load thread did not finish"
        print(f"\nload on {self.app}: {self.count} requests, {len(self.failures)} failed")


# -- the journey, in order -------------------------------------------------------


def test_register_first_user_becomes_admin(platform, alice):
    result = alice.deis("register", platform.controller, "--username", "alice", "--password", "s3cret-alice",
                        "--email", "alice@example.com")
    assert "Registered alice" in result.stdout
    assert alice.deis("whoami").stdout.strip() == f"You are alice at {platform.controller}"


def test_keys_add(alice):
    assert "done" in alice.deis("keys:add", str(alice.key) + ".pub").stdout
    assert "alice@e2e" in alice.deis("keys").stdout


def test_git_push_dockerfile_app(platform, alice, base_image, tmp_path_factory):
    repo = make_repo(alice, tmp_path_factory.mktemp("docker") / "app", {"Dockerfile": DOCKERFILE.format(
        image=base_image)})
    alice.deis("create", DOCKERAPP, "--no-remote", cwd=repo)
    alice.git("remote", "add", "deis", platform.remote(DOCKERAPP), cwd=repo)
    push = alice.git("push", "deis", "master", cwd=repo)
    assert f"done, {DOCKERAPP}:v2 deployed to Deis" in push.stderr
    response = wait_until(lambda: (r := platform.get(DOCKERAPP)).status_code == 200 and r, 20,
                          what="dockerapp answering")
    assert response.text == "dockerfile v2\n"


def test_git_push_procfile_example_app(platform, alice, tmp_path_factory):
    repo = make_repo(alice, tmp_path_factory.mktemp(EXAMPLE) / EXAMPLE, REPO / "contrib" / "example-app")
    alice.deis("create", EXAMPLE, "--no-remote", cwd=repo)
    alice.git("remote", "add", "deis", platform.remote(EXAMPLE), cwd=repo)
    push = alice.git("push", "deis", "master", cwd=repo)
    assert f"done, {EXAMPLE}:v2 deployed to Deis" in push.stderr
    response = wait_until(lambda: (r := platform.get(EXAMPLE)).status_code == 200 and r, 30,
                          what="example answering")
    assert response.text == "Powered by Deis\n"


def test_config_set_makes_a_new_release_visible_in_the_app_and_in_run(platform, alice):
    with Load(platform, EXAMPLE) as load:
        alice.deis("config:set", "POWERED_BY=e2e", "-a", EXAMPLE)
    assert load.failures == [] and load.count >= MIN_REQUESTS, (load.count, load.failures[:10])
    assert platform.get(EXAMPLE).text == "Powered by e2e\n"
    env = alice.deis("run", "env", "-a", EXAMPLE).stdout
    assert "POWERED_BY=e2e" in env and "DEIS_RELEASE=v3" in env and f"DEIS_APP={EXAMPLE}" in env


def test_scale_web_to_three_without_errors(platform, alice):
    with Load(platform, EXAMPLE) as load:
        alice.deis("ps:scale", "web=3", "-a", EXAMPLE)
        ps = alice.deis("ps", "-a", EXAMPLE).stdout
        alice.deis("ps:scale", "web=1", "-a", EXAMPLE)
        alice.deis("ps:scale", "web=3", "-a", EXAMPLE)
    assert [line for line in ps.splitlines() if line.startswith("web.")] == [
        "web.1 up (v3)", "web.2 up (v3)", "web.3 up (v3)"]
    assert load.failures == [] and load.count >= MIN_REQUESTS, (load.count, load.failures[:10])


def test_logs_show_the_requests_and_the_platform_events(alice):
    logs = wait_until(lambda: "GET /" in (out := alice.deis("logs", "-n", "10000", "-a", EXAMPLE).stdout) and out,
                      15,
                      what="request lines in the log")
    assert f"{EXAMPLE}[web." in logs
    assert f"{EXAMPLE}[deis-controller]: alice added POWERED_BY" in logs


def test_rollback_serves_the_previous_release(platform, alice):
    alice.deis("releases:rollback", "v2", "-a", EXAMPLE)
    wait_until(lambda: platform.get(EXAMPLE).text == "Powered by Deis\n", 15, what="rolled back")
    assert "v4" in alice.deis("releases", "-a", EXAMPLE).stdout.splitlines()[1]


def test_domains_and_certs_serve_https_with_that_certificate(platform, alice, tmp_path):
    domain = "www.example-e2e.com"
    cert, key = pair(domain)
    (tmp_path / "cert.pem").write_text(cert)
    (tmp_path / "key.pem").write_text(key)
    alice.deis("domains:add", domain, "-a", EXAMPLE)
    alice.deis("certs:add", str(tmp_path / "cert.pem"), str(tmp_path / "key.pem"))

    def https() -> str:
        result = subprocess.run(["curl", "-s", "--cacert", str(tmp_path / "cert.pem"),
                                 "--resolve", f"{domain}:{platform.https}:127.0.0.1",
                                 f"https://{domain}:{platform.https}/"], capture_output=True, text=True)
        return result.stdout

    assert wait_until(lambda: https() == "Powered by Deis\n", 15, what="HTTPS on the custom domain")


def test_perms_let_a_second_user_work_on_the_app(platform, alice, bob):
    bob.deis("register", platform.controller, "--username", "bob", "--password", "s3cret-bob",
             "--email", "bob@example.com")
    assert bob.deis("config", "-a", EXAMPLE, check=False).returncode == 1  # not shared yet
    alice.deis("perms:create", "bob", "-a", EXAMPLE)
    bob.deis("config:set", "SHARED_WITH=bob", "-a", EXAMPLE)
    assert "SHARED_WITH" in alice.deis("config", "-a", EXAMPLE).stdout
    assert bob.deis("apps:destroy", "-a", EXAMPLE, f"--confirm={EXAMPLE}", check=False).returncode == 1


def test_destroy_removes_containers_routes_logs_and_images(platform, alice, docker_client):
    assert logger_lines(platform, EXAMPLE), "the app must have logs for their removal to mean anything"
    assert stored_log_segments(platform, EXAMPLE)
    alice.deis("apps:destroy", "-a", EXAMPLE, f"--confirm={EXAMPLE}")
    assert docker_client.containers.list(all=True, filters={"label": f"deis.app={EXAMPLE}"}) == []
    wait_until(lambda: platform.get(EXAMPLE).status_code == 404, 10, what="route gone")
    assert platform.ctl.etcd.get_prefix(keys.services(EXAMPLE))[0] == {}
    registry = f"127.0.0.1:{platform.ctl.environ['DEIS_REGISTRY_PORT']}/{EXAMPLE}:"
    left = [tag for image in docker_client.api.images() for tag in image.get("RepoTags") or []
            if tag.startswith(registry) or tag.startswith(f"{EXAMPLE}:")]
    assert left == []
    assert logger_lines(platform, EXAMPLE) == []
    assert stored_log_segments(platform, EXAMPLE) == []


def test_a_new_app_with_a_destroyed_apps_name_starts_with_empty_logs(platform, alice, tmp_path):
    alice.deis("create", EXAMPLE, "--no-remote", cwd=tmp_path)
    try:
        logs = alice.deis("logs", "-n", "10000", "-a", EXAMPLE, check=False)
    finally:
        alice.deis("apps:destroy", "-a", EXAMPLE, f"--confirm={EXAMPLE}")
    if logs.returncode == 0:  # nothing of the old app: no requests, no web lines, not its config change
        old = [line for line in logs.stdout.splitlines()
               if "GET /" in line or f"{EXAMPLE}[web." in line or "POWERED_BY" in line]
        assert old == [], logs.stdout
    else:  # or a clean failure: one message, no traceback
        assert logs.returncode == 1 and logs.stderr.startswith("Error") and "Traceback" not in logs.stderr, logs


def logger_lines(platform: Platform, app: str) -> list[str]:
    """The lines the platform's logger serves for ``app`` (none: an empty list)."""
    response = requests.get(f"http://127.0.0.1:{platform.ctl.environ['DEIS_LOGGER_HTTPPORT']}/{app}",
                            params={"log_lines": 100_000}, timeout=10)
    response.raise_for_status()
    return response.text.splitlines()


def stored_log_segments(platform: Platform, app: str) -> list[str]:
    """The keys of ``app``'s log segments in the store the platform's logger writes to."""
    store = open_store(logger_store_url(LOGGER_SETTINGS.bind(platform.ctl.etcd, environ=platform.ctl.environ)))
    try:
        return SegmentLog(store, f"logs/{app}").segments()
    finally:
        store.close()
