"""Model objects to v1 JSON objects."""

import datetime
import uuid

from controller import serializers
from controller.models import App, Key, User

WHEN = datetime.datetime(2014, 1, 1, 0, 0, 0, tzinfo=datetime.UTC)


def make_user(**fields):
    """Return an unsaved user."""
    defaults = dict(id=1, username="alice", email="a@x.io", first_name="", last_name="", is_superuser=False,
                    is_staff=False, is_active=True, last_login=None, date_joined=WHEN, password="$argon2…")
    return User(**{**defaults, **fields})


def test_timestamp_is_v1s_format():
    assert serializers.timestamp(WHEN) == "2014-01-01T00:00:00UTC"


def test_timestamp_converts_other_zones_to_utc():
    cet = datetime.timezone(datetime.timedelta(hours=1))
    assert serializers.timestamp(datetime.datetime(2014, 1, 1, 1, 0, tzinfo=cet)) == "2014-01-01T00:00:00UTC"


def test_timestamp_of_nothing_is_null():
    assert serializers.timestamp(None) is None


def test_user_never_shows_the_password():
    body = serializers.user(make_user())
    assert "password" not in body
    assert body["date_joined"] == "2014-01-01T00:00:00UTC" and body["last_login"] is None
    assert body["groups"] == [] and body["user_permissions"] == []


def test_app_object_has_v1_fields_and_url():
    app = App(uuid=uuid.UUID(int=1), id="myapp", owner=make_user(), structure={"web": 2},
              created=WHEN, updated=WHEN)
    assert serializers.app(app, "example.com") == {
        "uuid": "00000000-0000-0000-0000-000000000001", "id": "myapp", "owner": "alice",
        "url": "myapp.example.com", "structure": {"web": 2},
        "created": "2014-01-01T00:00:00UTC", "updated": "2014-01-01T00:00:00UTC",
    }


def test_app_url_without_platform_domain_is_the_id():
    assert serializers.app_url("myapp", "") == "myapp"


def test_key_object_has_both_fingerprints():
    key = Key(uuid=uuid.UUID(int=2), id="me@host", owner=make_user(), public="ssh-rsa AAAA me@host",
              fingerprint="aa:bb", fingerprint_sha256="SHA256:xyz", created=WHEN, updated=WHEN)
    body = serializers.key(key)
    assert body["owner"] == "alice" and body["fingerprint"] == "aa:bb"
    assert body["fingerprint_sha256"] == "SHA256:xyz"
