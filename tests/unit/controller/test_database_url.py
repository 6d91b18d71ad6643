"""Where the controller finds its database: environment, else the database's announcement."""

from sqlalchemy import make_url

from controller import settings

ANNOUNCED = {
    "/deis/database/host": "127.0.0.1", "/deis/database/port": "6543", "/deis/database/user": "deis",
    "/deis/database/password": "p@ss:w/rd", "/deis/database/name": "deis",
}


def resolved(environ, etcd):
    return settings.SETTINGS.bind(etcd=etcd, environ=environ)


def test_environment_wins_over_the_announcement():
    url = "postgresql://me:pw@db.example:5432/mine"
    assert settings.database_url(resolved({"DEIS_DATABASE_URL": url}, ANNOUNCED)) == url


def test_announcement_is_used_without_environment_and_escapes_the_password():
    url = settings.database_url(resolved({}, ANNOUNCED))
    assert url == "postgresql://deis:p%40ss%3Aw%2Frd@127.0.0.1:6543/deis"
    assert make_url(url).password == "p@ss:w/rd"


def test_default_without_announcement_or_etcd():
    default = "postgresql://deis:deis@127.0.0.1:5432/deis"
    assert settings.database_url(resolved({}, {})) == default
    assert settings.database_url(resolved({}, None)) == default
    partial = {k: v for k, v in ANNOUNCED.items() if not k.endswith("/host")}
    assert settings.database_url(resolved({}, partial)) == default


def test_database_host_replaces_the_announced_address_and_needs_no_leased_key():
    url = settings.database_url(resolved({"DEIS_CONTROLLER_DATABASEHOST": "deis-database"}, ANNOUNCED))
    assert make_url(url).host == "deis-database" and make_url(url).port == 6543
    moving = {k: v for k, v in ANNOUNCED.items() if not k.endswith(("/host", "/port"))}
    url = settings.database_url(resolved({"DEIS_CONTROLLER_DATABASEHOST": "deis-database"}, moving))
    assert (make_url(url).host, make_url(url).port, make_url(url).password) == ("deis-database", 5432, "p@ss:w/rd")
