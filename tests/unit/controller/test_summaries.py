"""Release summaries in v1's words."""

from controller.summaries import deployed, dict_diff, release_summary, rollback_summary, scale_event

EMPTY = {"values": {}, "memory": {}, "cpu": {}, "tags": {}}


def config(**fields):
    return {**EMPTY, **fields}


def test_dict_diff():
    diff = dict_diff({"A": 1, "B": 3, "D": 4}, {"B": 2, "C": 1, "D": 4})
    assert (diff.added, diff.changed, diff.deleted) == (["A"], ["B"], ["C"])
    assert not dict_diff({"A": 1}, {"A": 1})


def test_deploy_of_a_git_build_and_of_an_image():
    assert release_summary("alice", EMPTY, EMPTY, deployed("1a2b3c4d5e", "app:git-1a2b")) == "alice deployed 1a2b3c4"
    assert release_summary("alice", EMPTY, EMPTY, deployed("", "nginx:1")) == "alice deployed nginx:1"


def test_config_values_changes():
    old, new = config(values={"B": "1", "C": "1"}), config(values={"A": "1", "B": "2"})
    assert release_summary("alice", old, new) == "alice added A, changed B, deleted C"


def test_limits_and_tags():
    assert release_summary("bob", EMPTY, config(memory={"web": "1G"})) == "bob changed limits for memory"
    assert release_summary("bob", EMPTY, config(memory={"web": "1G"}, cpu={"web": "5"})) == \
        "bob changed limits for memory, cpu"
    assert release_summary("bob", config(tags={"b": "x"}), config(tags={"a": "y"})) == \
        "bob added tag a, deleted tag b"


def test_clauses_are_joined_with_and():
    assert release_summary("bob", EMPTY, config(values={"A": "1"}, cpu={"web": "5"}), "nginx") == \
        "bob deployed nginx and bob added A and bob changed limits for cpu"


def test_nothing_rollback_and_scale():
    assert release_summary("bob", EMPTY, EMPTY) == "bob changed nothing"
    assert rollback_summary("bob", 3) == "bob rolled back to v3"
    assert scale_event("bob", {"web": 2, "worker": 1}) == "bob scaled containers web=2 worker=1"
