"""deis-logger on Ceph: an app's lines rotate into segments in a radosgw bucket and come back whole,
and on RADOS (what a Ceph platform gives the logger) they survive the OSD being killed.

The logger's store is ``s3://<bucket>?endpoint=<gateway>`` on the session's
Ceph, with the gateway's keys in ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``
as a platform host passes them. Segments are small, so a few thousand lines
make several; every line must come back once and in order over the HTTP API,
and the segments must be objects in the bucket — nothing in a local folder.

# deis logs (the store's side)
"""

from __future__ import annotations

import signal
import socket
import threading
import time
import uuid

import pytest

from deis import syslog
from store import rados as rados_store
from tests.services import LoggerProcess, wait_until

pytest_plugins = ["tests.registries"]  # the images and bucket fixtures

LINES = 3000
#: Lines per write; the logger's receipt for each is awaited before the next.
BATCH = 50
#: Longer than a RADOS operation may take (then the logger's append fails and the sender resends).
OUTAGE = rados_store.TIMEOUT + 3
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


def test_on_rados_lines_sent_while_the_osd_is_down_past_an_op_timeout_are_stored_once_in_order(etcd, tmp_path, ceph):
    namespace = f"logs-{uuid.uuid4().hex[:8]}"
    logger = LoggerProcess(etcd.endpoint, tmp_path / "store")
    logger.environ.update(DEIS_LOGGER_STOREURL=ceph.rados_url(namespace), DEIS_LOGGER_SEGMENTBYTES=str(64 << 10))
    logger.start()
    app = f"rados-{uuid.uuid4().hex[:8]}"
    # Marked as logspout marks them (container, sequence): a batch sent again after a failure is stored once.
    frames = [syslog.frame(syslog.Message(app, "web.1", f"line {n:05d}", source="c0ffee", seq=n))
              for n in range(2000)]
    sender = ResendingSender(logger.port, frames)
    osd = ceph.cluster.processes["osd"]
    try:
        sender.start()
        wait_until(lambda: sender.acked >= 500, 60, what="500 lines stored before the kill")
        osd.send_signal(signal.SIGKILL)
        osd.wait(10)
        killed, acked_at_kill = time.monotonic(), sender.acked
        assert acked_at_kill < len(frames), "the kill must come while lines are still being sent"
        time.sleep(OUTAGE)
        ceph.cluster.restart_dead()
        ceph.cluster.wait_for_osd(60)
        revived = time.monotonic() - killed
        sender.join(120)
        assert not sender.is_alive(), f"the sender is stuck at {sender.acked} lines"
        texts = [syslog.parse_line(line).text for line in logger.lines(app)]
        print(f"\nlogger on RADOS, OSD killed after {acked_at_kill} lines: back in {revived:.1f} s; "
              f"{sender.retries} reconnects; {len(texts)} lines stored")
        assert texts == [f"line {n:05d}" for n in range(2000)]
    finally:
        ceph.cluster.restart_dead()
        logger.stop()


class ResendingSender(threading.Thread):
    """Sends frames in batches, as logspout does: forgets only what a receipt covers, resends the rest.

    One batch every ``pace`` seconds, like an app that logs steadily (2000 lines take ~4 s).
    """

    def __init__(self, port: int, frames: list[bytes], pace: float = 0.1):
        super().__init__(daemon=True)
        self.port, self.frames, self.pace = port, frames, pace
        self.acked = 0
        self.retries = 0

    def run(self) -> None:
        while self.acked < len(self.frames):
            try:
                self._send_from(self.acked)
            except OSError:
                self.retries += 1
                time.sleep(0.5)

    def _send_from(self, start: int) -> None:
        with socket.create_connection(("127.0.0.1", self.port)) as connection:
            connection.settimeout(20)
            received, sent = b"", start
            while sent < len(self.frames):
                batch = self.frames[sent:sent + BATCH]
                connection.sendall(b"".join(batch))
                sent += len(batch)
                while not received.endswith(b"\n") or start + int(received.split(b"\n")[-2]) < sent:
                    data = connection.recv(4096)
                    if not data:
                        raise ConnectionError("the logger closed the connection")
                    received += data
                self.acked = sent
                time.sleep(self.pace)
