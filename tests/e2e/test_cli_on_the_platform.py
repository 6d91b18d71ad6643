"""Every CLI command the in-process tests cover, once more on the platform as deisctl starts it.

One platform for the module (own data dir, free ports, ``startTimeout`` 10 s so
a release that fails its health check is refused in seconds, not a minute).
Each test is a step of one journey, in order, as the people at the terminals
would go: alice (the first user, so the administrator) owns the apps, bob
collaborates on them and finally cancels his account. The journey ends with
the operator's side: a push that fails its health check while the old release
serves on, ``deisctl restart`` of the database, the controller, the router and
the whole platform, each followed by a CLI command that works, and ``deisctl
uninstall``.

Each step asserts what a person sees: exit codes and the v1 output forms of
``/work/shared/deis-v1-reference.md`` §12.2, and the app's answers through the
router (``<app>.deis.localhost`` on this machine's router port).
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests

from tests.person import DEIS, Person, make_repo
from tests.platform import DOMAIN, Platform, started_platform
from tests.services import wait_until
from tests.tlscerts import EXPIRES, pair

pytestmark = pytest.mark.timeout(600)

#: Unique names: the engine may also run other platforms' apps.
SUFFIX = uuid.uuid4().hex[:6]
APP, PULLED = f"cli-{SUFFIX}", f"pulled-{SUFFIX}"
APPS = (APP, PULLED)
PASSWORDS = {"alice": "s3cret-alice", "bob": "s3cret-bob"}
#: A Dockerfile app answering ``<greeting> <release>`` on / and, when ``health`` is true, 200 on /health.
DOCKERFILE = """FROM {image}
EXPOSE 5000
CMD ["sh", "-c", "echo \\"{greeting} $DEIS_RELEASE\\" > /tmp/index.html && {health}exec httpd -f -p $PORT -h /tmp"]
"""
#: Seconds a new container has to pass its health check (the platform's default is 60).
START_TIMEOUT = 8


def dockerfile(image: str, greeting: str, health: bool = True) -> str:
    """Return the app's Dockerfile; ``health=False`` makes a release whose /health answers 404."""
    return DOCKERFILE.format(image=image, greeting=greeting, health="echo ok > /tmp/health && " if health else "")


@pytest.fixture(scope="module")
def platform(docker_client):
    with started_platform("deis-cli-e2e-", docker_client, APPS,
                          settings=[("controller", f"startTimeout={START_TIMEOUT}")]) as platform:
        yield platform


@pytest.fixture(scope="module")
def people(platform, tmp_path_factory):
    root = tmp_path_factory.mktemp("people")
    return {name: Person(name, root / name, platform) for name in PASSWORDS}


@pytest.fixture(scope="module")
def alice(people):
    return people["alice"]


@pytest.fixture(scope="module")
def bob(people):
    return people["bob"]


@pytest.fixture(scope="module")
def repo(alice, base_image, tmp_path_factory):
    """alice's working copy of APP."""
    return make_repo(alice, tmp_path_factory.mktemp("app") / APP,
                     {"Dockerfile": dockerfile(base_image, "hello")})


def refused(result: subprocess.CompletedProcess, *words: str) -> None:
    """Assert a CLI command failed the v1 way: exit 1, ``words`` on stderr, no traceback."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert all(word in result.stderr for word in words) and "Traceback" not in result.stderr, result.stderr


def answer(platform: Platform, app: str, host: str | None = None) -> str:
    """The text the app answers through the router (its vhost, or ``host``), once it answers 200."""
    def text():
        try:
            response = requests.get(f"http://127.0.0.1:{platform.http}/",
                                    headers={"Host": host or f"{app}.{DOMAIN}"}, timeout=5)
        except requests.RequestException:
            return None
        return response.status_code == 200 and response.text
    return wait_until(text, 30, what=f"{host or app} answering through the router")


def containers(docker_client, app: str) -> list:
    """The app's running containers."""
    return docker_client.containers.list(filters={"label": f"deis.app={app}"})


def fields(block: str) -> dict[str, str]:
    """Return ``{label: value}`` of the ``label: value`` lines of an info block."""
    return {m.group(1): m.group(2) for m in re.finditer(r"^(\w+):\s+(.*)$", block, re.MULTILINE)}


def config_of(output: str) -> dict[str, str]:
    """Return the ``KEY  value`` pairs of the ``=== <app> Config`` block that ends ``output``."""
    block = output.split(" Config\n", 1)[1]
    return dict(line.split(None, 1) for line in block.splitlines())


