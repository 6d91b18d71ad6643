"""Password hashing with argon2id (argon2-cffi's recommended parameters)."""

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
