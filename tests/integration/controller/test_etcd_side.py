"""``controller.etcd_side`` against real PostgreSQL and etcd: the etcd side rebuilt from the database."""

import pytest

from controller import etcd_side
from controller.etcd_side import CONFIG_ROOT
from controller.models import App
from deis import keys
from tests import tlscerts


@pytest.fixture
def app(etcd_app):
    """The controller publishing to the real etcd."""
    return etcd_app


@pytest.fixture
def session(app):
    with app.extensions["deis.db"].transaction() as db_session:
        yield db_session


def controller_side(etcd):
    """Every key the controller writes (markers, domains, certs, config)."""
    markers = {k: v for k, v in etcd.get_prefix(keys.services())[0].items() if k.count("/") == 3}
    return {**markers, **etcd.get_prefix(keys.domains())[0], **etcd.get_prefix(keys.certs())[0],
            **etcd.get_prefix(CONFIG_ROOT)[0]}


def set_config(app, app_id, values):
    """Give an app a newer release whose config has ``values`` (what config:set does)."""
    from controller.models import Config
    from controller.services import release_records

    with app.extensions["deis.db"].transaction() as session:
        record = session.query(App).filter_by(id=app_id).one()
        config = Config(app_uuid=record.uuid, owner_id=record.owner_id, values=values)
        session.add(config)
        session.flush()
        release_records.add_release(session, record, record.owner, config, None, "config changed")


@pytest.fixture
def platform(app, owner, etcd):
    """Two apps with domains, a certificate and routed config, all published."""
    certificate, key = tlscerts.pair("shop.example.org")
    for app_id in ("shop", "blog"):
        assert owner.post("/v1/apps/", json={"id": app_id}).status_code == 201
    assert owner.post("/v1/apps/shop/domains/", json={"domain": "shop.example.org"}).status_code == 201
    assert owner.post("/v1/apps/blog/domains/", json={"domain": "blog.example.org"}).status_code == 201
    assert owner.post("/v1/certs/", json={"certificate": certificate, "key": key}).status_code == 201
    set_config(app, "shop", {"DEIS_WHITELIST": "10.0.0.0/8", "HEALTHCHECK_URL": "/health", "SECRET": "no"})
    with app.extensions["deis.db"].transaction() as session:
        for record in session.query(App):
            etcd_side.publish_app(session, etcd, record)
    return {
        keys.app_marker("shop"): "shop", keys.app_marker("blog"): "blog",
        keys.domain("shop.example.org"): "shop", keys.domain("blog.example.org"): "blog",
        keys.cert("shop.example.org", "cert"): certificate, keys.cert("shop.example.org", "key"): key,
        keys.app_config("shop", "DEIS_WHITELIST"): "10.0.0.0/8",
        keys.app_config("shop", "HEALTHCHECK_URL"): "/health",
    }


def test_publish_app_writes_the_whole_subtree(platform, etcd):
    assert controller_side(etcd) == platform


def test_publish_app_removes_stale_config_and_domains(app, platform, etcd, session):
    etcd.put(keys.app_config("shop", "HEALTHCHECK_TIMEOUT"), "9")
    etcd.put(keys.domain("gone.example.org"), "shop")
    set_config(app, "shop", {"HEALTHCHECK_URL": "/ready"})
    etcd_side.publish_app(session, etcd, session.query(App).filter_by(id="shop").one())
    expected = {k: v for k, v in platform.items() if "deis_whitelist" not in k}
    expected[keys.app_config("shop", "HEALTHCHECK_URL")] = "/ready"
    assert controller_side(etcd) == expected


def test_publish_all_rebuilds_a_wiped_etcd(platform, etcd, session):
    etcd.delete_prefix(keys.ROOT)
    etcd_side.publish_all(session, etcd)
    assert controller_side(etcd) == platform


def test_publish_all_removes_what_the_database_does_not_have(platform, etcd, session):
    etcd.put(keys.domain("ghost.example.org"), "ghost")
    etcd.put(keys.domain("blog.example.org"), "shop")  # drifted to the wrong app
    etcd.put(keys.app_config("ghost", "deis_whitelist"), "1.2.3.4")
    etcd.put(keys.app_marker("ghost"), "ghost")
    etcd.put(keys.cert("ghost.example.org", "cert"), "old")
    etcd.put(keys.service("shop", "shop_v2.web.1"), "10.0.0.9:5000")  # the publisher's, kept
    etcd_side.publish_all(session, etcd)
    assert controller_side(etcd) == platform
    assert etcd.get(keys.service("shop", "shop_v2.web.1")) == "10.0.0.9:5000"


def test_unpublish_app_removes_only_that_app(platform, etcd):
    etcd.put(keys.service("shop", "shop_v2.web.1"), "10.0.0.9:5000")
    etcd_side.unpublish_app(etcd, "shop")
    remaining = controller_side(etcd)
    assert remaining == {k: v for k, v in platform.items() if "/shop" not in k or "/certs/" in k}
    assert etcd.get_prefix(keys.services("shop"))[0] == {}


def test_publishing_twice_changes_nothing(platform, etcd, session):
    revision = etcd.revision()
    etcd_side.publish_all(session, etcd)
    assert etcd.revision() == revision
