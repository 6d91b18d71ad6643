"""Calls of :mod:`controller.publishing` from a request, on its session and etcd client.

Views call these after the database change is flushed and before it is
committed: when etcd does not answer, the request fails with 503 (a
:class:`deis.errors.EtcdUnavailable`) and the database change is rolled back,
so the two sides do not drift apart. A controller started without etcd
(tests of pure API behaviour) publishes nothing.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from controller import publishing
from controller.api import context
from controller.errors import ServiceUnavailable
from controller.models import App
from deis.errors import EtcdUnavailable


@contextmanager
def _etcd_needed() -> Iterator[None]:
    try:
        yield
    except EtcdUnavailable as exc:
        raise ServiceUnavailable(
            f"Nothing was changed: {exc}. Try again once etcd answers (see 'deisctl status etcd')."
        ) from exc


def publish_app(app: App) -> None:
    """Rewrite ``app``'s etcd subtree from the database."""
    etcd = context.etcd()
    if etcd is not None:
        with _etcd_needed():
            publishing.publish_app(context.session(), etcd, app)


def publish_certs() -> None:
    """Rewrite the certificates in etcd from the database."""
    etcd = context.etcd()
    if etcd is not None:
        with _etcd_needed():
            publishing.publish_certs(context.session(), etcd)
