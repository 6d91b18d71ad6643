"""The platform's exception tree.

Library errors (requests, docker, psycopg2, xmlrpc) are caught at the
adapter that calls the library and re-raised as one of these, so callers and
the CLI deal with one vocabulary::

    DeisError                    every error we raise on purpose
    ├── TemporaryError           retrying later may succeed
    │   └── EtcdUnavailable      etcd did not answer (down, restarting)
    └── PermanentError           retrying will not help until someone acts
        ├── ValidationError      a name or value breaks a rule (a 4xx)
        └── ConfigurationError   the platform is set up wrongly

Components extend the tree rather than start their own: ``store.StoreError``
is a DeisError (its ``StoreUnavailable`` also a TemporaryError) and
``router.nginx.NginxError`` a ConfigurationError.

Retryable vs permanent is part of the type (kopf's TemporaryError and
PermanentError), so loops know whether to back off or give up.
"""


class DeisError(Exception):
    """Base class of every error the platform raises on purpose."""


class TemporaryError(DeisError):
    """A failure that may go away by itself; retry with backoff."""


class PermanentError(DeisError):
    """A failure that needs a person to act; do not retry."""


class EtcdUnavailable(TemporaryError):
    """etcd did not answer in time."""


class ValidationError(PermanentError):
    """A user-supplied value breaks a rule; the message says which and why."""


class ConfigurationError(PermanentError):
    """The platform is set up wrongly; the message says what to set."""
