"""deis-controller: the Deis v1 REST API (1.7) over PostgreSQL. See DESIGN.md §2.

Layers, each importing only those below it (``tests/unit/controller/test_layers.py``
checks that nothing below ``api`` imports Flask):

* ``app`` — the Flask factory ``create_app``;
* ``api`` — one blueprint per resource: parse, authorize, call a service, serialize;
* ``services`` — what each request does, on a SQLAlchemy session;
* ``models``, ``db`` — tables, engine, Alembic migrations;
* ``scheduler`` — container runtimes behind one interface, picked by name
  (``docker``, ``fake``); ``services.deploy`` orders their calls zero-downtime;
* pure rules: ``permissions``, ``pagination``, ``serializers``, ``status``,
  ``sshkeys``, ``tokens``, ``validators``, ``errors``, ``hostnames``,
  ``certificates``, ``openapi``, ``config_rules``, ``summaries``, ``processes``;
* ``etcd_side`` — what the etcd side of an app is (marker, domains, certs,
  routed config), written from the database; ``api.publication`` writes it on
  every change, before the commit, and ``server`` at start;
* ``server`` — ``deis-controller``: secrets, migration, ``publish_all``,
  gunicorn, the ``/deis/controller`` announcement.
"""
