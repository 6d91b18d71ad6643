"""deisctl upgrade, install and rolling-restart on a cluster: the decisions, with a fake manager where one is needed."""

import docker
import pytest
from click.testing import CliRunner

from deis.errors import ConfigurationError, ValidationError
from deisctl.cli import main
from deisctl.swarm import cluster, control_specs, preflight, rollout, specs, state, upgrade
from deisctl.swarm.specs import Settings

# -- which settings, which steps --------------------------------------------------------------


def test_an_upgrade_defaults_to_this_deisctls_version_and_the_clusters_repository():
    current = Settings(repository="registry.example.com:5000/deis", tag="v0.9")
    assert upgrade.settings_for(current, None, None) == Settings(repository="registry.example.com:5000/deis")
    assert upgrade.settings_for(current, "v1.2.1", "deis").tag == "v1.2.1"


@pytest.mark.parametrize(("tag", "repository"), [("v1;rm", None), ("-x", None), ("a\x01b", None), ("v" * 200, None),
                                                (None, "Deis"), (None, "deis/"), (None, "a" * 5000)])
def test_tags_and_repositories_docker_would_refuse_are_refused(tag, repository):
    with pytest.raises(ValidationError):
        upgrade.settings_for(Settings(), tag, repository)


def found(component, hash_label, update_state=None):
    service = {"ID": f"id-{component}", "Version": {"Index": 1},
               "Spec": {"Labels": {specs.HASH_LABEL: hash_label}, "TaskTemplate": {"ForceUpdate": 3}}}
    if update_state:
        service["UpdateStatus"] = {"State": update_state}
    return service


def wanted(hash_label):
    return {"Labels": {specs.HASH_LABEL: hash_label}, "TaskTemplate": {"ContainerSpec": {"Image": "deis/x:v2"}}}


def test_steps_go_in_tier_order_update_the_changed_and_the_paused_and_skip_what_does_not_run():
    desired = {"router": wanted("new"), "logger": wanted("same"), "controller": wanted("new2"),
               "builder": wanted("b"), "publisher": wanted("p")}
    services = {"router": found("router", "old"), "logger": found("logger", "same"),
                "controller": found("controller", "old"), "builder": found("builder", "b", "paused")}
    assert upgrade.steps(desired, services) == [
        upgrade.Step("logger", "keep"), upgrade.Step("controller", "update"), upgrade.Step("builder", "update"),
        upgrade.Step("router", "update")]


def test_a_paused_service_is_forced_past_its_own_force_update():
    assert specs.resumed(wanted("b"), found("builder", "b", "paused"))["TaskTemplate"]["ForceUpdate"] == 4
    assert "ForceUpdate" not in specs.resumed(wanted("b"), found("builder", "b"))["TaskTemplate"]


def test_the_refusal_names_the_missing_images_and_what_to_do():
    text = upgrade.refusal(["deis/router:v9"], "unix:///m.sock")
    assert "nothing changed" in text and "deis/router:v9" in text and "unix:///m.sock" in text
    assert "deisctl images build" in text and "--pull" in text


def test_a_stopped_upgrade_says_where_what_runs_what_and_how_to_go_back_or_on():
    text = upgrade.stopped("controller", rollout.RolloutError("Swarm paused the update"), ["logger"],
                           ["builder", "router"], Settings(tag="v1"), Settings(tag="v2"))
    assert text.startswith("upgrade stopped at controller: Swarm paused the update.")
    assert "Upgraded: logger" in text and "still on deis/…:v1: builder, router" in text
    assert "'deisctl upgrade --tag v2' again" in text and "'deisctl upgrade --tag v1' to go back" in text


# -- images and etcd -----------------------------------------------------------------------------


def test_needed_images_are_each_named_once_in_order():
    desired = {"a": wanted("1"), "b": {"TaskTemplate": {"ContainerSpec": {"Image": "deis/b:v2"}}}, "c": wanted("2")}
    assert preflight.needed_images(desired) == ["deis/x:v2", "deis/b:v2"]