def token_of(person: Person) -> str:
    """The API token the CLI saved for ``person``."""
    return json.loads((person.home / ".deis" / "client.json").read_text())["token"]


# -- deis auth:register, auth:logout, auth:login, users:list ------------------------


def test_register_logout_and_login(platform, alice, bob):
    registered = alice.deis("register", platform.controller, "--username", "alice", "--password",
                            PASSWORDS["alice"], "--email", "alice@example.com")
    assert registered.stdout == "Registered alice\nLogged in as alice\n"
    assert alice.deis("logout").stdout == "Logged out\n"
    refused(alice.deis("whoami", check=False), "Not logged in. Use 'deis login' or 'deis register'")
    wrong = alice.deis("login", platform.controller, "--username", "alice", "--password", "nope", check=False)
    refused(wrong, "400 BAD REQUEST", "Unable to log in with provided credentials.")
    login = alice.deis("login", platform.controller, "--username", "alice", "--password", PASSWORDS["alice"])
    assert login.stdout == "Logged in as alice\n"
    assert alice.deis("whoami").stdout == f"You are alice at {platform.controller}\n"
    bob.deis("register", platform.controller, "--username", "bob", "--password", PASSWORDS["bob"],
             "--email", "bob@example.com")


def test_users_list_is_for_the_administrator(alice, bob):
    listed = alice.deis("users:list").stdout.splitlines()
    assert listed[0] == "=== Users" and sorted(listed[1:]) == ["alice", "bob"]
    refused(bob.deis("users:list", check=False), "403 FORBIDDEN")


# -- deis keys:add, keys:remove -----------------------------------------------------


def test_keys_remove(alice, tmp_path):
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "alice@laptop", "-f",
                    str(tmp_path / "laptop")], check=True)
    alice.deis("keys:add", str(alice.key) + ".pub")
    alice.deis("keys:add", str(tmp_path / "laptop.pub"))
    assert [line.split()[0] for line in alice.deis("keys").stdout.splitlines()] == [
        "===", "alice@e2e", "alice@laptop"]
    assert alice.deis("keys:remove", "alice@laptop").stdout == "Removing alice@laptop SSH Key... done\n"
    assert [line.split()[0] for line in alice.deis("keys").stdout.splitlines()] == ["===", "alice@e2e"]
    refused(alice.deis("keys:remove", "alice@laptop", check=False), "404 NOT FOUND")


# -- git push, deis builds:list, releases:info, apps:info, apps:open -----------------


def test_git_push_with_a_health_check_then_builds_and_releases_info(platform, alice, repo):
    created = alice.deis("create", APP, cwd=repo).stdout
    assert created == (f"Creating Application... done, created {APP}\nGit remote deis added\n"
                       f"remote available at ssh://git@deis.{DOMAIN}:2222/{APP}.git\n")
    # The remote names v1's port 2222; this platform's router listens on a free port instead.
    alice.git("remote", "set-url", "deis", platform.remote(APP), cwd=repo)
    # Set before the first build, so the check guards every deploy of the app.
    assert "Creating config... done, v2" in alice.deis("config:set", "HEALTHCHECK_URL=/health", cwd=repo).stdout
    push = alice.git("push", "deis", "master", cwd=repo)
    assert f"done, {APP}:v3 deployed to Deis" in push.stderr
    assert answer(platform, APP) == "hello v3\n"

    builds = alice.deis("builds", "-a", APP).stdout.splitlines()
    assert builds[0] == f"=== {APP} Builds" and len(builds) == 2
    build_uuid = builds[1].split()[0]
    info = alice.deis("releases:info", "v3", "-a", APP).stdout
    assert info.splitlines()[0] == f"=== {APP} Release v3"
    sha = alice.git("rev-parse", "HEAD", cwd=repo).stdout.strip()
    release = fields(info)
    assert list(release) == ["build", "config", "owner", "created", "summary", "updated", "uuid"]
    assert release["build"] == build_uuid and release["owner"] == "alice"
    assert release["summary"] == f"alice deployed {sha[:7]}"
    refused(alice.deis("releases:info", "v9", "-a", APP, check=False), "404 NOT FOUND")


