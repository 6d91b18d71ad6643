"""Field rules for user accounts, with Django 1.6's messages (v1 used its User model)."""

from __future__ import annotations

import re
from typing import Any

from controller.errors import REQUIRED, FieldErrors

USERNAME_PATTERN = re.compile(r"^[\w.@+-]+\Z")  # \Z: "$" would let a trailing newline in
USERNAME_MAX_LENGTH = 150
NAME_MAX_LENGTH = 30
#: The shortest password accepted (v1 took any); the controller setting ``minPasswordLength`` overrides it.
MIN_PASSWORD_LENGTH = 8
# Deliberately loose: one @, a dot in the domain, no spaces. Mail delivery is the real test.
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+\Z")


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    return "" if value is None else str(value)


def username_errors(username: str) -> list[str]:
    """Return what is wrong with ``username`` (empty when it is fine)."""
    if not username:
        return [REQUIRED]
    if len(username) > USERNAME_MAX_LENGTH:
        return [f"Ensure this field has no more than {USERNAME_MAX_LENGTH} characters."]
    if not USERNAME_PATTERN.match(username):
        return ["Enter a valid username. It may contain letters, digits and @/./+/-/_ only."]
    return []


def password_errors(password: str, minimum: int = MIN_PASSWORD_LENGTH) -> list[str]:
    """Return what is wrong with a new ``password`` (empty when it is fine)."""
    if not password:
        return [REQUIRED]
    if len(password) < minimum:
        return [f"Passwords must be at least {minimum} characters long; choose a longer one."]
    return []


def registration(data: dict[str, Any], min_password_length: int = MIN_PASSWORD_LENGTH) -> dict[str, str]:
    """Return the clean fields of a registration, or raise :class:`FieldErrors`."""
    fields = {name: _text(data, name) for name in ("username", "password", "email", "first_name", "last_name")}
    errors: dict[str, list[str]] = {}
    if problems := username_errors(fields["username"]):
        errors["username"] = problems
    if problems := password_errors(fields["password"], min_password_length):
        errors["password"] = problems
    if fields["email"] and not EMAIL_PATTERN.match(fields["email"]):
        errors["email"] = ["Enter a valid email address."]
    for name in ("first_name", "last_name"):
        if len(fields[name]) > NAME_MAX_LENGTH:
            errors[name] = [f"Ensure this field has no more than {NAME_MAX_LENGTH} characters."]
    if errors:
        raise FieldErrors(errors)
    return fields
