"""deis/cli/remote.py: the git remote URL and finding the app from it (v1's rule)."""

import subprocess

from deis.cli.remote import app_of_url, detect_app, find_remote, parse_remotes, remote_url

REMOTE_V = """deis\tssh://git@deis.example.com:2222/myapp.git (fetch)
deis\tssh://git@deis.example.com:2222/myapp.git (push)
origin\tgit@github.com:me/myapp.git (fetch)
origin\tgit@github.com:me/myapp.git (push)
"""


def test_remote_url_uses_the_controller_host_and_port_2222():
    assert remote_url("deis.example.com", "myapp") == "ssh://git@deis.example.com:2222/myapp.git"


def test_parse_remotes_keeps_fetch_urls():
    assert parse_remotes(REMOTE_V) == {"deis": "ssh://git@deis.example.com:2222/myapp.git",
                                       "origin": "git@github.com:me/myapp.git"}


def test_app_of_url():
    assert app_of_url("ssh://git@deis.example.com:2222/my-app.git") == "my-app"
    assert app_of_url("git@deis.example.com:my-app.git") == "my-app"


def test_find_remote_prefers_deis_among_matching_hosts():
    remotes = {"prod": "ssh://git@deis.example.com:2222/a.git", "deis": "ssh://git@deis.example.com:2222/b.git"}
    assert find_remote(remotes, "deis.example.com") == "deis"
    assert find_remote({"prod": remotes["prod"]}, "deis.example.com") == "prod"
    assert find_remote(remotes, "deis.other.com") is None


def test_detect_app_from_git_remote_then_directory_name(tmp_path):
    repo = tmp_path / "checkout-dir"
    repo.mkdir()
    assert detect_app("deis.example.com", repo) == ("checkout-dir", None)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "remote", "add", "deis", remote_url("deis.example.com", "myapp")], cwd=repo, check=True)
    assert detect_app("deis.example.com", repo) == ("myapp", "deis")
    assert detect_app("elsewhere.example.com", repo) == ("checkout-dir", None)
