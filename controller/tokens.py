"""API tokens: 40 hex characters given to the user once, kept only as a digest.

The token is 160 random bits, so a plain SHA-256 is enough to make a stolen
database useless for logging in (no salt or slow hash is needed, unlike
passwords people choose).
"""

import hashlib
import hmac
import secrets

TOKEN_HEX_LENGTH = 40


def new_token() -> str:
    """Return a fresh 40-hex-character token."""
    return secrets.token_hex(TOKEN_HEX_LENGTH // 2)


def digest(token: str) -> str:
    """Return the hex SHA-256 digest stored in place of ``token``."""
    return hashlib.sha256(token.encode()).hexdigest()


def parse_authorization(header: str | None) -> str | None:
    """Return the key of ``Authorization: token <key>``, or ``None`` for other schemes.

    Raises ``ValueError`` when the scheme is ``token`` but the key is missing
    or malformed, as DRF did.
    """
    if not header:
        return None
    parts = header.split()
    if parts[0].lower() != "token":
        return None
    if len(parts) == 1:
        raise ValueError("Invalid token header. No credentials provided.")
    if len(parts) > 2:
        raise ValueError("Invalid token header. Token string should not contain spaces.")
    return parts[1]


def same(left: str, right: str) -> bool:
    """Compare two secrets in constant time."""
    return hmac.compare_digest(left.encode(), right.encode())