def test_apps_info_and_open(platform, alice):
    info = alice.deis("apps:info", "-a", APP).stdout
    head, processes, domains = info.split("===")[1:4]
    assert head.startswith(f" {APP} Application\n")
    app = fields(head)
    assert list(app) == ["updated", "uuid", "created", "url", "owner", "id"]
    assert (app["url"], app["owner"], app["id"]) == (f"{APP}.{DOMAIN}", "alice", APP)
    assert processes == f" {APP} Processes\n--- cmd:\ncmd.1 up (v3)\n\n"
    assert domains == f" {APP} Domains\n\n"
    # Python's webbrowser, which the CLI uses, runs $BROWSER with the URL.
    opened = subprocess.run([DEIS, "apps:open", "-a", APP], env=dict(alice.environ, BROWSER="echo"),
                            capture_output=True, text=True, timeout=60)
    assert (opened.returncode, opened.stdout) == (0, f"http://{APP}.{DOMAIN}\n"), opened


# -- deis config:unset, config:pull, config:push -------------------------------------


def test_config_unset_pull_and_push(platform, alice, tmp_path):
    alice.deis("config:set", "GREETING=hi", "COLOUR=blue", "-a", APP)
    unset = alice.deis("config:unset", "COLOUR", "-a", APP).stdout
    assert unset.startswith("Removing config... done\n\n=== ") and "COLOUR" not in unset

    assert alice.deis("config:pull", "-a", APP, cwd=tmp_path).stdout == ""
    assert (tmp_path / ".env").read_text() == "GREETING=hi\nHEALTHCHECK_URL=/health\n"
    (tmp_path / ".env").write_text("GREETING=hello from .env\nHEALTHCHECK_URL=/health\n")
    refused(alice.deis("config:pull", "-a", APP, cwd=tmp_path, check=False),
            ".env already exists, pass -o to overwrite")
    pushed = alice.deis("config:push", "-a", APP, cwd=tmp_path).stdout
    assert pushed.startswith(f"Creating config... done, v6\n\n=== {APP} Config\n")
    assert config_of(pushed) == {"GREETING": "hello from .env", "HEALTHCHECK_URL": "/health"}
    alice.deis("config:set", "GREETING=changed", "-a", APP)
    alice.deis("config:pull", "-o", "-a", APP, cwd=tmp_path)
    assert (tmp_path / ".env").read_text() == "GREETING=changed\nHEALTHCHECK_URL=/health\n"
    env = alice.deis("run", "env", "-a", APP).stdout
    assert "GREETING=changed" in env and "COLOUR" not in env


# -- deis limits:set, limits:unset, tags:set, tags:unset -----------------------------


def test_limits_set_and_unset(alice, docker_client):
    limited = alice.deis("limits:set", "cmd=64M", "-a", APP).stdout
    assert limited == f"Applying limits... done\n\n=== {APP} Limits\n\n--- Memory\ncmd     64M\n\n--- CPU\nUnlimited\n"
    [container] = containers(docker_client, APP)
    assert container.attrs["HostConfig"]["Memory"] == 64 * 1024 * 1024
    unlimited = alice.deis("limits:unset", "cmd", "-a", APP).stdout
    assert unlimited.endswith(f"=== {APP} Limits\n\n--- Memory\nUnlimited\n\n--- CPU\nUnlimited\n")
    [container] = containers(docker_client, APP)
    assert container.attrs["HostConfig"]["Memory"] == 0


def test_tags_set_and_unset(alice):
    assert alice.deis("tags:set", "environ=prod", "-a", APP).stdout == (
        f"Applying tags... done\n\n=== {APP} Tags\nenviron     prod\n")
    assert alice.deis("tags", "-a", APP).stdout == f"=== {APP} Tags\nenviron     prod\n"
    assert alice.deis("tags:unset", "environ", "-a", APP).stdout == f"Applying tags... done\n\n=== {APP} Tags\n"
    refused(alice.deis("tags:set", "env1=prod", "-a", APP, check=False), "400 BAD REQUEST")


# -- deis domains:list, domains:remove, certs:list, certs:info, certs:remove ---------


def test_domains_list_and_remove(platform, alice):
    domain = f"www.{SUFFIX}-e2e.com"
    assert alice.deis("domains:add", domain, "-a", APP).stdout == f"Adding {domain} to {APP}... done\n"
    assert alice.deis("domains", "-a", APP).stdout == f"=== {APP} Domains\n{domain}\n"
    assert answer(platform, APP, host=domain).startswith("hello v")
    assert alice.deis("domains:remove", domain, "-a", APP).stdout == f"Removing {domain} from {APP}... done\n"
    assert alice.deis("domains", "-a", APP).stdout == f"=== {APP} Domains\n"
    wait_until(lambda: platform.get(APP, "/").status_code == 200 and requests.get(
        f"http://127.0.0.1:{platform.http}/", headers={"Host": domain}, timeout=5).status_code == 404,
        10, what="the removed domain answering 404")


