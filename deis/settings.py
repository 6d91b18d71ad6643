"""Component settings, resolved in one place: environment, then etcd, then default.

Each component declares its settings once, in its own ``settings.py``::

    SETTINGS = Settings("controller", [
        Setting("port", default=8000, parse=int, help="HTTP port"),
        Setting("registrationMode", default="enabled"),
    ])
    SETTINGS.get("port")

A setting named ``registrationMode`` of the ``controller`` is read from the
environment variable ``DEIS_CONTROLLER_REGISTRATIONMODE`` (or the ``env`` the
declaration names), then from the etcd key ``/deis/controller/registrationMode``
(or the ``key`` it names), then falls back to its default. Values are read when
asked for, so a change made with ``deisctl config`` is seen without a restart
by components that re-read.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from deis import keys
from deis.errors import ConfigurationError

_MISSING = object()


class KeyReader(Protocol):
    """What settings need of etcd: one ``get``. :class:`deis.etcd.Etcd` is one."""

    def get(self, key: str, default: str | None = None) -> str | None: ...


def as_bool(text: str) -> bool:
    """Parse ``true/false/yes/no/1/0/on/off`` (any case)."""
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"{text!r} is not a boolean (use true or false)")


@dataclass(frozen=True)
class Setting:
    """The declaration of one setting."""

    name: str
    default: Any = None
    parse: Callable[[str], Any] = str
    env: str | None = None
    key: str | None = None
    required: bool = False
    help: str = ""


class Settings:
    """The settings of one component, resolved on each read."""

    def __init__(
        self,
        component: str,
        declarations: Iterable[Setting],
        environ: Mapping[str, str] | None = None,
        etcd: KeyReader | None = None,
    ):
        self.component = component
        self.declarations = {setting.name: setting for setting in declarations}
        self.environ = os.environ if environ is None else environ
        self.etcd = etcd

    def bind(self, etcd: KeyReader | None = None, environ: Mapping[str, str] | None = None) -> Settings:
        """Return a copy reading from ``etcd`` (and ``environ`` if given)."""
        return Settings(
            self.component,
            self.declarations.values(),
            self.environ if environ is None else environ,
            etcd if etcd is not None else self.etcd,
        )

    def env_name(self, name: str) -> str:
        """Return the environment variable that overrides setting ``name``."""
        setting = self._declared(name)
        return setting.env or f"DEIS_{self.component}_{name}".upper().replace("-", "_")

    def key(self, name: str) -> str:
        """Return the etcd key that holds setting ``name``."""
        setting = self._declared(name)
        return setting.key or keys.component(self.component, name)

    def get(self, name: str) -> Any:
        """Return the value of setting ``name`` (parsed)."""
        return self.resolve(name)[0]

    def resolve(self, name: str) -> tuple[Any, str]:
        """Return ``(value, source)``; source is ``env``, ``etcd`` or ``default``."""
        setting = self._declared(name)
        raw, source = self._raw(setting)
        if raw is _MISSING:
            if setting.required:
                raise ConfigurationError(
                    f"{self.component} setting {name!r} is not set: set {self.env_name(name)} "
                    f"or run 'deisctl config {self.component} set {name}=<value>'"
                )
            return setting.default, "default"
        try:
            return setting.parse(raw), source
        except ValueError as exc:
            raise ConfigurationError(
                f"{self.component} setting {name!r} from {source} is invalid: {exc}"
            ) from exc

    def as_dict(self) -> dict[str, Any]:
        """Return every setting's value by name."""
        return {name: self.get(name) for name in self.declarations}

    def _raw(self, setting: Setting) -> tuple[Any, str]:
        env_value = self.environ.get(self.env_name(setting.name))
        if env_value is not None:
            return env_value, "env"
        if self.etcd is not None:
            etcd_value = self.etcd.get(self.key(setting.name))
            if etcd_value is not None:
                return etcd_value, "etcd"
        return _MISSING, "default"

    def _declared(self, name: str) -> Setting:
        try:
            return self.declarations[name]
        except KeyError:
            known = ", ".join(sorted(self.declarations)) or "none"
            raise ConfigurationError(
                f"{self.component} has no setting {name!r} (known: {known})"
            ) from None
