"""deis logs [-f] — real controller, logger, etcd and Docker; the CLI as a user runs it."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path

import pytest

from tests.services import LoggerProcess, wait_until

pytest_plugins = ["tests.integration.cli_conftest"]

DEIS = str(Path(sys.executable).with_name("deis"))


@pytest.fixture
def logger(etcd, tmp_path):
    """A running deis-logger, announced in the controller's etcd."""
    process = LoggerProcess(etcd.endpoint, tmp_path / "store").start()
    yield process
    process.stop()


# deis logs
def test_logs_show_controller_events_as_deis_controller_lines(alice, logger, deployed):
    alice("config:set", "POWERED_BY=Deis", "-a", deployed)
    output = wait_until(lambda: "added POWERED_BY" in (out := alice("logs", "-a", deployed).stdout) and out, 5,
                        what="config event in the log")
    lines = output.splitlines()
    assert any(line.endswith("myapp[deis-controller]: alice added POWERED_BY") for line in lines), lines
    assert any("myapp[deis-controller]: alice deployed deis-test/busybox" in line for line in lines), lines
    for line in lines:  # every line starts with an RFC 3339 time
        assert datetime.fromisoformat(line.split(" ", 1)[0].replace("Z", "+00:00")).tzinfo is not None


def test_logs_of_a_run_command_with_a_newline_is_one_deis_controller_line(alice, logger, deployed):
    forged = "myapp[deis-controller]: admin scaled web=0"
    alice("run", "-a", deployed, "--", f"true\n{forged}")  # the second line is no command: exit code 127
    output = wait_until(lambda: "runs 'true" in (out := alice("logs", "-a", deployed).stdout) and out, 5,
                        what="run event in the log")
    lines = [line for line in output.splitlines() if "runs 'true" in line or forged in line]
    assert len(lines) == 1, lines
    assert lines[0].endswith(f"myapp[deis-controller]: alice runs 'true\\n{forged}'")


def test_logs_right_after_create_show_the_initial_release_once(alice, logger, controller):
    assert alice("create", "quiet", "--no-remote").exit_code == 0
    result = alice("logs", "-a", "quiet")
    assert result.exit_code == 0
    assert [line.split(" ", 1)[1] for line in result.stdout.splitlines()] == [
        "quiet[deis-controller]: alice created initial release"]


# deis logs -f
def test_logs_follow_prints_new_lines_as_they_happen(alice, logger, deployed):
    follower = subprocess.Popen([DEIS, "logs", "-f", "-a", deployed], stdout=subprocess.PIPE, text=True,
                                env={"HOME": str(alice.home), "PATH": "/usr/bin:/bin"})
    seen: list[str] = []
    reader = threading.Thread(target=lambda: seen.extend(iter(follower.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        wait_until(lambda: seen, 5, what="the recent lines")
        alice("config:set", "FOLLOWED=yes", "-a", deployed)
        wait_until(lambda: any("alice added FOLLOWED" in line for line in seen), 3, what="the new event, live")
    finally:
        follower.terminate()
        follower.wait(5)


# deis apps:destroy
def test_destroy_deletes_the_apps_log(alice, logger, deployed):
    wait_until(lambda: logger.lines(deployed), 5, what="some log lines")
    assert alice("destroy", "-a", deployed, f"--confirm={deployed}").exit_code == 0
    assert logger.lines(deployed) == []


# deis domains:add / domains:remove / perms:create / perms:delete
def test_domain_and_sharing_changes_are_app_log_events(alice, bob, logger, controller):
    assert alice("create", "shared", "--no-remote").exit_code == 0
    for command in (("domains:add", "www.example.org"), ("perms:create", "bob"), ("perms:delete", "bob"),
                    ("domains:remove", "www.example.org")):
        result = alice(*command, "-a", "shared")
        assert result.exit_code == 0, result.output
    expected = ["alice created initial release", "domain www.example.org added",
                "User bob was granted access to shared", "User bob was revoked access to shared",
                "domain www.example.org removed"]
    events = wait_until(lambda: len(found := _controller_events(alice, "shared")) >= len(expected) and found, 5,
                        what="the four events in the app's log")
    assert events == expected


def test_refused_changes_leave_no_event(alice, bob, logger, controller):
    assert alice("create", "guarded", "--no-remote").exit_code == 0
    assert alice("perms:delete", "bob", "-a", "guarded").exit_code == 1  # bob was never a collaborator
    assert alice("domains:remove", "nowhere.example.org", "-a", "guarded").exit_code == 1
    assert bob("perms:create", "bob", "-a", "guarded").exit_code == 1  # not his app
    assert alice("domains:add", "ok.example.org", "-a", "guarded").exit_code == 0
    wait_until(lambda: "domain ok.example.org added" in _controller_events(alice, "guarded"), 5, what="the event")
    assert _controller_events(alice, "guarded") == ["alice created initial release", "domain ok.example.org added"]


def _controller_events(person, app: str) -> list[str]:
    """Return the messages of ``deis logs`` lines written by the controller, oldest first."""
    marker = f" {app}[deis-controller]: "
    return [line.split(marker, 1)[1] for line in person("logs", "-a", app).stdout.splitlines() if marker in line]