class Engine:
    """A manager's engine holding ``images``; ``pulls`` are the ones a pull would bring."""

    def __init__(self, images, pulls=()):
        self.images, self.pulls, self.pulled = set(images), set(pulls), []
        self.api = self

    def inspect_image(self, image):
        if image not in self.images:
            raise docker.errors.ImageNotFound(image)
        return {}

    def pull(self, repository, tag):
        self.pulled.append(f"{repository}:{tag}")
        if f"{repository}:{tag}" not in self.pulls:
            raise docker.errors.APIError("manifest unknown")
        self.images.add(f"{repository}:{tag}")


def test_missing_images_are_those_the_engine_lacks_and_with_pull_cannot_pull():
    engine = Engine({"deis/a:v2"}, pulls={"reg:5000/deis/b:v2"})
    assert preflight.missing_images(engine, ["deis/a:v2", "deis/c:v2"]) == ["deis/c:v2"]
    lines = []
    missing = preflight.missing_images(engine, ["reg:5000/deis/b:v2", "deis/c:v2"], pull=True, report=lines.append)
    assert missing == ["deis/c:v2"] and engine.pulled == ["reg:5000/deis/b:v2", "deis/c:v2"]
    assert lines[0] == "reg:5000/deis/b:v2: pulled by the manager's engine"


class NoDomain:
    endpoint = "http://e:2379"

    def get(self, key):
        return None


def test_install_on_a_cluster_refuses_without_a_domain_as_v1_did():
    with pytest.raises(ConfigurationError, match=r"^Missing platform domain, use: deisctl config platform set domain="):
        preflight.require_domain(NoDomain())


# -- an upgrade refused before anything changes -----------------------------------------------


class Manager:
    """Enough of :class:`Cluster` for an upgrade's check: two running services, an engine with ``images``."""

    def __init__(self, images, file):
        self.url, self.client, self.file = "unix:///m.sock", Engine(images), file
        self.settings = Settings(tag="v1")
        self.recorded = state.ClusterState(("unix:///m.sock",), self.settings)

    def services(self):
        return {"router": found("router", "x"), "logger": found("logger", "y")}

    def desired(self, components):
        return {c: {"Labels": {specs.HASH_LABEL: "z"},
                    "TaskTemplate": {"ContainerSpec": {"Image": self.settings.image(c)}}} for c in components}


def test_an_upgrade_to_images_the_manager_lacks_is_refused_and_cluster_json_is_untouched(tmp_path, monkeypatch):
    monkeypatch.setenv("DEIS_DATA_DIR", str(tmp_path))
    manager = Manager({"deis/logger:v1", "deis/router:v1", "deis/logger:v9"}, tmp_path)
    with pytest.raises(ConfigurationError, match=r"lacks deis/router:v9\."):
        upgrade.upgrade(manager, Settings(tag="v9"))
    assert not (tmp_path / "cluster.json").exists() and manager.settings.tag == "v1"


def test_the_order_of_an_upgrade_and_a_platform_restart_is_the_clusters_tier_order():
    assert [c for c in cluster.ORDER if not c.startswith("store-")] == [
        "logger", "logspout", "database", "registry", "controller", "builder", "publisher", "router"]


def test_routers_and_controllers_count_as_running_only_once_they_serve():
    nodes = [specs.Node("n1", "10.0.0.11")]
    router = specs.service_specs(Settings(), nodes)["router"]["TaskTemplate"]["ContainerSpec"]["Healthcheck"]
    controller = control_specs.control_specs(Settings(), nodes)["controller"]["TaskTemplate"]["ContainerSpec"]
    assert "9090" in router["Test"][-1] and "/health-check" in router["Test"][-1]
    assert "8000" in controller["Healthcheck"]["Test"][-1] and "/healthz" in controller["Healthcheck"]["Test"][-1]


# -- the CLI in single-host mode --------------------------------------------------------------------


def test_upgrade_on_one_host_refuses_and_says_what_to_do(tmp_path):
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path), "upgrade", "--tag", "v2"])
    assert result.exit_code == 1
    assert "'deisctl images build'" in result.output and "'deisctl restart platform'" in result.output


def test_rolling_restart_needs_a_component_and_teaches_in_its_help(tmp_path):
    runner = CliRunner()
    assert runner.invoke(main, ["--data-dir", str(tmp_path), "rolling-restart"]).exit_code == 2
    shown = runner.invoke(main, ["--data-dir", str(tmp_path), "rolling-restart", "--help"]).output
    assert "deisctl rolling-restart router" in shown and "On one host this is 'deisctl restart'" in shown
