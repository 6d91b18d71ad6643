"""Commands over a canned transport: the requests they send and what they print.

Only the rendering is under test here; the integration tests drive the real
controller.
"""

import pytest

from deis.cli import main


def page(*results, count=None):
    return {"count": len(results) if count is None else count, "next": None, "previous": None,
            "results": list(results)}


# errors
def test_api_error_prints_v1_status_line_and_exits_1(deis, transport):
    result = deis("apps:info", "-a", "ghost")
    assert result.exit_code == 1
    assert result.stderr == "Error: \n404 NOT FOUND\ndetail: Not found\n"


def test_unauthorized_adds_a_login_hint(deis, transport):
    transport.add("GET", "/v1/apps/", {"detail": "Invalid token"}, status=401)
    result = deis("apps")
    assert result.exit_code == 1
    assert "401 UNAUTHORIZED\ndetail: Invalid token" in result.stderr
    assert "deis login" in result.stderr


def test_usage_error_exits_2(deis):
    result = deis("ps:scale", "web", "-a", "myapp")
    assert result.exit_code == 2
    assert "'web' does not match the pattern 'type=num'" in result.stderr


def test_not_logged_in(deis, home):
    (home / ".deis" / "client.json").unlink()
    result = deis("apps")
    assert result.exit_code == 1
    assert result.stderr == "Error: Not logged in. Use 'deis login' or 'deis register' to get started.\n"


def test_every_command_has_help_with_an_example():
    for name, command in main.commands.items():
        assert command.help and "Example:" in command.help, name


def test_help_command_shows_a_commands_help(deis):
    result = deis("help", "scale")
    assert result.exit_code == 0 and "Usage: deis ps:scale" in result.stdout


def test_version(deis):
    assert deis("version").stdout == "1.13.4\n"
    assert deis("-v").stdout == "1.13.4\n"


def test_shortcuts_and_bare_topics_resolve(deis, transport):
    transport.add("GET", "/v1/apps/", page({"id": "b"}, {"id": "a"}))
    assert deis("apps").stdout == "=== Apps\na\nb\n"
    transport.add("GET", "/v1/apps/myapp/perms/", {"users": ["bob"]})
    assert deis("sharing", "-a", "myapp").stdout == "=== myapp's Users\nbob\n"


# deis config
def test_config_set_prints_release_and_the_list(deis, transport):
    transport.add("POST", "/v1/apps/myapp/config/", {"values": {"A": "1", "DEIS_RELEASE": "v3"}}, status=201,
                  headers={"Deis-Release": "3"})
    transport.add("GET", "/v1/apps/myapp/config/", {"values": {"A": "1", "B": "x y"}})
    result = deis("config:set", "A=1", "B=x y", "-a", "myapp")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Creating config... done, v3\n\n=== myapp Config\nA      1\nB      x y\n"
    assert transport.last("POST").body == {"values": {"A": "1", "B": "x y"}}


def test_config_unset_sends_nulls(deis, transport):
    transport.add("POST", "/v1/apps/myapp/config/", {"values": {}}, status=201)
    transport.add("GET", "/v1/apps/myapp/config/", {"values": {}})
    result = deis("config:unset", "A", "B", "-a", "myapp")
    assert result.stdout.startswith("Removing config... done\n\n=== myapp Config\n")
    assert transport.last("POST").body == {"values": {"A": None, "B": None}}


def test_config_pull_writes_env_and_push_reads_it(deis, transport, home):
    transport.add("GET", "/v1/apps/myapp/config/", {"values": {"B": "2", "A": "1"}})
    assert deis("config:pull", "-a", "myapp").exit_code == 0
    assert (home / ".env").read_text() == "A=1\nB=2\n"
    transport.add("POST", "/v1/apps/myapp/config/", {"values": {"DEIS_RELEASE": "v4"}}, status=201)
    assert deis("config:push", "-a", "myapp").exit_code == 0
    assert transport.last("POST").body == {"values": {"A": "1", "B": "2"}}


