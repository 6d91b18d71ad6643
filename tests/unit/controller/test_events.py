"""Controller events are one line each, whatever user text they carry (issue 12, item 11)."""

import logging

from controller import applog
from controller.services import events
from deis import keys

FORGERY = "alice runs 'true\n2024-01-01T00:00:00Z myapp[deis-controller]: admin scaled web=0\x1b[2K'"
ESCAPED = "alice runs 'true\\n2024-01-01T00:00:00Z myapp[deis-controller]: admin scaled web=0\\x1b[2K'"


def test_an_event_with_control_characters_is_recorded_escaped(caplog):
    with caplog.at_level(logging.INFO, logger="deis.app"):
        events.record("myapp", FORGERY)
    (record,) = [r for r in caplog.records if r.name == "deis.app"]
    assert record.event == ESCAPED
    assert record.getMessage() == f"myapp: {ESCAPED}"


def test_the_app_log_handler_ships_one_line_whatever_it_is_given(monkeypatch):
    shipped = []
    monkeypatch.setattr(applog, "deliver", lambda address, message: shipped.append((address, message)))
    handler = applog.AppLogHandler({keys.host("logs"): "127.0.0.1", keys.port("logs"): "514"})
    record = logging.LogRecord("deis.app", logging.INFO, __file__, 1, "myapp: event", None, None)
    record.app_id, record.event = "myapp", FORGERY
    handler.emit(record)
    ((address, message),) = shipped
    assert address == ("127.0.0.1", 514)
    assert (message.app, message.proc, message.text) == ("myapp", "deis-controller", ESCAPED)
