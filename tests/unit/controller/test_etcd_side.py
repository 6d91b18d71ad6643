from controller import etcd_side


def test_only_router_and_publisher_settings_are_published():
    values = {"DEIS_WHITELIST": "10.0.0.0/8", "HEALTHCHECK_URL": "/health", "HEALTHCHECK_TIMEOUT": 5,
              "SECRET": "x", "POWERED_BY": "Deis", "HEALTHCHECK_INITIAL_DELAY": None}
    assert etcd_side.routed_config(values) == {
        "DEIS_WHITELIST": "10.0.0.0/8", "HEALTHCHECK_URL": "/health", "HEALTHCHECK_TIMEOUT": "5"}


def test_changes_write_only_what_differs_and_delete_what_is_stale():
    desired = {"/a": "1", "/b": "2", "/c": "3"}
    actual = {"/a": "1", "/b": "old", "/stale": "x"}
    assert etcd_side.changes(desired, actual) == ({"/b": "2", "/c": "3"}, ["/stale"])


def test_no_changes_when_equal():
    assert etcd_side.changes({"/a": "1"}, {"/a": "1"}) == ({}, [])


def test_config_root_is_the_parent_of_every_apps_config():
    assert etcd_side.CONFIG_ROOT + "myapp/deis_whitelist" == etcd_side.keys.app_config("myapp", "DEIS_WHITELIST")
