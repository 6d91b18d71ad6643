"""deis/cli/output.py: v1's list headers, aligned pairs and tab columns."""

from deis.cli.output import drink, header, limit_count, pretty_tabs, tab_columns


def test_limit_count_only_when_truncated():
    assert limit_count(3, 3) == ""
    assert limit_count(2, 5) == " (2 of 5)"
    assert header("Apps", 2, 5) == "=== Apps (2 of 5)"
    assert header("Apps") == "=== Apps"


def test_pretty_tabs_aligns_values_past_the_longest_key():
    assert pretty_tabs({"PORT": 5000, "DATABASE_URL": "x"}, 6) == \
        "DATABASE_URL      x\nPORT              5000\n"
    assert pretty_tabs({}, 6) == ""


def test_tab_columns_pads_with_tabs_like_go_tabwriter():
    rows = [("v2", "2014-01-02T00:00:00UTC", "alice deployed x"), ("v10", "2014-01-01T00:00:00UTC", "init")]
    text = tab_columns(rows)
    assert text.splitlines() == ["v2\t2014-01-02T00:00:00UTC\talice deployed x",
                                 "v10\t2014-01-01T00:00:00UTC\tinit"]
    assert tab_columns([("a" * 8, "b")]) == "aaaaaaaa\tb\n"


def test_drink_of_choice(monkeypatch):
    assert drink() == "coffee"
    monkeypatch.setenv("DEIS_DRINK_OF_CHOICE", "tea")
    assert drink() == "tea"
