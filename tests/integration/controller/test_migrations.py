"""Alembic migrations: idempotent, and in step with the models."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from controller.db import DatabaseUnavailable, alembic_config, engine_url, migrate
from controller.models import Base
from tests.services import free_port


def schema_and_rows(url: str) -> dict:
    """The revision, every table's columns, indexes and constraints, and the rows of ``login_failures``."""
    engine = create_engine(engine_url(url))
    try:
        with engine.connect() as connection:
            found = inspect(connection)
            tables = {name: (found.get_columns(name), found.get_indexes(name), found.get_pk_constraint(name),
                             found.get_foreign_keys(name), found.get_unique_constraints(name))
                      for name in sorted(found.get_table_names())}
            return {"revision": connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all(),
                    "tables": repr(tables),
                    "rows": connection.execute(text("SELECT * FROM login_failures ORDER BY id")).all()}
    finally:
        engine.dispose()


def test_migrate_twice_is_a_no_op(database_url):
    # the fixture migrated a fresh schema once; a row shows that running again keeps the data too
    engine = create_engine(engine_url(database_url))
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO login_failures (username, address, created) "
                                "VALUES ('migrated', '127.0.0.1', now())"))
    engine.dispose()
    before = schema_and_rows(database_url)
    migrate(database_url)
    migrate(database_url)
    after = schema_and_rows(database_url)
    assert before["revision"] == [ScriptDirectory.from_config(alembic_config()).get_current_head()]
    assert [row.username for row in before["rows"]] == ["migrated"]
    assert after == before


def test_migrations_create_every_table_of_the_models(database_url):
    engine = create_engine(engine_url(database_url))
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}),
                                    Base.metadata)
    finally:
        engine.dispose()
    assert {t.name for t in Base.metadata.sorted_tables} | {"alembic_version"} == tables
    assert diff == [], "models changed without a migration: run alembic revision --autogenerate"


def test_migrate_without_a_database_is_database_unavailable():
    with pytest.raises(DatabaseUnavailable):
        migrate(f"postgresql://deis:deis@127.0.0.1:{free_port()}/deis?connect_timeout=2")
