"""The syslog listeners: TCP (octet-counted or newline-delimited) and UDP.

A thread per TCP connection (``socketserver``): a client that floods, stalls
mid-frame or sends garbage holds only its own thread, never another app's
lines. After storing what a read brought, the TCP listener writes the
number of frames stored so far on that connection, as ``<count>\\n``: that is
how logspout knows what it may forget (plain syslog TCP has no receipts, so a
logger killed mid-stream would lose what sat in its buffers). Senders that
never read are not slowed: receipts are sent without blocking and a later
one covers any that did not fit.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver

from deis import syslog
from logger.intake import Intake
from store import StoreError

RECV_BYTES = 256 * 1024


class SyslogTCPHandler(socketserver.BaseRequestHandler):
    """Reads one connection until it closes."""

    def handle(self) -> None:
        intake: Intake = self.server.intake
        peer = "{}:{}".format(*self.client_address[:2])
        reader = syslog.FrameReader()
        stored = 0
        while data := self._recv():
            try:
                frames = reader.feed(data)
            except syslog.FrameTooLong as exc:
                intake.receive(exc.frames, peer)
                intake.reject(peer, f"{exc}; connection closed")
                return
            if frames:
                try:
                    intake.receive(frames, peer)
                except StoreError:
                    return  # logged by the intake; closing without a receipt makes the sender resend
                stored += len(frames)
                self._receipt(stored)
        if reader.pending:
            intake.reject(peer, f"connection closed mid-frame; {reader.pending} bytes discarded")

    def _recv(self) -> bytes:
        try:
            return self.request.recv(RECV_BYTES)
        except OSError:
            return b""

    def _receipt(self, stored: int) -> None:
        with contextlib.suppress(OSError):
            self.request.send(b"%d\n" % stored, socket.MSG_DONTWAIT)


class SyslogUDPHandler(socketserver.BaseRequestHandler):
    """One datagram is one message (RFC 5426)."""

    def handle(self) -> None:
        data = self.request[0].rstrip(b"\n")
        if data:
            self.server.intake.receive([data], "{}:{}".format(*self.client_address[:2]))


class TCPServer(socketserver.ThreadingTCPServer):
    """Threaded syslog TCP server."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], intake: Intake):
        self.intake = intake
        super().__init__(address, SyslogTCPHandler)


class UDPServer(socketserver.UDPServer):
    """Single-threaded syslog UDP server: datagrams are small and independent."""

    allow_reuse_address = True
    max_packet_size = 65535

    def __init__(self, address: tuple[str, int], intake: Intake):
        self.intake = intake
        super().__init__(address, SyslogUDPHandler)

    def handle_error(self, request, client_address) -> None:
        """Keep serving; the intake has already logged what failed."""
