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


def test_decoy_follows_the_hasher_in_use(monkeypatch):
    """A missing user's login verifies a decoy made with today's parameters,
    also when the hasher was replaced (CI once reused a cheap decoy: logins of
    missing users then answered 30x faster, telling which names exist)."""
    from argon2 import PasswordHasher, extract_parameters
    from argon2.profiles import CHEAPEST

    from controller import passwords

    for hasher in (PasswordHasher.from_parameters(CHEAPEST), PasswordHasher(time_cost=1, memory_cost=1024)):
        monkeypatch.setattr(passwords, "_HASHER", hasher)
        assert passwords.check_decoy("anything") is False
        decoy = passwords._DECOY[1]
        assert extract_parameters(decoy).memory_cost == hasher.memory_cost
