"""Password hashing with argon2id (argon2-cffi's recommended parameters)."""

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    """Return the argon2id hash of ``password``, salt included."""
    return _HASHER.hash(password)


def check_password(stored_hash: str, password: str) -> bool:
    """True if ``password`` matches ``stored_hash``."""
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True if ``stored_hash`` was made with weaker parameters than today's."""
    return _HASHER.check_needs_rehash(stored_hash)


#: The hasher the decoy was made with, and the decoy: a hash of a random password.
#: The hasher itself is kept, not its ``id()``: a replaced hasher's id can be reused
#: by the next one, which would then verify against a hash of other parameters.
_DECOY: tuple[PasswordHasher, str] | None = None


def check_decoy(password: str) -> bool:
    """Verify ``password`` against a hash no password matches, and return ``False``.

    A login for a username that does not exist costs the same time as one
    with a wrong password, so timing does not tell which usernames exist.
    """
    global _DECOY
    if _DECOY is None or _DECOY[0] is not _HASHER:
        _DECOY = (_HASHER, _HASHER.hash(secrets.token_hex(16)))
    check_password(_DECOY[1], password)
    return False
