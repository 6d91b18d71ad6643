"""deis-controller: the Deis v1 REST API (1.7) over PostgreSQL. See DESIGN.md §2.

Layers, each importing only those below it (``tests/unit/controller/test_layers.py``
checks that nothing below ``api`` imports Flask):

* ``app`` — the Flask factory ``create_app``;
* ``api`` — one blueprint per resource: parse, authorize, call a service, serialize;
* ``services`` — what each request does, on a SQLAlchemy session;
* ``models``, ``db`` — tables, engine, Alembic migrations;
* pure rules: ``permissions``, ``pagination``, ``serializers``, ``status``,
  ``sshkeys``, ``tokens``, ``validators``, ``errors``.

The ``deis-controller`` entry point does not serve yet (gunicorn wiring,
scheduler and the rest of issue #3 come next).
"""
