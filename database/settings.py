"""Settings of the database (environment first, then etcd, then defaults).

``user``, ``name`` and ``password`` are also what the component announces
under ``/deis/database/``: a value set there (``deisctl config database set
user=…``) is used, and a password nobody set is generated once and stored.
"""

from deis.settings import Setting, Settings

SETTINGS = Settings("database", [
    Setting("port", default=5432, parse=int, help="TCP port PostgreSQL listens on (loopback)"),
    Setting("host", default="127.0.0.1", help="address PostgreSQL listens on and announces"),
    Setting("user", default="deis", help="the role the controller connects as"),
    Setting("name", default="deis", help="the database the controller uses"),
    Setting("password", help="the role's password; generated and stored in etcd when unset"),
    Setting("maxConnections", default=250, parse=int, help="PostgreSQL max_connections (v1: 250)"),
])
