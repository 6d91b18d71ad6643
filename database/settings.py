"""Settings of the database (environment first, then etcd, then defaults).

``user``, ``name`` and ``password`` are also what the component announces
under ``/deis/database/``: a value set there (``deisctl config database set
user=…``) is used, and a password nobody set is generated once and stored.
``storeUrl`` unset means the platform's store (``/deis/store/url``).
"""

from deis.settings import Setting, Settings, as_bool

SETTINGS = Settings("database", [
    Setting("port", default=5432, parse=int, help="TCP port PostgreSQL listens on (loopback)"),
    Setting("host", default="127.0.0.1", help="address PostgreSQL listens on and announces"),
    Setting("user", default="deis", help="the role the controller connects as"),
    Setting("name", default="deis", help="the database the controller uses"),
    Setting("password", help="the role's password; generated and stored in etcd when unset"),
    Setting("maxConnections", default=250, parse=int, help="PostgreSQL max_connections (v1: 250)"),
    Setting("storeUrl", help="where WAL and base backups go; default: the platform's store"),
    Setting("archiveTimeout", default=60, parse=int,
            help="seconds after which a WAL segment is archived even if not full (v1: 60)"),
    Setting("backupInterval", default=3 * 3600, parse=int, help="seconds between base backups (v1: 3 h)"),
    Setting("backupsToRetain", default=5, parse=int, help="base backups kept in the store (v1: 5)"),
    Setting("backupOnStop", default=True, parse=as_bool, help="push a base backup on a clean stop (v1: yes)"),
])
