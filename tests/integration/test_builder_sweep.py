"""The builder removes repositories of destroyed apps, and only those (real etcd, real git repos)."""

from builder.repos import Repos
from builder.sweep import Sweeper
from deis import keys


def make(repos: Repos, app: str) -> None:
    repos.ensure(app)
    repos.cache(app)


def test_repo_of_a_destroyed_app_goes_after_two_passes(etcd, tmp_path):
    repos = Repos(tmp_path)
    make(repos, "kept")
    make(repos, "gone")
    etcd.put(keys.host("controller"), "127.0.0.1")
    etcd.put(keys.app_marker("kept"), "")
    sweeper = Sweeper(repos, etcd)
    assert sweeper.sweep() == []  # first miss: only suspected
    assert sweeper.sweep() == ["gone"]
    assert repos.apps() == ["kept"]
    assert not (tmp_path / "cache" / "gone").exists()


def test_nothing_is_removed_while_no_controller_is_announced(etcd, tmp_path):
    repos = Repos(tmp_path)
    make(repos, "app")
    sweeper = Sweeper(repos, etcd)  # etcd wiped: no markers, no controller
    assert sweeper.sweep() == [] and sweeper.sweep() == []
    assert repos.apps() == ["app"]


def test_an_app_that_comes_back_is_no_longer_suspected(etcd, tmp_path):
    repos = Repos(tmp_path)
    make(repos, "app")
    etcd.put(keys.host("controller"), "127.0.0.1")
    sweeper = Sweeper(repos, etcd)
    sweeper.sweep()
    etcd.put(keys.app_marker("app"), "")  # the controller republished it
    assert sweeper.sweep() == []
    etcd.delete(keys.app_marker("app"))
    assert sweeper.sweep() == []  # a new first miss
    assert repos.apps() == ["app"]
