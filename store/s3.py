"""The ``s3://<bucket>`` backend: boto3, path-style, against radosgw or any S3.

``s3://deis?endpoint=http://127.0.0.1:7480`` names the gateway; without
``endpoint`` the announced ``/deis/store/gateway/host|port`` is used when
etcd answers, else AWS itself. Credentials come from ``AWS_ACCESS_KEY_ID`` /
``AWS_SECRET_ACCESS_KEY``, else from the gateway's keys in etcd — never from
the URL, so they stay out of command lines and logs. ``AWS_CA_BUNDLE`` from
the environment is ignored (this machine sets one that breaks plain-HTTP
gateways); ``?ca=<file>`` names a bundle on purpose.

S3 has no append: :meth:`S3Store.append` rewrites the object (read, add,
put), serialized per store object, which suits small, sealed segments.
"""

from __future__ import annotations

import contextlib
import os
import threading
from urllib.parse import parse_qs, urlsplit

from deis import keys
from store.base import Backend, NotFound, ObjectInfo, StoreError, StoreUnavailable, check_key

REGION = "us-east-1"
TIMEOUT = 15


def gateway_from_etcd() -> dict[str, str]:
    """Return the announced gateway's ``endpoint``, ``access`` and ``secret`` (empty when none)."""
    from deis.errors import EtcdUnavailable
    from deis.etcd import Etcd

    try:
        etcd = Etcd(timeout=2.0)
        host, port = etcd.get(keys.store_gateway("host")), etcd.get(keys.store_gateway("port"))
        found = {"access": etcd.get(keys.store_gateway("accessKey")),
                 "secret": etcd.get(keys.store_gateway("secretKey"))}
    except EtcdUnavailable:
        return {}
    if host and port:
        found["endpoint"] = f"http://{host}:{port}"
    return {name: value for name, value in found.items() if value}


class S3Store(Backend):
    """Objects in one S3 bucket, created if missing."""

    scheme = "s3"

    def __init__(self, bucket: str, endpoint: str | None, access: str | None, secret: str | None,
                 ca: str | None = None):
        import boto3
        import botocore.config

        self.bucket = bucket
        self._lock = threading.Lock()
        config = botocore.config.Config(s3={"addressing_style": "path"}, region_name=REGION,
                                        connect_timeout=TIMEOUT, read_timeout=TIMEOUT * 2,
                                        retries={"max_attempts": 3, "mode": "standard"})
        # verify given explicitly so that AWS_CA_BUNDLE from the environment is not consulted.
        self._client = boto3.session.Session().client(
            "s3", endpoint_url=endpoint, aws_access_key_id=access, aws_secret_access_key=secret,
            config=config, verify=ca or True)
        self._ensure_bucket()

    @classmethod
    def from_url(cls, url: str) -> S3Store:
        """Open ``s3://<bucket>[?endpoint=http://host:port&ca=<file>]``."""
        parts = urlsplit(url)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        access, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
        announced = {} if (access and secret and query.get("endpoint")) else gateway_from_etcd()
        return cls(parts.netloc, query.get("endpoint") or announced.get("endpoint"),
                   access or announced.get("access"), secret or announced.get("secret"), query.get("ca"))

    @contextlib.contextmanager
    def _translated(self, key: str):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except ClientError as exc:
            error = exc.response.get("Error", {})
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            if error.get("Code") in {"NoSuchKey", "404", "NotFound"} or status == 404:
                raise NotFound(key) from None
            if status >= 500 or status == 0:
                raise StoreUnavailable(f"S3 bucket {self.bucket!r} failed for {key!r}: {exc}") from exc
            raise StoreError(f"S3 bucket {self.bucket!r}, object {key!r}: {exc}") from exc
        except BotoCoreError as exc:
            raise StoreUnavailable(f"S3 bucket {self.bucket!r} did not answer for {key!r}: {exc}") from exc

    def _ensure_bucket(self) -> None:
        with self._translated(""):
            try:
                self._client.head_bucket(Bucket=self.bucket)
                return
            except Exception as exc:  # noqa: BLE001 - translated below when it is not "missing"
                status = getattr(exc, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
                if status != 404:
                    raise
            self._client.create_bucket(Bucket=self.bucket)

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` at ``key`` (S3 puts are atomic and durable once acknowledged)."""
        with self._translated(check_key(key)):
            self._client.put_object(Bucket=self.bucket, Key=key, Body=bytes(data))

    def append(self, key: str, data: bytes) -> int:
        """Append by rewriting the object; return its new size."""
        with self._lock:
            try:
                current = self.get(key)
            except NotFound:
                current = b""
            self.put(key, current + data)
            return len(current) + len(data)

    def get_range(self, key: str, start: int = 0, end: int | None = None) -> bytes:
        """Return bytes ``[start, end)`` of ``key``."""
        check_key(key)
        if end is not None and end <= start:
            self.stat(key)  # still NotFound for a missing key
            return b""
        wanted = f"bytes={start}-" + ("" if end is None else str(end - 1))
        try:
            with self._translated(key):
                return self._client.get_object(Bucket=self.bucket, Key=key, Range=wanted)["Body"].read()
        except StoreError as exc:
            if "InvalidRange" in str(exc):  # start at or past the end
                return b""
            raise

    def stat(self, key: str) -> ObjectInfo:
        """Return size and modification time of ``key``."""
        with self._translated(check_key(key)):
            head = self._client.head_object(Bucket=self.bucket, Key=key)
        return ObjectInfo(key, head["ContentLength"], head["LastModified"].timestamp())

    def list(self, prefix: str = "") -> list[ObjectInfo]:
        """Return the objects whose key starts with ``prefix``, sorted by key."""
        found = []
        with self._translated(prefix):
            for page in self._client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
                found += [ObjectInfo(o["Key"], o["Size"], o["LastModified"].timestamp())
                          for o in page.get("Contents", [])]
        return sorted(found)

    def delete(self, key: str) -> bool:
        """Delete ``key``; return whether it existed."""
        existed = self.exists(key)
        if existed:
            with self._translated(key):
                self._client.delete_object(Bucket=self.bucket, Key=key)
        return existed

    def close(self) -> None:
        """Close the HTTP connection pool."""
        with contextlib.suppress(Exception):
            self._client.close()
