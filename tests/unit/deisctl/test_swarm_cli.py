"""deisctl's cluster-mode pieces that need no engine: parsing, roles, rows, the mode in --help."""

import pytest
from click.testing import CliRunner

from deis.errors import EtcdUnavailable, ValidationError
from deisctl.cli import main
from deisctl.swarm import bootstrap, cluster, rows, state
from deisctl.swarm.bootstrap import Engine
from deisctl.swarm.specs import Settings

# -- bootstrap's pure parts ------------------------------------------------------------


def test_engines_take_an_optional_advertise_address():
    assert bootstrap.parse_engine("unix:///run/h1/docker.sock=10.0.0.11") == Engine(
        "unix:///run/h1/docker.sock", "10.0.0.11")
    assert bootstrap.parse_engine("tcp://10.0.0.12:2375") == Engine("tcp://10.0.0.12:2375", "10.0.0.12")
    assert bootstrap.parse_engine("unix:///var/run/docker.sock") == Engine("unix:///var/run/docker.sock")


@pytest.mark.parametrize("text", ["10.0.0.1", "http://10.0.0.1:2375", "unix:///x.sock="])
def test_bad_engines_are_refused_with_the_shape_to_give(text):
    with pytest.raises(ValidationError, match="unix:///path/docker.sock|empty address"):
        bootstrap.parse_engine(text)


def test_roles_are_parsed_per_host_and_unknown_roles_refused():
    assert bootstrap.parse_roles(["h3=dataPlane, routerMesh", "h1="]) == {
        "h3": frozenset({"dataPlane", "routerMesh"}), "h1": frozenset()}
    with pytest.raises(ValidationError, match="controlPlane, dataPlane, routerMesh"):
        bootstrap.parse_roles(["h3=router"])
    with pytest.raises(ValidationError):
        bootstrap.parse_roles(["dataPlane"])


def test_three_hosts_or_more_get_three_managers():
    assert [bootstrap.manager_count(n) for n in (1, 2, 3, 5)] == [1, 1, 3, 3]


def test_role_labels_replace_roles_and_keep_an_apps_tags():
    labels = {"routerMesh": "true", "environ": "prod"}
    assert bootstrap.role_labels(labels, {"dataPlane"}) == {"environ": "prod", "dataPlane": "true"}


def test_per_host_sockets_become_one_template():
    engines = [Engine(f"unix:///var/lib/bed/h{n}/docker.sock") for n in (1, 2)]
    assert bootstrap.docker_socket(engines, ["h1", "h2"]) == "/var/lib/bed/{{.Node.Hostname}}/docker.sock"
    assert bootstrap.docker_socket([Engine("tcp://a:2375")], ["a"]) == "/var/run/docker.sock"
    with pytest.raises(ValidationError, match="--docker-socket"):
        bootstrap.docker_socket([Engine("unix:///a.sock"), Engine("unix:///b.sock")], ["h1", "h2"])


def test_no_engine_is_refused_before_anything_is_reached():
    with pytest.raises(ValidationError, match="at least one engine"):
        bootstrap.bootstrap([])
    with pytest.raises(ValidationError, match="twice"):
        bootstrap.bootstrap([Engine("tcp://a:1"), Engine("tcp://a:1")])


# -- which components are cluster services -------------------------------------------------


def test_platform_means_every_service_in_v1_tier_order_store_first_and_etcd_is_refused_with_why():
    store = ["store-mon", "store-osd", "store-mgr", "store-gateway"]
    everything = [*store, "logger", "logspout", "database", "registry", "controller", "builder", "publisher",
                  "router"]
    assert cluster.check_components([]) == everything
    assert cluster.check_components(["router", "platform"]) == everything
    assert cluster.check_components(["router", "controller"]) == ["controller", "router"]
    assert cluster.check_components(["router", "store"]) == [*store, "router"]
    with pytest.raises(ValidationError, match="etcd runs on the hosts, one member each"):
        cluster.check_components(["etcd"])


# -- rows -------------------------------------------------------------------------------


def task(node, state="running", desired="running"):
    return {"NodeID": node, "DesiredState": desired, "Status": {"State": state}}


def test_a_global_service_row_counts_wanted_and_running_tasks_and_names_nodes():
    service = {"Spec": {"Name": "deis-router", "Labels": {"com.deis.component": "router"}, "Mode": {"Global": {}}}}
    tasks = [task("n1"), task("n2", "starting"), task("n3", "shutdown", "shutdown")]
    row = rows.service_row(service, tasks, {"n1": "h1", "n2": "h2"})
    assert row == rows.ServiceRow("router", "global", 2, 1, ("h1",))


def test_a_replicated_service_row_wants_its_replicas():
    service = {"Spec": {"Name": "deis-x", "Mode": {"Replicated": {"Replicas": 2}}}}
    assert rows.service_row(service, [task("n1")], {"n1": "h1"}) == rows.ServiceRow(
        "deis-x", "replicated", 2, 1, ("h1",))


