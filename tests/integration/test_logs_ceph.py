"""deis-logger on Ceph: an app's lines rotate into segments in a radosgw bucket and come back whole.

The logger's store is ``s3://<bucket>?endpoint=<gateway>`` on the session's
Ceph, with the gateway's keys in ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``
as a platform host passes them. Segments are small, so a few thousand lines
make several; every line must come back once and in order over the HTTP API,
and the segments must be objects in the bucket — nothing in a local folder.

# deis logs (the store's side)
"""

from __future__ import annotations

import socket
import time
import uuid

import pytest

from deis import syslog
from tests.integration import test_registry_ceph as ceph_tests
from tests.services import LoggerProcess

# The throwaway bucket of the registry's Ceph tests, for this module too.
bucket = ceph_tests.bucket

LINES = 3000
#: Lines per write; the logger's receipt for each is awaited before the next.
BATCH = 50
#: Small segments: 3000 lines of ~110 bytes rotate about ten times.
SEGMENT_BYTES = 32 << 10


@pytest.fixture
def ceph_logger(etcd, tmp_path, ceph, bucket):
    """A running deis-logger whose store is ``bucket`` on Ceph's S3 gateway."""
    process = LoggerProcess(etcd.endpoint, tmp_path / "store")
    process.environ.update(DEIS_LOGGER_STOREURL=ceph.s3_url(bucket), DEIS_LOGGER_SEGMENTBYTES=str(SEGMENT_BYTES),
                           DEIS_LOGGER_KEEPSEGMENTS="1000", **ceph.s3_environ)
    process.start()
    yield process
    process.stop()


def send_with_receipts(port: int, frames: list[bytes]) -> None:
    """Send ``frames`` in batches over one connection, waiting for the logger's count after each."""
    with socket.create_connection(("127.0.0.1", port)) as connection:
        connection.settimeout(30)
        received = b""
        for first in range(0, len(frames), BATCH):
            batch = frames[first:first + BATCH]
            connection.sendall(b"".join(batch))
            wanted = first + len(batch)
            while not received.endswith(b"\n") or int(received.split(b"\n")[-2]) < wanted:
                data = connection.recv(4096)
                assert data, f"the logger closed the connection after {received.split()[-1:]} of {wanted} lines"
                received += data


def test_lines_rotate_into_bucket_segments_and_come_back_complete_and_in_order(ceph_logger, ceph, bucket, tmp_path):
    app = f"ceph-{uuid.uuid4().hex[:8]}"
    texts = [f"line {i:05d} " + "x" * 60 for i in range(LINES)]
    started = time.monotonic()
    send_with_receipts(ceph_logger.port, [syslog.frame(syslog.Message(app, "web.1", text)) for text in texts])
    store_seconds = time.monotonic() - started

    started = time.monotonic()
    lines = ceph_logger.lines(app)
    read_seconds = time.monotonic() - started
    parsed = [syslog.parse_line(line) for line in lines]
    assert [message.text for message in parsed] == texts
    assert {(message.app, message.proc) for message in parsed} == {(app, "web.1")}
    assert ceph_logger.lines(app, 10) == lines[-10:]

    store = ceph.s3_store(bucket)
    segments = store.list(f"logs/{app}/")
    assert len(segments) >= 2, f"no rotation: {segments}"
    assert all(segment.size <= SEGMENT_BYTES for segment in segments)
    records = b"".join(store.get(segment.key) for segment in segments).splitlines()
    assert [record.split(b" ", 1)[1] for record in records] == [line.encode() for line in lines]
    assert not (tmp_path / "store").exists()
    print(f"\nlogger on Ceph: {LINES} lines stored (receipts awaited every {BATCH}) in {store_seconds:.2f} s, "
          f"read back in {read_seconds:.2f} s; {len(segments)} segments of <= {SEGMENT_BYTES >> 10} KiB in {bucket}")
