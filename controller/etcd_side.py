"""The etcd side of apps, rewritten from PostgreSQL (DESIGN.md §3, STYLE.md habit 6).

PostgreSQL is the source of truth; etcd holds what routers and publishers
read: the app marker ``/deis/services/<app>`` (the router answers 503 rather
than 404 for a known app without containers), ``/deis/domains/<domain>`` =
app, ``/deis/certs/<cn>/{cert,key}`` and ``/deis/config/<app>/<key>`` for the
few config values they need. Nothing is
written from ORM events. Instead one function per scope computes the whole
desired subtree, compares it with etcd and writes only the difference:

* :func:`publish_app` after any change to an app's domains or config (from a
  request, only through :mod:`controller.api.publication`, which fixes when:
  after the flush, before the commit);
* :func:`publish_certs` after a certificate is added or removed;
* :func:`unpublish_app` when an app is destroyed (its containers' routes too);
* :func:`publish_all` at controller start, which also removes keys of apps,
  domains and certificates that no longer exist.

Calling any of them again is harmless, so a write lost to an etcd outage is
repaired by the next call (at the latest, the next start).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from controller.models import App, Certificate, Config, Domain, Release
from deis import keys
from deis.etcd import Etcd

#: Config values the router (whitelist) and publisher (health checks) read.
ROUTED_CONFIG_KEYS = frozenset({"DEIS_WHITELIST"})
ROUTED_CONFIG_PREFIXES = ("HEALTHCHECK_",)
#: ``/deis/config/``: the parent of every app's config subtree.
CONFIG_ROOT = keys.app_configs()


def routed_config(values: Mapping[str, object]) -> dict[str, str]:
    """Return the config values routers and publishers need (pure)."""
    return {
        name: str(value) for name, value in values.items()
        if value is not None and (name in ROUTED_CONFIG_KEYS or name.startswith(ROUTED_CONFIG_PREFIXES))
    }


def changes(desired: Mapping[str, str], actual: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """Return ``(puts, deletes)`` turning ``actual`` into ``desired`` (pure)."""
    puts = {key: value for key, value in desired.items() if actual.get(key) != value}
    deletes = sorted(key for key in actual if key not in desired)
    return puts, deletes


def converge(etcd: Etcd, desired: Mapping[str, str], actual: Mapping[str, str]) -> None:
    """Write the difference between ``desired`` and ``actual`` to etcd."""
    puts, deletes = changes(desired, actual)
    for key, value in puts.items():
        etcd.put(key, value)
    for key in deletes:
        etcd.delete(key)


@dataclass(frozen=True)
class Snapshot:
    """The controller-written part of etcd, read in four range calls."""

    markers: dict[str, str]
    domains: dict[str, str]
    certs: dict[str, str]
    config: dict[str, str]

    @classmethod
    def read(cls, etcd: Etcd) -> Snapshot:
        """Read the app markers, domains, certs and config subtrees."""
        services = etcd.get_prefix(keys.services())[0]
        markers = {key: value for key, value in services.items() if "/" not in keys.relative(key, keys.services())}
        return cls(markers, etcd.get_prefix(keys.domains())[0], etcd.get_prefix(keys.certs())[0],
                   etcd.get_prefix(CONFIG_ROOT)[0])

    def controller_keys(self) -> dict[str, str]:
        """Return every key of the snapshot (all written by the controller)."""
        return {**self.markers, **self.domains, **self.certs, **self.config}


def latest_config(session: Session, app: App) -> Config | None:
    """Return the config of the app's newest release."""
    statement = (select(Config).join(Release, Release.config_uuid == Config.uuid)
                 .where(Release.app_uuid == app.uuid).order_by(Release.version.desc()).limit(1))
    return session.scalar(statement)


def _domain_names(session: Session, app: App) -> list[str]:
    return list(session.scalars(select(Domain.domain).where(Domain.app_uuid == app.uuid)))


def _cert_keys(certificate: Certificate) -> dict[str, str]:
    name = certificate.common_name
    return {keys.cert(name, "cert"): certificate.certificate, keys.cert(name, "key"): certificate.key}


def desired_app(session: Session, app: App) -> dict[str, str]:
    """Return every key the app's routes need, with its value."""
    names = _domain_names(session, app)
    desired = {keys.app_marker(app.id): app.id}
    desired.update({keys.domain(name): app.id for name in names})
    if names:
        for certificate in session.scalars(select(Certificate).where(Certificate.common_name.in_(names))):
            desired.update(_cert_keys(certificate))
    config = latest_config(session, app)
    for name, value in routed_config(config.values if config else {}).items():
        desired[keys.app_config(app.id, name)] = value
    return desired


def _owned_by(app_id: str, snapshot: Snapshot, domain_names: Iterable[str]) -> dict[str, str]:
    """Return the keys of ``snapshot`` that belong to the app ``app_id``."""
    owned = {key: value for key, value in snapshot.markers.items() if key == keys.app_marker(app_id)}
    owned.update({key: value for key, value in snapshot.domains.items() if value == app_id})
    prefix = keys.app_config(app_id)
    owned.update({key: value for key, value in snapshot.config.items() if key.startswith(prefix)})
    for name in domain_names:
        owned.update({key: value for key, value in snapshot.certs.items() if key.startswith(keys.cert(name, ""))})
    return owned


def publish_app(session: Session, etcd: Etcd, app: App) -> None:
    """Make the app's etcd subtree (domains, their certs, routed config) match the database."""
    snapshot = Snapshot.read(etcd)
    desired = desired_app(session, app)
    converge(etcd, desired, _owned_by(app.id, snapshot, _domain_names(session, app)))


def unpublish_app(etcd: Etcd, app_id: str) -> None:
    """Remove every key of a destroyed app: marker, domains, config and its containers' routes."""
    etcd.delete(keys.app_marker(app_id))
    domains, _ = etcd.get_prefix(keys.domains())
    for key, value in domains.items():
        if value == app_id:
            etcd.delete(key)
    etcd.delete_prefix(keys.app_config(app_id))
    etcd.delete_prefix(keys.services(app_id))


def desired_certs(session: Session) -> dict[str, str]:
    """Return the keys of every certificate in the database."""
    desired: dict[str, str] = {}
    for certificate in session.scalars(select(Certificate)):
        desired.update(_cert_keys(certificate))
    return desired


def publish_certs(session: Session, etcd: Etcd) -> None:
    """Make ``/deis/certs/`` hold exactly the certificates of the database."""
    converge(etcd, desired_certs(session), etcd.get_prefix(keys.certs())[0])


def publish_all(session: Session, etcd: Etcd) -> None:
    """Rewrite the controller's whole etcd side from the database (run at start).

    Keys of apps, domains and certificates the database no longer has are
    removed; containers' routes (``/deis/services/<app>/…``) are the
    publishers' and are left alone.
    """
    snapshot = Snapshot.read(etcd)
    desired = desired_certs(session)
    for app in session.scalars(select(App).order_by(App.id)):
        desired.update(desired_app(session, app))
    converge(etcd, desired, snapshot.controller_keys())
