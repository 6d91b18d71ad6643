"""deis keys:* — each user's SSH public keys."""

import base64
import hashlib
import struct

import pytest


def public_key(seed: str, comment: str = "me@laptop") -> str:
    """Return a syntactically valid ssh-rsa public key line (the numbers need not be a real key)."""
    def part(data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + data
    modulus = b"\x00\xc0" + hashlib.sha512(seed.encode()).digest() * 4  # 2048 bits, the top one set
    blob = part(b"ssh-rsa") + part(b"\x01\x00\x01") + part(modulus[:257])
    return f"ssh-rsa {base64.b64encode(blob).decode()} {comment}"


# deis keys:add
def test_keys_add_is_201_with_fingerprints(owner):
    key = public_key("one")
    response = owner.post("/v1/keys/", {"id": "me@laptop", "public": key})
    assert response.status == "201 CREATED"
    body = response.get_json()
    assert body["id"] == "me@laptop" and body["owner"] == "owner" and body["public"] == key
    blob = base64.b64decode(key.split()[1])
    assert body["fingerprint"] == ":".join(f"{b:02x}" for b in hashlib.md5(blob).digest())
    sha256 = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    assert body["fingerprint_sha256"] == f"SHA256:{sha256}"


def test_keys_add_same_public_key_twice_is_400_unique(owner, other):
    key = public_key("one")
    owner.post("/v1/keys/", {"id": "first", "public": key})
    response = other.post("/v1/keys/", {"id": "second", "public": key})
    assert response.status == "400 BAD REQUEST"
    assert response.get_json() == {"public": ["This field must be unique."]}


def test_keys_add_of_someone_elses_key_with_another_comment_is_refused(owner, other):
    """Public keys are public: the same key material must not resolve pushes to a second user."""
    owner.post("/v1/keys/", {"id": "mine", "public": public_key("one", "owner@laptop")})
    response = other.post("/v1/keys/", {"id": "stolen", "public": public_key("one", "other@elsewhere")})
    assert response.status == "400 BAD REQUEST"
    assert response.get_json() == {"public": ["This field must be unique."]}


def test_keys_add_same_label_twice_is_400_unique(owner):
    owner.post("/v1/keys/", {"id": "laptop", "public": public_key("one")})
    response = owner.post("/v1/keys/", {"id": "laptop", "public": public_key("two")})
    assert response.get_json() == {"id": ["This field must be unique."]}


@pytest.mark.parametrize("bad", [
    "ssh-rsa", "ssh-rsa !!!notbase64!!!", "rot13 AAAA",
    "ssh-ed25519 " + public_key("x").split()[1],  # an rsa key body under another type
])
def test_keys_add_invalid_public_key_is_400(owner, bad):
    response = owner.post("/v1/keys/", {"id": "bad", "public": bad})
    assert response.status == "400 BAD REQUEST"
    assert list(response.get_json()) == ["public"]


def test_keys_add_without_fields_is_400_required(owner):
    response = owner.post("/v1/keys/", {})
    assert response.get_json() == {"id": ["This field is required."], "public": ["This field is required."]}


# deis keys:list
def test_keys_list_shows_only_the_callers_keys(owner, other):
    owner.post("/v1/keys/", {"id": "mine", "public": public_key("one")})
    other.post("/v1/keys/", {"id": "theirs", "public": public_key("two")})
    body = owner.get("/v1/keys/").get_json()
    assert body["count"] == 1 and body["results"][0]["id"] == "mine"


# deis keys:remove
def test_keys_remove_by_label_with_dots_and_at_sign(owner):
    owner.post("/v1/keys/", {"id": "me@host.example.com", "public": public_key("one")})
    assert owner.get("/v1/keys/me@host.example.com").status == "200 OK"
    assert owner.delete("/v1/keys/me@host.example.com/").status == "204 NO CONTENT"
    assert owner.get("/v1/keys/me@host.example.com").status == "404 NOT FOUND"


def test_keys_remove_of_another_users_key_is_404(owner, other):
    other.post("/v1/keys/", {"id": "theirs", "public": public_key("two")})
    assert owner.delete("/v1/keys/theirs").status == "404 NOT FOUND"
