"""deis.etcd against a real etcd."""

import threading
import time

import pytest

from deis.errors import EtcdUnavailable, TemporaryError
from deis.etcd import Compacted, Etcd, Event
from tests.services import wait_until


def test_put_get_delete(etcd):
    etcd.put("/deis/platform/domain", "deis.localhost")
    assert etcd.get("/deis/platform/domain") == "deis.localhost"
    assert etcd.delete("/deis/platform/domain")
    assert etcd.get("/deis/platform/domain", "absent") == "absent"


def test_get_prefix_returns_values_and_the_revision_to_watch_from(etcd):
    etcd.put("/deis/services/a/a_v1.web.1", "10.0.0.1:5000")
    etcd.put("/deis/services/a/a_v1.web.2", "10.0.0.1:5001")
    etcd.put("/deis/services/ab/ab_v1.web.1", "10.0.0.2:5000")
    items, revision = etcd.get_prefix("/deis/services/a/")
    assert items == {"/deis/services/a/a_v1.web.1": "10.0.0.1:5000", "/deis/services/a/a_v1.web.2": "10.0.0.1:5001"}
    assert revision == etcd.revision()


def test_unreachable_etcd_raises_our_error():
    with pytest.raises(EtcdUnavailable, match="etcd did not answer"):
        Etcd("http://127.0.0.1:1", timeout=0.5).get("/deis/platform/domain")


def test_leased_keys_vanish_when_the_lease_is_revoked(etcd):
    with etcd.lease(ttl=5) as lease:
        lease.put("/deis/controller/host", "127.0.0.1")
        assert etcd.get("/deis/controller/host") == "127.0.0.1"
    assert etcd.get("/deis/controller/host") is None


def test_lease_is_kept_alive_beyond_its_ttl(etcd):
    with etcd.lease(ttl=2) as lease:
        lease.put("/deis/builder/port", "2223")
        time.sleep(4.5)
        assert etcd.get("/deis/builder/port") == "2223"


def test_lost_lease_is_regranted_and_keys_rewritten(etcd):
    """What happens after etcd was down longer than the TTL: the lease is gone."""
    with etcd.lease(ttl=2) as lease:
        lease.put("/deis/logs/host", "127.0.0.1")
        lease._revoke()  # the lease disappears under the holder's feet
        assert etcd.get("/deis/logs/host") is None
        assert wait_until(lambda: etcd.get("/deis/logs/host"), 5, what="key re-written") == "127.0.0.1"


def test_lock_excludes_a_second_holder_until_released(etcd):
    with etcd.lock("deploy-myapp", timeout=1):
        with pytest.raises(TemporaryError, match="held by another process"):
            with etcd.lock("deploy-myapp", timeout=0.5):
                pass
    with etcd.lock("deploy-myapp", timeout=1):
        pass


def test_watch_replays_history_from_a_revision(etcd):
    start = etcd.revision() + 1
    etcd.put("/deis/domains/a.com", "a")
    etcd.delete("/deis/domains/a.com")
    stop = threading.Event()
    stream = etcd.watch_prefix("/deis/domains/", start, stop)
    first, second = next(stream), next(stream)
    stop.set()
    assert (first.type, first.key, first.value) == ("put", "/deis/domains/a.com", "a")
    assert (second.type, second.value) == ("delete", None)
    assert second.revision == first.revision + 1


def test_watch_from_a_compacted_revision_says_so(etcd):
    start = etcd.revision()
    etcd.put("/deis/domains/b.com", "b")
    etcd.put("/deis/domains/b.com", "b2")
    etcd._post("kv/compaction", {"revision": etcd.revision(), "physical": True}, "compacting")
    with pytest.raises(Compacted):
        next(etcd.watch_prefix("/deis/domains/", start))


def test_watch_delivers_live_changes_and_stops_when_asked(etcd):
    stop = threading.Event()
    seen: list[Event] = []

    def consume():
        for event in etcd.watch_prefix("/deis/services/", etcd.revision() + 1, stop):
            seen.append(event)

    worker = threading.Thread(target=consume)
    worker.start()
    time.sleep(0.3)
    etcd.put("/deis/services/a/a_v1.web.1", "10.0.0.1:5000")
    wait_until(lambda: seen, 5, what="event delivered")
    stop.set()
    worker.join(3)
    assert not worker.is_alive()
    assert seen[0].key == "/deis/services/a/a_v1.web.1"


def test_announce_publishes_host_and_port_until_withdrawn(etcd):
    from deis.etcd import announce

    lease = announce(etcd, "controller", "10.1.2.3", 8000, ttl=5)
    assert etcd.get("/deis/controller/host") == "10.1.2.3"
    assert etcd.get("/deis/controller/port") == "8000"
    lease.__exit__(None, None, None)
    assert etcd.get("/deis/controller/host") is None


def test_each_replica_announces_its_own_key_and_a_survivor_takes_the_single_pair_back(etcd):
    from deis.etcd import announce, discover_all

    first = announce(etcd, "controller", "10.1.2.3", 8000, ttl=2)
    second = announce(etcd, "controller", "10.1.2.4", 8000, ttl=2)
    try:
        assert discover_all(etcd, "controller") == [("10.1.2.3", 8000), ("10.1.2.4", 8000)]
        assert etcd.get("/deis/controller/host") == "10.1.2.3"  # the first holds v1's pair; the second left it
        first.__exit__(None, None, None)
        assert discover_all(etcd, "controller") == [("10.1.2.4", 8000)]
        assert wait_until(lambda: etcd.get("/deis/controller/host"), 5, what="pair re-created") == "10.1.2.4"
        assert etcd.get("/deis/controller/port") == "8000"
    finally:
        second.__exit__(None, None, None)
    assert discover_all(etcd, "controller") == []


def test_registries_of_a_cluster_share_loopback_as_the_image_host_and_keep_their_node_addresses(etcd):
    """Images are named 127.0.0.1:5000/…; the controller's hygiene reaches an instance at its node address."""
    from deis.etcd import announce
    from deis.images import registry_address, registry_api_address

    leases = [announce(etcd, "registry", host, 5000, ttl=5, shared_host="127.0.0.1")
              for host in ("10.1.2.3", "10.1.2.4")]
    try:
        assert registry_address(etcd) == "127.0.0.1:5000"
        assert registry_api_address(etcd) == "10.1.2.3:5000"
        leases.pop(0).__exit__(None, None, None)
        assert registry_api_address(etcd) == "10.1.2.4:5000"
        assert wait_until(lambda: registry_address(etcd), 5, what="pair re-created") == "127.0.0.1:5000"
    finally:
        for lease in leases:
            lease.__exit__(None, None, None)
    assert registry_address(etcd) is None and registry_api_address(etcd) is None
