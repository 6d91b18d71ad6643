"""Parsing of etcd watch stream messages (pure)."""

import base64

import pytest

from deis.errors import EtcdUnavailable
from deis.etcd import Compacted, Event, _events_of, _prefix_end


def b64(text):
    return base64.b64encode(text.encode()).decode()


def test_prefix_end_covers_exactly_the_prefix():
    assert _prefix_end("/deis/services/") == "/deis/services0"


def test_put_and_delete_events_are_decoded_in_order():
    message = {"result": {"events": [
        {"kv": {"key": b64("/deis/a"), "value": b64("1.2.3.4:80"), "mod_revision": "5"}},
        {"type": "DELETE", "kv": {"key": b64("/deis/b"), "mod_revision": "6"}},
    ]}}
    assert list(_events_of(message)) == [
        Event("put", "/deis/a", "1.2.3.4:80", 5),
        Event("delete", "/deis/b", None, 6),
    ]


def test_compaction_is_reported_not_skipped():
    with pytest.raises(Compacted) as caught:
        list(_events_of({"result": {"compact_revision": "42", "canceled": True}}))
    assert caught.value.compact_revision == 42


def test_stream_error_is_unavailable():
    with pytest.raises(EtcdUnavailable):
        list(_events_of({"error": {"message": "boom"}}))


def test_created_and_progress_messages_carry_no_events():
    assert list(_events_of({"result": {"created": True, "header": {"revision": "3"}}})) == []
