"""Alembic environment: migrations run on the connection ``controller.db.migrate`` passes."""

from alembic import context
from sqlalchemy import create_engine

from controller.models import Base

target_metadata = Base.metadata


def run(connection) -> None:
    """Run the pending migrations on ``connection``."""
    context.configure(connection=connection, target_metadata=target_metadata,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
    with engine.begin() as own_connection:
        run(own_connection)
