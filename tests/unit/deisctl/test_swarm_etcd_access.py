"""etcd's root password on a cluster: generated once, kept in a Docker secret, mounted into platform tasks."""

import stat

import docker
import pytest

from deis import etcdauth
from deis.errors import ConfigurationError
from deisctl.swarm import control_specs, etcd_access, specs
from deisctl.swarm.specs import Node, Settings

NODES = [Node("n1", "10.0.0.11"), Node("n2", "10.0.0.12")]


def test_the_password_is_generated_once_into_a_file_only_root_reads(tmp_path):
    environ = {"DEIS_DATA_DIR": str(tmp_path)}
    first = etcdauth.ensure_password(environ)
    assert len(first) >= 32 and etcdauth.ensure_password(environ) == first
    path = etcdauth.password_file(environ)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert etcdauth.ensure_password({**environ, "DEIS_ETCD_PASSWORD": "given"}) == "given"


def test_a_new_password_makes_a_new_secret_name_that_does_not_show_the_password():
    name = etcd_access.secret_name("s3cret")
    assert name.startswith(etcd_access.SECRET_PREFIX) and "s3cret" not in name
    assert name == etcd_access.secret_name("s3cret") != etcd_access.secret_name("other")


def test_every_platform_task_reads_the_password_from_a_root_only_secret_file_not_its_environment():
    settings = Settings(store="file:///srv/store")
    built = {**specs.service_specs(settings, NODES), **control_specs.control_specs(settings, NODES)}
    for component, spec in built.items():
        mounted = etcd_access.with_password(spec, "sid", "deis-etcd-password-abc")
        container = mounted["TaskTemplate"]["ContainerSpec"]
        assert f"DEIS_ETCD_PASSWORD_FILE={etcd_access.TARGET}" in container["Env"], component
        assert not any(line.startswith("DEIS_ETCD_PASSWORD=") for line in container["Env"]), component
        assert container["Secrets"] == [{"SecretID": "sid", "SecretName": "deis-etcd-password-abc",
                                         "File": {"Name": "deis-etcd-password", "UID": "0", "GID": "0",
                                                  "Mode": 0o400}}]
        assert mounted["Labels"][specs.HASH_LABEL] == specs.spec_hash(mounted) != spec["Labels"][specs.HASH_LABEL]


def test_mounting_again_replaces_the_old_password_secret_and_keeps_others():
    spec = specs.service_specs(Settings(), NODES)["router"]
    spec["TaskTemplate"]["ContainerSpec"]["Secrets"] = [{"SecretID": "x", "SecretName": "deis-store-identity"}]
    once = etcd_access.with_password(spec, "a", "deis-etcd-password-a")
    twice = etcd_access.with_password(once, "b", "deis-etcd-password-b")
    names = [entry["SecretName"] for entry in twice["TaskTemplate"]["ContainerSpec"]["Secrets"]]
    assert names == ["deis-store-identity", "deis-etcd-password-b"]
    assert twice["TaskTemplate"]["ContainerSpec"]["Env"].count(f"DEIS_ETCD_PASSWORD_FILE={etcd_access.TARGET}") == 1


def test_etcd_is_deis_etcd_else_the_setting_else_every_nodes_member():
    nodes = [{"Status": {"Addr": "10.0.0.12"}},
             {"Status": {"Addr": "0.0.0.0"}, "ManagerStatus": {"Addr": "10.0.0.11:2377"}}]
    assert etcd_access.etcd_endpoint(Settings(), nodes, {}) == "http://10.0.0.11:2379,http://10.0.0.12:2379"
    assert etcd_access.etcd_endpoint(Settings(etcd="http://e:2379"), nodes, {}) == "http://e:2379"
    assert etcd_access.etcd_endpoint(Settings(etcd="http://e:2379"), nodes, {"DEIS_ETCD": "http://f:1"}) == "http://f:1"
    with pytest.raises(ConfigurationError, match="DEIS_ETCD"):
        etcd_access.etcd_endpoint(Settings(), [{"Status": {}}], {})


def test_old_password_secrets_no_service_names_are_removed_and_others_stay():
    class API:
        removed = []

        def secrets(self, filters):
            return [{"ID": i, "Spec": {"Name": n}} for i, n in (("1", "deis-etcd-password-old1"),
                                                               ("2", "deis-etcd-password-inuse"),
                                                               ("3", "deis-etcd-password-new"),
                                                               ("4", "other"))]

        def remove_secret(self, secret_id):
            if secret_id == "2":
                raise docker.errors.APIError("secret is in use by service deis-router")
            self.removed.append(secret_id)

    api = API()
    assert etcd_access.remove_old(api, keep="deis-etcd-password-new") == ["deis-etcd-password-old1"]
    assert api.removed == ["1"], "the one a service still names, the kept one and others stay"
