"""The app network and the firewall chain, as pure decisions (deis.isolation)."""

from deis import isolation


def test_the_app_network_is_a_labelled_bridge_with_inter_container_traffic_off():
    options = isolation.network_options("deis-apps")
    assert options["driver"] == "bridge"
    assert options["options"] == {"com.docker.network.bridge.enable_icc": "false"}
    assert options["labels"] == {"deis.network": "apps"}


def test_the_bridge_interface_is_dockers_name_unless_one_was_given():
    assert isolation.bridge_interface({"Id": "0123456789abcdef", "Options": {}}) == "br-0123456789ab"
    named = {"Id": "0123456789abcdef", "Options": {"com.docker.network.bridge.name": "deis0"}}
    assert isolation.bridge_interface(named) == "deis0"


def test_the_chain_lets_replies_in_and_drops_everything_else_from_each_app_bridge():
    assert isolation.chain_rules(["br-a", "br-b"]) == [
        ["-A", "DEIS-ISOLATION", "-i", "br-a", "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "RETURN"],
        ["-A", "DEIS-ISOLATION", "-i", "br-a", "-j", "DROP"],
        ["-A", "DEIS-ISOLATION", "-i", "br-b", "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "RETURN"],
        ["-A", "DEIS-ISOLATION", "-i", "br-b", "-j", "DROP"],
    ]


def test_the_restore_text_declares_and_fills_only_the_platforms_chain():
    text = isolation.restore_input(["br-a"])
    lines = text.splitlines()
    assert lines[:2] == ["*filter", ":DEIS-ISOLATION - [0:0]"] and lines[-1] == "COMMIT"
    assert all(line.startswith("-A DEIS-ISOLATION ") for line in lines[2:-1])
    assert "INPUT" not in text and "FORWARD" not in text


def test_a_containers_ip_is_its_address_on_the_app_network():
    attrs = {"NetworkSettings": {"Networks": {"bridge": {"IPAddress": "172.17.0.5"},
                                              "deis-apps": {"IPAddress": "172.18.0.7"}}}}
    assert isolation.container_ip(attrs) == "172.18.0.7"
    assert isolation.container_ip(attrs, "other") == "172.17.0.5"  # a container from before the network
    assert isolation.container_ip({"NetworkSettings": {"Networks": {"deis-apps": {"IPAddress": ""}}}}) is None
