"""The builder's SSH host key: generated once, kept in etcd, shared by every builder.

A client remembers the host key of ``deis.<domain>:2222``; if two builders
behind the router presented different keys, every other push would warn of a
man-in-the-middle. So the first builder to start writes the key to etcd
(atomically: only if nobody did yet) and every builder, that one included,
reads it back from there.
"""

from __future__ import annotations

import io
import logging

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from deis import keys
from deis.etcd import Etcd

log = logging.getLogger(__name__)


def generate() -> str:
    """Return a new Ed25519 private key in OpenSSH format."""
    private = ed25519.Ed25519PrivateKey.generate()
    return private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    ).decode()


def load(text: str) -> paramiko.PKey:
    """Return the paramiko key of an OpenSSH private key text."""
    return paramiko.Ed25519Key(file_obj=io.StringIO(text))


def shared_host_key(etcd: Etcd) -> paramiko.PKey:
    """Return the platform's builder host key, creating it in etcd on first use."""
    key = keys.builder_host_key("ed25519")
    if etcd.put_unless(key, generate(), guard=key):
        log.info("generated the builder's SSH host key and stored it at %s", key)
    host_key = load(etcd.get(key))
    log.info("SSH host key %s %s", host_key.get_name(), host_key.fingerprint)
    return host_key
