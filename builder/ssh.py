"""What the SSH server allows: public-key auth, one session channel, one exec (or shell).

Everything is refused unless granted here: password and keyboard-interactive
auth, channels other than ``session`` (``direct-tcpip``, ``x11``), port
forwarding, agent forwarding, ``env``, ``pty`` and subsystems (``sftp``). A
shell or exec request is accepted only so the session can answer it with a
one-line reason and an exit status (see :mod:`builder.session`); nothing is
run and nothing is written before the command is parsed and allowed.

The algorithms offered are chosen here too (:func:`harden`): paramiko's
defaults still include CBC ciphers, MD5/SHA-1 MACs and NIST-curve key
exchange, which ``ssh-audit`` fails. Strict key exchange
(``kex-strict-s-v00@openssh.com``, the Terrapin fix) is paramiko's default
since 3.4 and stays on.
"""

from __future__ import annotations

import logging
import threading

import paramiko

from builder.controller_client import ControllerUnavailable, HookRefused, Hooks

log = logging.getLogger(__name__)

#: What ``exec_request`` records for a shell request (no command at all).
SHELL = None

#: The only algorithms the builder offers, best first; those this paramiko lacks are left out.
#: OpenSSH has had all of them since 6.5 (2014), so every git client can connect.
KEX = ("mlkem768x25519-sha256", "curve25519-sha256@libssh.org", "diffie-hellman-group16-sha512")
CIPHERS = ("aes256-gcm@openssh.com", "aes128-gcm@openssh.com", "aes256-ctr", "aes192-ctr", "aes128-ctr")
#: Encrypt-then-MAC only (the GCM ciphers carry their own).
MACS = ("hmac-sha2-512-etm@openssh.com", "hmac-sha2-256-etm@openssh.com")


def harden(transport: paramiko.Transport) -> None:
    """Restrict ``transport`` to :data:`KEX`, :data:`CIPHERS` and :data:`MACS`."""
    options = transport.get_security_options()
    options.kex = [name for name in KEX if name in transport.preferred_kex]
    options.ciphers = [name for name in CIPHERS if name in transport.preferred_ciphers]
    options.digests = [name for name in MACS if name in transport.preferred_macs]


class SSHPolicy(paramiko.ServerInterface):
    """The paramiko server interface of one connection."""

    def __init__(self, hooks: Hooks, transport: paramiko.Transport):
        self.hooks = hooks
        self.transport = transport
        # The last key accepted by check_auth_publickey. paramiko calls it before
        # verifying the signature, so it names the user only once the transport
        # says authentication succeeded (after which paramiko ignores auth requests).
        self._candidate: tuple[str, str] | None = None
        #: The raw command of the exec request (``None``: a shell request).
        self.command: bytes | None = SHELL
        self.requested = threading.Event()
        self._owners: dict[str, str | None] = {}

    # -- authentication --------------------------------------------------

    def get_allowed_auths(self, username: str) -> str:
        """Offer public-key authentication only."""
        return "publickey"

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        """Accept a key the controller knows; the SSH user name does not matter."""
        owner = self._owner(key.fingerprint)
        if owner is None:
            return paramiko.AUTH_FAILED
        self._candidate = (owner, key.fingerprint)
        return paramiko.AUTH_SUCCESSFUL

    @property
    def user(self) -> str | None:
        """The Deis user the verified key belongs to (``None`` before authentication)."""
        return self._candidate[0] if self._candidate and self.transport.is_authenticated() else None

    @property
    def fingerprint(self) -> str:
        """The SHA256 fingerprint of the verified key."""
        return self._candidate[1] if self.user else ""

    def _owner(self, fingerprint: str) -> str | None:
        # paramiko asks twice per key (query, then signed); ask the controller once.
        if fingerprint not in self._owners:
            self._owners[fingerprint] = self._lookup(fingerprint)
        return self._owners[fingerprint]

    def _lookup(self, fingerprint: str) -> str | None:
        try:
            return self.hooks.key_owner(fingerprint)
        except HookRefused:
            log.info("refused unknown key %s", fingerprint)
        except ControllerUnavailable as exc:
            log.warning("cannot check key %s: %s", fingerprint, exc)
        return None

    # -- channels and requests ----------------------------------------------

    def check_channel_request(self, kind: str, chanid: int) -> int:
        """Open session channels only, and only after authentication."""
        if kind == "session" and self.user is not None:
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes) -> bool:
        """Record the command (the session decides on it); only the first request counts."""
        return self._request(command)

    def check_channel_shell_request(self, channel: paramiko.Channel) -> bool:
        """Record a shell request, which the session refuses with a message."""
        return self._request(SHELL)

    def _request(self, command: bytes | None) -> bool:
        if self.requested.is_set():
            return False
        self.command = command
        self.requested.set()
        return True

    def check_channel_subsystem_request(self, channel: paramiko.Channel, name: str) -> bool:
        """Refuse subsystems (``sftp``)."""
        return False

    def check_channel_pty_request(self, *args) -> bool:
        """Refuse terminals."""
        return False

    def check_channel_env_request(self, channel: paramiko.Channel, name: bytes, value: bytes) -> bool:
        """Refuse environment variables: the client must not steer git or the hook."""
        return False

    def check_channel_x11_request(self, *args) -> bool:
        """Refuse X11 forwarding."""
        return False

    def check_channel_forward_agent_request(self, channel: paramiko.Channel) -> bool:
        """Refuse agent forwarding."""
        return False

    def check_port_forward_request(self, address: str, port: int) -> int | bool:
        """Refuse remote port forwarding."""
        return False

    def check_global_request(self, kind: str, msg: paramiko.Message) -> bool:
        """Refuse global requests (``tcpip-forward`` and the like)."""
        return False