def test_machine_rows_say_manager_reachability_and_labels():
    node = {"Spec": {"Labels": {"routerMesh": "true", "dataPlane": "true"}, "Availability": "active"},
            "Description": {"Hostname": "h2"}, "Status": {"State": "ready", "Addr": "10.0.0.12"},
            "ManagerStatus": {"Reachability": "reachable"}}
    assert rows.machine_row(node) == rows.MachineRow(
        "h2", "10.0.0.12", "manager (reachable)", "active", "ready", ("dataPlane=true", "routerMesh=true"))
    leader = {**node, "ManagerStatus": {"Leader": True, "Reachability": "reachable"}}
    assert rows.machine_row(leader).role == "manager (leader)"
    assert rows.machine_row({**node, "ManagerStatus": None}).role == "worker"


def test_a_manager_listening_everywhere_gives_its_address_in_its_manager_status():
    node = {"Status": {"Addr": "0.0.0.0"}, "ManagerStatus": {"Addr": "10.0.0.11:2377"}}
    assert rows.node_address(node) == "10.0.0.11"


def test_tables_align_columns():
    text = rows.format_services([rows.ServiceRow("publisher", "global", 3, 3, ("h1", "h2", "h3")),
                                 rows.ServiceRow("router", "global", 2, 0, ())])
    assert text.splitlines() == [
        "COMPONENT  MODE    RUNNING  NODES",
        "publisher  global  3/3      h1,h2,h3",
        "router     global  0/2      -",
    ]


# -- the cluster file and the mode the CLI says ------------------------------------------------


def test_the_cluster_file_round_trips(tmp_path):
    recorded = state.ClusterState(("unix:///a.sock",), Settings(docker_socket="/b.sock"))
    state.save(recorded, tmp_path / "cluster.json")
    assert state.load(tmp_path / "cluster.json") == recorded
    assert state.load(tmp_path / "none.json") is None


def test_help_says_the_mode_of_the_data_dir(tmp_path):
    runner = CliRunner()
    single = runner.invoke(main, ["--data-dir", str(tmp_path), "--help"])
    assert "Mode: single host" in single.output and "cluster bootstrap" in single.output
    state.save(state.ClusterState(("unix:///a.sock",)), tmp_path / "cluster.json")
    clustered = runner.invoke(main, ["--data-dir", str(tmp_path), "status", "--help"])
    assert "Mode: cluster" in clustered.output and "unix:///a.sock" in clustered.output


def test_cluster_only_commands_refuse_in_single_host_mode(tmp_path):
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path), "machines"])
    assert result.exit_code == 1
    assert "cluster bootstrap" in result.output


def test_bad_scale_and_roles_are_usage_errors_with_nothing_made(tmp_path):
    runner = CliRunner()
    bad_roles = runner.invoke(main, ["--data-dir", str(tmp_path), "cluster", "bootstrap", "tcp://a:1",
                                     "--roles", "a=router"])
    assert bad_roles.exit_code == 1 and "controlPlane" in bad_roles.output
    assert not (tmp_path / "cluster.json").exists()
    state.save(state.ClusterState(("unix:///nonexistent.sock",)), tmp_path / "cluster.json")
    unreachable = runner.invoke(main, ["--data-dir", str(tmp_path), "status"])
    assert unreachable.exit_code == 1 and "no Swarm manager answers" in unreachable.output


def test_config_store_on_a_cluster_records_a_checked_url_in_the_cluster_file(tmp_path):
    runner = CliRunner()
    file = tmp_path / "cluster.json"
    state.save(state.ClusterState(("unix:///a.sock",)), file)
    base = ["--data-dir", str(tmp_path), "config", "store"]
    stored = runner.invoke(main, [*base, "set", "url=file:///srv/deis-store"])
    assert stored.exit_code == 0, stored.output
    assert state.load(file).settings.store == "file:///srv/deis-store"
    assert runner.invoke(main, [*base, "get", "url"]).output == "file:///srv/deis-store\n"
    refused = runner.invoke(main, [*base, "set", "url=file:///srv/../etc"])
    assert refused.exit_code == 1 and "no '..'" in refused.output
    assert state.load(file).settings.store == "file:///srv/deis-store"
    assert runner.invoke(main, [*base, "set", "bucket=x"]).exit_code == 2
    assert runner.invoke(main, [*base, "rm", "url"]).exit_code == 0
    assert state.load(file).settings.store == ""


class _Keys:
    def __init__(self, value=None, error=None):
        self.value, self.error = value, error

    def get(self, key):
        if self.error:
            raise self.error
        assert key == "/deis/store/health", key
        return self.value


def _cluster_with(store: str, etcd: _Keys) -> cluster.Cluster:
    found = cluster.Cluster.__new__(cluster.Cluster)  # no manager to connect to: only the settings matter here
    found.settings = Settings(store=store)
    found.etcd = lambda environ=None: etcd
    return found


def test_status_shows_cephs_health_as_its_gateways_announce_it_only_for_a_ceph_store():
    assert _cluster_with("ceph", _Keys("HEALTH_OK")).store_health() == "HEALTH_OK"
    assert _cluster_with("ceph", _Keys(None)).store_health() == "not announced (no store gateway runs)"
    assert _cluster_with("ceph", _Keys(error=EtcdUnavailable("refused"))).store_health().startswith("unknown (")
    assert _cluster_with("file:///srv/store", _Keys("HEALTH_OK")).store_health() is None
