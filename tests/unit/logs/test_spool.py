"""logspout.spool: memory, then disk, then counted drops with an exact notice."""

from deis import syslog
from logspout.spool import Item, Spool


def item(i, container="c1"):
    frame = syslog.frame(syslog.Message("app", "web.1", f"line-{i}", source=container, seq=i))
    return Item(frame, container, i, "app", "web.1")


def drain(spool):
    out = []
    while batch := spool.take(7, 0):
        out.extend(batch)
    return out


def test_memory_then_disk_keeps_order(tmp_path):
    spool = Spool(tmp_path, memory_bytes=500, disk_bytes=1 << 20)
    for i in range(100):
        assert spool.put(item(i))
    assert spool.stats["spilled"] > 0
    assert [x.seq for x in drain(spool)] == list(range(100))
    assert len(spool) == 0


def test_past_both_bounds_lines_drop_and_a_notice_counts_them_exactly(tmp_path):
    spool = Spool(tmp_path, memory_bytes=400, disk_bytes=400)
    accepted = [i for i in range(100) if spool.put(item(i))]
    dropped = 100 - len(accepted)
    assert dropped > 0 and spool.stats["dropped"] == dropped
    out = drain(spool)
    assert spool.put(item(100))  # room again: the notice goes first
    out += drain(spool)
    notices = [x for x in out if b"logspout dropped" in x.frame]
    assert len(notices) == 1
    assert f"dropped {dropped} lines".encode() in notices[0].frame
    assert notices[0].seq == 99  # confirming it moves the checkpoint past the dropped lines
    assert out[-1].seq == 100


def test_empty_take_waits_at_most_the_timeout(tmp_path):
    assert Spool(tmp_path, 100, 100).take(10, 0.01) == []
