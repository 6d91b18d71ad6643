"""The CLI's public surface: v1's command names and shortcuts, and plugins."""

import os
import subprocess
import sys

from deis.cli import main
from deis.cli.group import SHORTCUTS, resolve

COMMANDS = {
    "apps:create", "apps:list", "apps:info", "apps:open", "apps:logs", "apps:run", "apps:destroy", "apps:transfer",
    "auth:register", "auth:login", "auth:logout", "auth:whoami", "auth:passwd", "auth:cancel", "auth:regenerate",
    "builds:list", "builds:create", "certs:list", "certs:add", "certs:info", "certs:remove",
    "config:list", "config:set", "config:unset", "config:pull", "config:push",
    "domains:list", "domains:add", "domains:remove", "git:remote", "keys:list", "keys:add", "keys:remove",
    "limits:list", "limits:set", "limits:unset", "perms:list", "perms:create", "perms:delete",
    "ps:list", "ps:scale", "ps:restart", "releases:list", "releases:info", "releases:rollback",
    "tags:list", "tags:set", "tags:unset", "users:list", "help", "version",
}


def test_command_names_are_v1s():
    assert set(main.commands) == COMMANDS


def test_shortcuts_and_topics_resolve_to_commands():
    assert all(target in COMMANDS for target in SHORTCUTS.values())
    assert resolve("apps", COMMANDS) == "apps:list"
    assert resolve("scale", COMMANDS) == "ps:scale"
    assert resolve("pull", COMMANDS) == "builds:create"


def test_unknown_command_runs_the_deis_plugin_on_path(tmp_path):
    plugin = tmp_path / "deis-hello"
    plugin.write_text("#!/bin/sh\necho \"hello $*\"\n")
    plugin.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run([sys.executable, "-c", "from deis.cli import main; main()", "hello", "a", "--b"],
                            env=env, capture_output=True, text=True, check=False)
    assert result.stdout == "hello a --b\n"
