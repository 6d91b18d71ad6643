"""Alembic migrations: idempotent, and in step with the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from controller.db import engine_url, migrate
from controller.models import Base


def test_migrate_twice_is_a_no_op(database_url):
    migrate(database_url)
    migrate(database_url)


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
    import pytest

    from controller.db import DatabaseUnavailable
    from tests.services import free_port

    with pytest.raises(DatabaseUnavailable):
        migrate(f"postgresql://deis:deis@127.0.0.1:{free_port()}/deis?connect_timeout=2")
