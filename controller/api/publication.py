"""The one way a request publishes to etcd: after the database change is flushed, before it is committed.

Every view that changes what routers or publishers read (an app's marker,
domains, certificates, routed config) calls one of these functions, then
:func:`controller.api.context.commit`. The order is the rule:

1. the service changes the database and flushes (constraints are checked, nothing is committed);
2. the view publishes the app's whole etcd side, computed from that flushed state
   (:mod:`controller.etcd_side`);
3. the view commits.

Why this order. When etcd does not answer, step 2 fails: the request answers
503 with a sentence and the transaction is rolled back, so neither side
changed (T7 of the reliability plan). Committing first would leave a
change PostgreSQL has and the routers never learn — or, for a removed domain
or certificate, a route etcd keeps to something PostgreSQL no longer has — with
no one to retry it. The window that remains is a commit failing after etcd was
written; etcd is then ahead of PostgreSQL until the next publication of that
app, and at the latest the controller's start, which rewrites the etcd side
from PostgreSQL (:func:`controller.etcd_side.publish_all`). No service
publishes on its own; a controller started without etcd (tests of pure API
behaviour) publishes nothing.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from controller import etcd_side
from controller.api import context
from controller.errors import ServiceUnavailable
from controller.models import App
from deis.errors import EtcdUnavailable

#: What a failed publication tells the user, after etcd's own reason.
NOTHING_CHANGED = "Nothing was changed: {}. Try again once etcd answers (see 'deisctl status etcd')."


@contextmanager
def _etcd_needed(sentence: str = NOTHING_CHANGED) -> Iterator[None]:
    try:
        yield
    except EtcdUnavailable as exc:
        raise ServiceUnavailable(sentence.format(exc)) from exc


def require_etcd() -> None:
    """Answer 503 before a write that deploys and publishes starts, when etcd does not answer.

    A config change deploys a release before it publishes: with etcd away the
    deploy started new containers, failed on its first etcd call, undid them
    and answered after ~16 s with the deploy's advice ("check 'deis logs'"),
    which is the wrong lead (T7). Asking etcd first costs one round trip and
    answers what is true: nothing was changed, retry once etcd answers.
    """
    etcd = context.etcd()
    if etcd is not None:
        with _etcd_needed():
            etcd.revision()


def publish_app(app: App) -> None:
    """Rewrite ``app``'s etcd subtree from the (flushed, not yet committed) database."""
    etcd = context.etcd()
    if etcd is not None:
        with _etcd_needed():
            etcd_side.publish_app(context.session(), etcd, app)


def publish_certs() -> None:
    """Rewrite the certificates in etcd from the (flushed, not yet committed) database."""
    etcd = context.etcd()
    if etcd is not None:
        with _etcd_needed():
            etcd_side.publish_certs(context.session(), etcd)


def unpublish_app(app_id: str) -> None:
    """Remove a destroyed app's etcd side (its containers are already gone)."""
    etcd = context.etcd()
    if etcd is not None:
        with _etcd_needed(f"{app_id}'s containers are stopped but the app and its routes stay: {{}}. "
                          "Run 'deis destroy' again once etcd answers (see 'deisctl status etcd')."):
            etcd_side.unpublish_app(etcd, app_id)