def test_certs_list_info_and_remove(platform, alice, tmp_path):
    domain = f"secure.{SUFFIX}-e2e.com"
    cert, key = pair(domain)
    (tmp_path / "cert.pem").write_text(cert)
    (tmp_path / "key.pem").write_text(key)
    assert alice.deis("certs").stdout == "No certs\n"
    alice.deis("domains:add", domain, "-a", APP)
    added = alice.deis("certs:add", str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")).stdout
    assert added == f"Adding SSL endpoint... done\n{domain}\n"
    expires = EXPIRES.strftime("%Y-%m-%dT%H:%M:%SUTC")
    rows = alice.deis("certs").stdout.splitlines()
    assert [row.split() for row in rows] == [["Common", "Name", "Expires"], ["-" * len(domain), "-" * len(expires)],
                                             [domain, expires]]
    info = alice.deis("certs:info", domain).stdout
    assert info.splitlines()[0] == f"=== {domain} Certificate"
    shown = fields(info)
    assert (shown["common_name"], shown["expires"], shown["owner"]) == (domain, expires, "alice")

    def https() -> str:
        result = subprocess.run(["curl", "-s", "--max-time", "5", "--cacert", str(tmp_path / "cert.pem"),
                                 "--resolve", f"{domain}:{platform.https}:127.0.0.1",
                                 f"https://{domain}:{platform.https}/"], capture_output=True, text=True)
        return result.stdout

    wait_until(lambda: https().startswith("hello v"), 15, what="HTTPS with the added certificate")
    assert alice.deis("certs:remove", domain).stdout == f"Removing {domain}... done\n"
    assert alice.deis("certs").stdout == "No certs\n"
    wait_until(lambda: https() == "", 15, what="the removed certificate no longer served")
    refused(alice.deis("certs:info", domain, check=False), "404 NOT FOUND")
    alice.deis("domains:remove", domain, "-a", APP)


# -- deis perms:create, perms:list, perms:delete; ps:restart by a collaborator ------


def test_perms_list_and_delete_with_a_collaborator_restarting(platform, alice, bob, docker_client):
    refused(bob.deis("ps", "-a", APP, check=False), "403 FORBIDDEN")
    assert alice.deis("perms:create", "bob", "-a", APP).stdout == f"Adding bob to {APP} collaborators... done\n"
    assert alice.deis("perms:list", "-a", APP).stdout == f"=== {APP}'s Users\nbob\n"
    assert bob.deis("perms:list", "--admin", check=False).returncode == 1  # admins only
    assert alice.deis("perms:list", "--admin").stdout == "=== Administrators\nalice\n"

    [before] = containers(docker_client, APP)
    restarted = bob.deis("ps:restart", "-a", APP).stdout
    release = re.search(r"cmd\.1 up \((v\d+)\)", restarted)
    assert release and re.fullmatch(
        rf"Restarting processes\.\.\. but first, coffee!\ndone in \d+s\n=== {APP} Processes\n--- cmd:\n"
        rf"cmd\.1 up \({release.group(1)}\)\n", restarted), restarted
    [after] = containers(docker_client, APP)
    assert after.attrs["State"]["StartedAt"] != before.attrs["State"]["StartedAt"]
    assert answer(platform, APP).startswith("hello ")

    refused(bob.deis("perms:delete", "alice", "-a", APP, check=False), "403 FORBIDDEN")
    assert alice.deis("perms:delete", "bob", "-a", APP).stdout == f"Removing bob from {APP} collaborators... done\n"
    assert alice.deis("perms:list", "-a", APP).stdout == f"=== {APP}'s Users\n"
    refused(bob.deis("ps", "-a", APP, check=False), "403 FORBIDDEN")


# -- deis pull (builds:create), apps:transfer ----------------------------------------


def test_pull_an_image_then_transfer_the_app(platform, alice, bob, base_image, tmp_path):
    alice.deis("create", PULLED, "--no-remote", cwd=tmp_path)
    pulled = alice.deis("pull", base_image, "-a", PULLED, "-p",
                        "web: echo pulled > /tmp/index.html && exec httpd -f -p $PORT -h /tmp").stdout
    assert pulled == "Creating build... done\n"
    assert answer(platform, PULLED) == "pulled\n"
    assert alice.deis("ps", "-a", PULLED).stdout == f"=== {PULLED} Processes\n--- web:\nweb.1 up (v2)\n"
    builds = alice.deis("builds", "-a", PULLED).stdout.splitlines()
    assert builds[0] == f"=== {PULLED} Builds" and len(builds) == 2
    assert fields(alice.deis("releases:info", "v2", "-a", PULLED).stdout)["summary"] == f"alice deployed {base_image}"

    assert PULLED not in bob.deis("apps").stdout.split()
    assert alice.deis("apps:transfer", "bob", "-a", PULLED).stdout == f"Transferring {PULLED} to bob... done\n"
    assert PULLED in bob.deis("apps").stdout.split()
    assert fields(bob.deis("apps:info", "-a", PULLED).stdout)["owner"] == "bob"
    assert fields(alice.deis("apps:info", "-a", PULLED).stdout)["owner"] == "bob"  # an admin sees every app
    refused(alice.deis("apps:transfer", "nobody", "-a", APP, check=False), "404 NOT FOUND")


# -- deis auth:passwd, auth:regenerate, auth:cancel ----------------------------------


def test_passwd_changes_what_login_accepts(platform, alice):
    wrong = alice.deis("auth:passwd", "--password", "nope", "--new-password", "x", check=False)
    refused(wrong, "Password change failed: ", "Current password does not match")
    changed = alice.deis("auth:passwd", "--password", PASSWORDS["alice"], "--new-password", "n3w-alice")
    assert changed.stdout == "Password change succeeded.\n"
    old = alice.deis("login", platform.controller, "--username", "alice", "--password", PASSWORDS["alice"],
                     check=False)
    refused(old, "Unable to log in with provided credentials.")
    alice.deis("login", platform.controller, "--username", "alice", "--password", "n3w-alice")
    PASSWORDS["alice"] = "n3w-alice"


def test_regenerate_invalidates_the_old_token(platform, alice, bob):
    old = token_of(bob)
    assert bob.deis("auth:regenerate").stdout == "Token Regenerated\n"
    assert token_of(bob) != old

    def apps_with(token: str) -> int:
        return requests.get(f"http://127.0.0.1:{platform.http}/v1/apps/", timeout=10,
                            headers={"Host": f"deis.{DOMAIN}", "Authorization": f"token {token}"}).status_code

    assert apps_with(old) == 401
    assert apps_with(token_of(bob)) == 200
    assert PULLED in bob.deis("apps").stdout.split()
    # An administrator regenerates someone else's token: bob's saved one stops working.
    assert alice.deis("auth:regenerate", "-u", "bob").stdout == "Token Regenerated\n"
    refused(bob.deis("apps", check=False), "401 UNAUTHORIZED")
    bob.deis("login", platform.controller, "--username", "bob", "--password", PASSWORDS["bob"])
    assert alice.deis("whoami").returncode == 0 and apps_with(token_of(alice)) == 200


def test_cancel_needs_the_apps_gone_first(platform, alice, bob):
    cancel = ("auth:cancel", "--username", "bob", "--password", PASSWORDS["bob"], "--yes")
    refused(bob.deis(*cancel, check=False),
            "bob still has application associated with it. Transfer ownership or delete them first")
    bob.deis("apps:destroy", "-a", PULLED, f"--confirm={PULLED}")
    cancelled = bob.deis(*cancel)
    assert cancelled.stdout.endswith("Account cancelled\n")
    refused(bob.deis("whoami", check=False), "Not logged in")
    refused(bob.deis("login", platform.controller, "--username", "bob", "--password", PASSWORDS["bob"],
                     check=False), "Unable to log in with provided credentials.")
    assert alice.deis("users").stdout == "=== Users\nalice\n"
    wait_until(lambda: platform.get(PULLED).status_code == 404, 10, what="the destroyed app's route gone")


# -- a git push that fails its health check ----------------------------------------


class Poller:
    """Sends requests to an app through the router until stopped; records every failure."""

    def __init__(self, platform: Platform, app: str):
        self.platform, self.app = platform, app
        self.count, self.failures, self.texts = 0, [], set()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stop.is_set():
            try:
                response = self.platform.get(self.app)
                if response.status_code == 200:
                    self.texts.add(response.text)
                else:
                    self.failures.append(response.status_code)
            except requests.RequestException as exc:
                self.failures.append(repr(exc))
            self.count += 1

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stop.set()
        self.thread.join(15)
        print(f"\n{self.app}: {self.count} requests, {len(self.failures)} failed, answers {sorted(self.texts)}")


def test_push_failing_its_health_check_is_refused_and_the_old_release_serves_on(platform, alice, repo,
                                                                                base_image, docker_client):
    serving = answer(platform, APP)
    latest = alice.deis("releases", "-a", APP).stdout.splitlines()[1].split()[0]
    (repo / "Dockerfile").write_text(dockerfile(base_image, "broken", health=False))
    alice.git("commit", "-q", "-am", "no /health", cwd=repo)
    with Poller(platform, APP) as poller:
        push = alice.git("push", "deis", "master", cwd=repo, check=False)
    assert push.returncode != 0, push.stderr
    assert "GET /health" in push.stderr and "404" in push.stderr, push.stderr
    assert "deployed to Deis" not in push.stderr
    assert poller.failures == [] and poller.count >= 20 and poller.texts == {serving}, (
        poller.count, poller.failures[:5], poller.texts)
    assert alice.deis("releases", "-a", APP).stdout.splitlines()[1].split()[0] == latest
    assert f"cmd.1 up ({latest})" in alice.deis("ps", "-a", APP).stdout
    wait_until(lambda: len(docker_client.containers.list(all=True, filters={"label": f"deis.app={APP}"})) == 1,
               10, what="the refused release's container removed")
    assert answer(platform, APP) == serving


# -- deisctl restart database, controller, router, platform ---------------------------


@pytest.mark.parametrize("component", ["database", "controller", "router", "platform"])
def test_deisctl_restart_then_the_cli_works_and_the_app_answers(platform, alice, component):
    serving = answer(platform, APP)
    started = time.monotonic()
    with Poller(platform, APP):  # counted and printed, not asserted: issue 17 owns the figure
        platform.ctl("restart", component)
    print(f"deisctl restart {component}: {time.monotonic() - started:.1f} s")
    # Right after the restart, with no retry: deisctl returns once the component serves again.
    if component != "router":  # a change the database, the controller and the scheduler all take part in
        config = alice.deis("config:set", f"RESTARTED={component}", "-a", APP).stdout
        assert config_of(config)["RESTARTED"] == component
    assert fields(alice.deis("apps:info", "-a", APP).stdout)["owner"] == "alice"
    # The router restart may drop requests for a moment (issue 17 works on that): wait for an answer.
    assert answer(platform, APP).split()[0] == serving.split()[0]
    states = platform.ctl.status()
    assert all(states[name][0] == "running" for name in ("etcd", "database", "controller", "builder",
                                                         "publisher", "router", "logger")), states


# -- deisctl uninstall ---------------------------------------------------------------


def test_deisctl_uninstall_stops_everything_and_keeps_the_data(platform, alice, docker_client):
    ctl = platform.ctl
    installed = sorted(path.stem for path in (ctl.root / "supervisor" / "programs").glob("*.conf"))
    assert {"etcd", "database", "controller", "router"} <= set(installed)
    [app_container] = containers(docker_client, APP)
    unit = Path(ctl.environ["DEIS_BOOT_UNIT"])
    assert unit.exists()

    started = time.monotonic()
    removed = ctl("uninstall").stdout
    print(f"\ndeisctl uninstall: {time.monotonic() - started:.1f} s")
    for name in installed:
        assert f"{name}: uninstalled (data kept in {ctl.root / name})" in removed, removed
    assert f"boot: removed {unit}" in removed and not unit.exists()
    assert list((ctl.root / "supervisor" / "programs").glob("*.conf")) == []
    wait_until(lambda: ctl.supervised_pids() == [], 10, what="every platform process gone")
    for port in (platform.http, platform.https, int(ctl.environ["DEIS_CONTROLLER_PORT"])):
        with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
    # The data stays, as uninstall says: the database's cluster, etcd's members, the registry's blobs.
    assert list(ctl.root.glob("database/**/PG_VERSION")), sorted(p.name for p in (ctl.root / "database").iterdir())
    assert (ctl.root / "etcd").is_dir() and any((ctl.root / "etcd").iterdir())
    assert (ctl.root / "registry").is_dir()
    # The engine was not deisctl's to stop here (it answered before the platform): the app runs on.
    app_container.reload()
    assert app_container.status == "running"
    left = {name: row[:2] for name, row in ctl.status().items() if name != "docker" and row[:2] != ["not", "installed"]}
    assert left == {}