def test_config_pull_leaves_an_existing_env_alone_without_overwrite(deis, transport, home):
    transport.add("GET", "/v1/apps/myapp/config/", {"values": {"A": "remote"}})
    (home / ".env").write_text("A=local\n")
    result = deis("config:pull", "-a", "myapp")
    assert result.exit_code == 1 and ".env already exists, pass -o to overwrite" in result.stderr
    assert (home / ".env").read_text() == "A=local\n"
    assert deis("config:pull", "-o", "-a", "myapp").exit_code == 0
    assert (home / ".env").read_text() == "A=remote\n"


# deis limits, tags
def test_limits_set_posts_memory_by_default_and_cpu_with_flag(deis, transport):
    transport.add("POST", "/v1/apps/myapp/config/", {}, status=201)
    transport.add("GET", "/v1/apps/myapp/config/", {"memory": {"web": "512M"}, "cpu": {}})
    result = deis("limits:set", "web=512M", "-a", "myapp")
    assert result.stdout.startswith("Applying limits... done\n\n=== myapp Limits\n\n--- Memory\nweb     512M\n")
    assert transport.last("POST").body == {"memory": {"web": "512M"}}
    deis("limits:set", "--cpu", "web=100", "-a", "myapp")
    assert transport.last("POST").body == {"cpu": {"web": "100"}}
    deis("limits:unset", "web", "-a", "myapp")
    assert transport.last("POST").body == {"memory": {"web": None}}


def test_tags_set_and_unset(deis, transport):
    transport.add("POST", "/v1/apps/myapp/config/", {}, status=201)
    transport.add("GET", "/v1/apps/myapp/config/", {"tags": {"environ": "prod"}})
    result = deis("tags:set", "environ=prod", "-a", "myapp")
    assert result.stdout == "Applying tags... done\n\n=== myapp Tags\nenviron     prod\n"
    deis("tags:unset", "environ", "-a", "myapp")
    assert transport.last("POST").body == {"tags": {"environ": None}}


# deis ps
def test_ps_scale_has_coffee_then_lists(deis, transport, monkeypatch):
    monkeypatch.setenv("DEIS_DRINK_OF_CHOICE", "tea")
    transport.add("POST", "/v1/apps/myapp/scale/", None, status=204)
    transport.add("GET", "/v1/apps/myapp/containers/",
                  page({"type": "web", "num": 1, "state": "up", "release": "v2"}))
    result = deis("scale", "web=1", "-a", "myapp")
    assert result.exit_code == 0, result.output
    assert result.stdout == ("Scaling processes... but first, tea!\ndone in 0s\n"
                             "=== myapp Processes\n--- web:\nweb.1 up (v2)\n")
    assert transport.last("POST").body == {"web": 1}


def test_ps_restart_one_type(deis, transport):
    transport.add("POST", "/v1/apps/myapp/containers/web/restart/", [], status=200)
    transport.add("GET", "/v1/apps/myapp/containers/", page())
    result = deis("ps:restart", "web", "-a", "myapp")
    assert result.stdout.startswith("Restarting processes... but first, coffee!\ndone in 0s\n")


# deis releases
def test_releases_list_and_rollback(deis, transport):
    transport.add("GET", "/v1/apps/myapp/releases/",
                  page({"version": 2, "created": "2016-01-01T00:00:00UTC", "summary": "alice added A"}))
    assert deis("releases", "-a", "myapp").stdout == \
        "=== myapp Releases\nv2\t2016-01-01T00:00:00UTC\talice added A\n"
    transport.add("POST", "/v1/apps/myapp/releases/rollback/", {"version": 3}, status=201)
    assert deis("rollback", "-a", "myapp").stdout == "Rolling back one release... done, v3\n"
    assert transport.last("POST").body == {}
    assert deis("rollback", "v1", "-a", "myapp").stdout == "Rolling back to v1... done, v3\n"
    assert transport.last("POST").body == {"version": 1}


