"""logspout: tags, Docker timestamps, sequences and checkpoints."""

from logspout.checkpoints import Checkpoints, seconds_of, sequence
from logspout.follower import parse_timestamp_ns, tag_of


def test_app_containers_are_tagged_by_app_and_process():
    assert tag_of("/myapp_v3.web.1") == ("myapp", "web.1")
    assert tag_of("/deis-router") == ("deis-router", "1")


def test_docker_timestamps_keep_nanoseconds_and_trimmed_zeros():
    cache = {}
    assert parse_timestamp_ns(b"1970-01-01T00:00:01.5Z", cache) == 1_500_000_000
    assert parse_timestamp_ns(b"1970-01-01T00:00:02.000000001Z", cache) == 2_000_000_001
    assert parse_timestamp_ns(b"1970-01-01T00:00:03Z", cache) == 3_000_000_000


def test_sequences_order_lines_with_equal_timestamps():
    assert sequence(5, 0) < sequence(5, 1) < sequence(6, 0)
    assert seconds_of(sequence(2_500_000_000, 3)) == 2


def test_checkpoints_survive_a_restart_and_prune(tmp_path):
    checkpoints = Checkpoints(tmp_path / "c.json")
    checkpoints.start("a")
    checkpoints.advance("a", 10)
    checkpoints.advance("a", 5)  # never backwards
    checkpoints.finish("b", 7)
    checkpoints.save()
    again = Checkpoints(tmp_path / "c.json")
    assert again.seq("a") == 10 and again.since == checkpoints.since
    assert not again.complete("b")
    again.advance("b", 7)
    assert again.complete("b")
    again.prune({"a"})
    assert not again.known("b")


def test_a_container_that_exited_in_logspouts_first_second_is_still_shipped(tmp_path):
    from logspout.reconciler import Logspout

    spout = Logspout(client=None, address=lambda: None, data_dir=tmp_path)
    spout.checkpoints.since = 1_700_000_000.8  # logspout started late in that second
    exited = {"Id": "c1", "State": "exited"}
    assert spout._wanted({**exited, "Created": 1_700_000_000})  # Docker's Created: whole seconds
    assert not spout._wanted({**exited, "Id": "c0", "Created": 1_699_999_999})  # before logspout: history
