"""deis.syslog: the RFC 5424 / RFC 6587 contract and the deis logs line."""

from datetime import UTC, datetime

import pytest

from deis import syslog

MOMENT = datetime(2016, 1, 19, 17, 3, 12, 123456, tzinfo=UTC)


def message(text="hello", **fields):
    return syslog.Message("myapp", "web.1", text, MOMENT, **fields)


def test_encode_puts_app_as_app_name_and_process_as_procid():
    assert syslog.encode(message()) == b"<14>1 2016-01-19T17:03:12.123456Z - myapp web.1 - - hello"


def test_frame_is_octet_counted():
    body = syslog.encode(message())
    assert syslog.frame(message()) == b"%d %s" % (len(body), body)


def test_round_trip_keeps_fields_and_origin():
    sent = message("a ] \" \\ tricky", source="abc123", seq=42, severity=syslog.ERR, hostname="h1")
    assert syslog.decode(syslog.encode(sent)) == sent


def test_round_trip_keeps_invalid_utf8_nul_and_64k():
    for raw in (b"\xff\xfe\x00 bytes", "é✓".encode(), b"x" * 65536):
        text = raw.decode("utf-8", syslog.ERRORS)
        assert syslog.encode(syslog.decode(syslog.encode(message(text)))).endswith(raw)


def test_v1_line_is_read():
    parsed = syslog.decode(b"2016-01-19T17:03:12UTC example-go[web.1]: listening on 5000...")
    assert (parsed.app, parsed.proc, parsed.text) == ("example-go", "web.1", "listening on 5000...")
    assert parsed.time == datetime(2016, 1, 19, 17, 3, 12, tzinfo=UTC)


def test_foreign_structured_data_and_bom_are_skipped():
    data = b'<165>1 2003-10-11T22:14:15.003Z host app 7 ID47 [exampleSDID@32473 iut="3" x="]"] \xef\xbb\xbfmsg'
    parsed = syslog.decode(data)
    assert (parsed.app, parsed.proc, parsed.text, parsed.severity, parsed.source) == ("app", "7", "msg", 5, "")


UNREADABLE = [b"garbage", b"<999>1 x", b"<14>1 2016", b"<14>1 - - - - - [open", b"<14>1 - h - p - -"]


@pytest.mark.parametrize("data", UNREADABLE)
def test_unreadable_messages_raise(data):
    with pytest.raises(syslog.SyslogError):
        syslog.decode(data)


def test_format_line_is_the_deis_logs_line():
    assert syslog.format_line(message()) == "2016-01-19T17:03:12.123456Z myapp[web.1]: hello"
    assert syslog.parse_line(syslog.format_line(message())).text == "hello"


def test_parse_time_takes_docker_nanoseconds_and_trimmed_zeros():
    assert syslog.parse_time("2026-11-22T06:20:36.023239034Z").microsecond == 23239
    assert syslog.parse_time("2026-11-22T06:20:36Z").second == 36


def test_frame_reader_splits_counted_frames_fed_byte_by_byte():
    frames = [syslog.frame(message(f"n{i}")) for i in range(3)]
    reader = syslog.FrameReader()
    out = [body for byte in b"".join(frames) for body in reader.feed(bytes([byte]))]
    assert out == [syslog.encode(message(f"n{i}")) for i in range(3)]
    assert reader.pending == 0


def test_frame_reader_mixes_counted_frames_and_v1_lines():
    reader = syslog.FrameReader()
    data = b"2016-01-19T17:03:12UTC a[web.1]: v1\r\n" + syslog.frame(message()) + b"\n\n<14>1 - - a p - - nl\n"
    assert reader.feed(data) == [b"2016-01-19T17:03:12UTC a[web.1]: v1", syslog.encode(message()),
                                 b"<14>1 - - a p - - nl"]


def test_frame_reader_refuses_a_frame_that_lies_about_its_length():
    reader = syslog.FrameReader(max_frame=1000)
    with pytest.raises(syslog.FrameTooLong) as caught:
        reader.feed(syslog.frame(message()) + b"99999 <14>1 ...")
    assert caught.value.frames == [syslog.encode(message())]


def test_frame_reader_cuts_endless_lines():
    reader = syslog.FrameReader(max_frame=10)
    assert reader.feed(b"abcdefghijklmnopqrstuvwxy") == [b"abcdefghij", b"klmnopqrst"]
    assert reader.feed(b"z\n") == [b"uvwxyz"]


def test_a_frame_holding_a_64k_line_fits():
    big = message("x" * 65536, source="c" * 12, seq=10**21)
    assert syslog.FrameReader().feed(syslog.frame(big)) == [syslog.encode(big)]