def test_releases_info(deis, transport):
    transport.add("GET", "/v1/apps/myapp/releases/v2/", {"version": 2, "build": "b", "config": "c",
                                                         "owner": "alice", "created": "t", "summary": "s",
                                                         "updated": "u", "uuid": "x"})
    assert deis("releases:info", "v2", "-a", "myapp").stdout.splitlines()[:2] == [
        "=== myapp Release v2", "build:   b"]


# deis builds
def test_pull_sends_image_and_procfile(deis, transport, home):
    (home / "Procfile").write_text("web: ./server\n")
    transport.add("POST", "/v1/apps/myapp/builds/", {"uuid": "b"}, status=201)
    assert deis("pull", "deis/example-go:latest", "-a", "myapp").stdout == "Creating build... done\n"
    assert transport.last("POST").body == {"image": "deis/example-go:latest", "procfile": {"web": "./server"}}


# deis domains, certs
def test_domains_add_list_remove(deis, transport):
    transport.add("POST", "/v1/apps/myapp/domains/", {"domain": "www.example.com"}, status=201)
    assert deis("domains:add", "www.example.com", "-a", "myapp").stdout == "Adding www.example.com to myapp... done\n"
    transport.add("GET", "/v1/apps/myapp/domains/", page({"domain": "www.example.com"}))
    assert deis("domains", "-a", "myapp").stdout == "=== myapp Domains\nwww.example.com\n"
    transport.add("DELETE", "/v1/apps/myapp/domains/www.example.com", None, status=204)
    assert deis("domains:remove", "www.example.com", "-a", "myapp").stdout == \
        "Removing www.example.com from myapp... done\n"


def test_certs_add_one_per_subject_alt_name(deis, transport, home):
    (home / "c.pem").write_text("CERT")
    (home / "k.pem").write_text("KEY")
    transport.add("POST", "/v1/certs/", {"common_name": "a.example.com"}, status=201)
    transport.add("POST", "/v1/certs/", {"common_name": "b.example.com"}, status=201)
    result = deis("certs:add", "c.pem", "k.pem", "--subject-alt-names=a.example.com,b.example.com")
    assert result.stdout == "Adding SSL endpoint... done\na.example.com\nb.example.com\n"
    assert [s.body["common_name"] for s in transport.sent] == ["a.example.com", "b.example.com"]
    assert transport.last().body["certificate"] == "CERT"


def test_certs_list_empty_and_remove(deis, transport):
    transport.add("GET", "/v1/certs/", page())
    assert deis("certs").stdout == "No certs\n"
    transport.add("DELETE", "/v1/certs/www.example.com", None, status=204)
    assert deis("certs:remove", "www.example.com").stdout == "Removing www.example.com... done\n"


# deis logs, run
def test_logs_asks_lines_and_prints_them(deis, transport):
    transport.add("GET", "/v1/apps/myapp/logs/", "t myapp[web.1]: one\nt myapp[web.1]: two\n",
                  headers={"Content-Type": "text/plain"})
    result = deis("logs", "-n", "2", "-a", "myapp")
    assert result.stdout == "t myapp[web.1]: one\nt myapp[web.1]: two\n"
    assert transport.last().query == {"log_lines": ["2"]}


def test_logs_when_empty_prints_nothing(deis, transport):
    transport.add("GET", "/v1/apps/myapp/logs/", None, status=204)
    assert deis("logs", "-a", "myapp").stdout == ""


@pytest.mark.parametrize("code", [0, 3])
def test_run_exits_with_the_remote_exit_code(deis, transport, code):
    transport.add("POST", "/v1/apps/myapp/run/", [code, "hello\n"])
    result = deis("run", "-a", "myapp", "--", "echo", "hello")
    assert result.exit_code == code
    assert result.stdout == "Running 'echo hello'...\nhello\n"
    assert transport.last().body == {"command": "echo hello"}
