"""An app's log, read from the logger's HTTP API (``deis logs``).

The logger announces ``/deis/logs/host``, its syslog ``/port`` and its HTTP
``/httpPort``; v1's request shape is kept: ``GET http://<logger>/<app>?log_lines=N``,
plus ``&follow=1`` for a stream that keeps sending new lines (``deis logs -f``).
Before a logger is announced, or while it holds nothing for the app, there is no log.
"""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
from collections.abc import Iterator

import requests

from controller.errors import BadRequest, ServiceUnavailable
from controller.numbers import quoted, whole_number
from deis import keys
from deis.etcd import discover
from deis.settings import KeyReader

#: v1's ``LOG_LINES``: lines returned when the request names no number.
DEFAULT_LINES = 1000
#: The most lines one request may ask for: the logger holds them in memory to answer.
MAX_LINES = 10_000
#: Seconds the logger may take to answer.
TIMEOUT = 10.0
#: Seconds a follow stream waits for a line before it yields ``b""`` (see :func:`follow`).
IDLE_TICK = 2.0
#: Chunks a follow stream buffers between the logger and a slow client.
PUMPED_CHUNKS = 256
#: The name the logger announces itself under.
LOGGER = "logs"


def lines_wanted(raw: str | None, default: int = DEFAULT_LINES) -> int:
    """Parse ``?log_lines=`` (a whole number from 1 to :data:`MAX_LINES`, default 1000)."""
    if raw in (None, ""):
        return default
    lines = whole_number(raw)
    if not lines:
        raise BadRequest(f"log_lines must be a positive number of lines, not {quoted(raw)}")
    if lines > MAX_LINES:
        raise BadRequest(f"log_lines must be at most {MAX_LINES} (deis logs -n {MAX_LINES}), not {quoted(raw)}")
    return lines


def logger_url(etcd: KeyReader | None) -> str | None:
    """Return the announced logger's HTTP base URL, or ``None`` when there is none."""
    if etcd is None:
        return None
    found = discover(etcd, LOGGER, port_key=keys.logger_http_port())
    return f"http://{found[0]}:{found[1]}" if found else None


def _get(etcd: KeyReader | None, app_id: str, **params) -> requests.Response | None:
    base = logger_url(etcd)
    if base is None:
        return None
    stream = bool(params.get("follow"))
    try:
        response = requests.get(f"{base}/{app_id}", params=params, timeout=(TIMEOUT, None if stream else TIMEOUT),
                                stream=stream)
    except requests.RequestException as exc:
        message = f"Error accessing logs for {app_id}: the logger at {base} did not answer ({exc})"
        raise ServiceUnavailable(message) from exc
    if not response.ok and response.status_code not in (204, 404):
        raise ServiceUnavailable(f"Error accessing logs for {app_id}: the logger answered {response.status_code}")
    return response


def fetch(etcd: KeyReader | None, app_id: str, lines: int) -> bytes | None:
    """Return the last ``lines`` lines of the app's log as the logger stored them, or ``None``.

    Bytes, not text: the lines are UTF-8 (or whatever the app wrote), and
    decoding by the response's declared charset mangled them.
    """
    response = _get(etcd, app_id, log_lines=lines)
    if response is None or response.status_code in (204, 404) or not response.content:
        return None
    return response.content


def follow(etcd: KeyReader | None, app_id: str, lines: int, tick: float = IDLE_TICK) -> Iterator[bytes] | None:
    """Return a stream of the last ``lines`` lines and then every new one, or ``None`` without a logger.

    The stream yields ``b""`` after each ``tick`` seconds without a line: the
    caller's chance to see whether its client is still there (the logger
    sends nothing while an app is quiet, so a gone client is otherwise only
    noticed at the next line). Closing the stream closes the logger's.
    """
    response = _get(etcd, app_id, log_lines=lines, follow=1)
    if response is None:
        return None
    received: queue.Queue[bytes | None] = queue.Queue(maxsize=PUMPED_CHUNKS)
    threading.Thread(target=_pump, args=(response, received), name=f"follow-{app_id}", daemon=True).start()

    def chunks() -> Iterator[bytes]:
        try:
            while True:
                try:
                    chunk = received.get(timeout=tick)
                except queue.Empty:
                    yield b""
                    continue
                if chunk is None:
                    return
                yield chunk
        finally:
            _hang_up(response)
            while not received.empty():  # a pump blocked on a full queue may go on, and end
                received.get_nowait()

    return chunks()


def _pump(response: requests.Response, received: queue.Queue) -> None:
    """Move the logger's chunks into ``received``, then ``None`` when its stream ends or breaks."""
    try:
        for chunk in response.iter_content(chunk_size=None):
            received.put(chunk)
    except Exception:  # hung up under us: whatever urllib3 raises then, the stream is over
        pass
    finally:
        received.put(None)


def _hang_up(response: requests.Response) -> None:
    """Close the logger's stream at once: shut its socket down, which wakes a pump blocked reading it."""
    sock = getattr(getattr(response.raw, "_connection", None), "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    response.close()


def delete(etcd: KeyReader | None, app_id: str) -> None:
    """Delete an app's log at the logger (``deis apps:destroy``); no logger, nothing to delete."""
    base = logger_url(etcd)
    if base is None:
        return
    try:
        requests.delete(f"{base}/{app_id}", timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise ServiceUnavailable(f"Could not delete the logs of {app_id}: the logger at {base} did not answer "
                                 f"({exc}); try 'deis apps:destroy' again") from exc
