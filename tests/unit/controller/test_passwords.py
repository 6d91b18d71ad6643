"""Password hashing."""

from controller.passwords import check_password, hash_password, needs_rehash


def test_hash_is_salted_argon2id_and_verifies():
    first, second = hash_password("pw"), hash_password("pw")
    assert first.startswith("$argon2id$") and first != second
    assert check_password(first, "pw") and not check_password(first, "PW")
    assert not needs_rehash(first)


def test_check_password_against_garbage_is_false():
    assert not check_password("not a hash", "pw")
    assert not check_password("", "")
