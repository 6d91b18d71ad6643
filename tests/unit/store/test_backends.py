"""The store interface, run against every backend: ``file``, and ``rados``/``s3`` on a real Ceph.

The Ceph cases use the session's single-node cluster (``ceph`` fixture); each
test gets its own RADOS namespace or S3 bucket, so listings start empty.
"""

import uuid

import pytest

from deis.errors import ConfigurationError
from store import InvalidKey, NotFound, SegmentLog, open_store

CEPH = pytest.mark.integration


@pytest.fixture(params=["file", pytest.param("rados", marks=CEPH), pytest.param("s3", marks=CEPH)])
def store(request, tmp_path):
    name = f"t-{uuid.uuid4().hex[:12]}"
    if request.param == "file":
        backend = open_store(f"file://{tmp_path}/store")
    elif request.param == "rados":
        backend = open_store(request.getfixturevalue("ceph").rados_url(namespace=name))
    else:
        backend = request.getfixturevalue("ceph").s3_store(name)
    yield backend
    if request.param != "file":
        backend.delete_prefix("")
    backend.close()


def test_put_get_replace(store):
    store.put("a/b.txt", b"one")
    store.put("a/b.txt", b"two")
    assert store.get("a/b.txt") == b"two"
    assert store.stat("a/b.txt").size == 3


def test_missing_key_raises_not_found(store):
    with pytest.raises(NotFound):
        store.get("nope")
    assert not store.exists("nope")
    assert store.delete("nope") is False


@pytest.mark.parametrize("key", ["", "/abs", "a/../b", "a//b", "sp ace", "."])
def test_unsafe_keys_are_refused(store, key):
    with pytest.raises(InvalidKey):
        store.put(key, b"x")


def test_append_grows_and_reads_back_in_ranges(store):
    assert store.append("log", b"abc") == 3
    assert store.append("log", b"def") == 6
    assert store.get_range("log", 2, 4) == b"cd"
    assert b"".join(store.stream("log", offset=1, chunk=2)) == b"bcdef"


def test_list_by_prefix_sorted_and_delete_prefix(store):
    for key in ("logs/b/1", "logs/a/2", "logs/a/1", "other"):
        store.put(key, b"x")
    assert [info.key for info in store.list("logs/a/")] == ["logs/a/1", "logs/a/2"]
    assert [info.key for info in store.list("logs/")] == ["logs/a/1", "logs/a/2", "logs/b/1"]
    assert store.delete_prefix("logs/") == 3
    assert [info.key for info in store.list()] == ["other"]


def test_put_after_append_replaces(store):
    store.append("k", b"old")
    store.put("k", b"new")
    store.append("k", b"+")
    assert store.get("k") == b"new+"


def test_unknown_scheme_names_the_known_ones():
    with pytest.raises(ConfigurationError, match="file://, rados://, s3://"):
        open_store("ftp://x/y")


def test_ranges_past_the_end_and_big_objects(store):
    data = bytes(range(256)) * 4096  # 1 MiB
    store.put("big", data)
    assert store.get("big") == data
    assert store.get_range("big", len(data) - 3) == data[-3:]
    assert store.get_range("big", len(data) + 10) == b""
    assert store.get_range("big", 5, 5) == b""
    assert store.stat("big").modified > 0
    with pytest.raises(NotFound):
        store.get_range("missing", 0, 0)


def test_segment_log_rotates_and_keeps_the_newest(store):
    log = SegmentLog(store, "logs/app", segment_bytes=100, keep=2)
    for i in range(60):
        log.append(b"line-%02d\n" % i)
    assert len(log.segments()) == 2
    assert log.tail(3) == [b"line-57", b"line-58", b"line-59"]
    assert list(log.read())[-1] == b"line-59"


def test_segment_log_tail_spans_segments_and_big_lines(store):
    log = SegmentLog(store, "logs/app", segment_bytes=200_000, keep=5)
    log.append(b"small\n" + b"x" * 150_000 + b"\n")
    log.append(b"after\n")
    assert log.tail(3) == [b"small", b"x" * 150_000, b"after"]
    assert log.tail(10) == [b"small", b"x" * 150_000, b"after"]
    assert SegmentLog(store, "logs/none").tail(5) == []


def test_segment_log_resumes_numbering_after_reopen(store):
    SegmentLog(store, "logs/app", segment_bytes=10).append(b"0123456789\n")
    again = SegmentLog(store, "logs/app", segment_bytes=10)
    again.append(b"more\n")
    assert len(again.segments()) == 2
    assert again.delete() == 2
    assert again.tail(1) == []
