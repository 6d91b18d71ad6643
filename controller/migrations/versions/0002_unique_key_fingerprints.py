"""One SSH key belongs to one user: make the SHA-256 fingerprint unique.

Public keys are public: without this, a user could register someone else's key
(with another comment) and have that person's pushes resolve to them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.drop_index("ix_keys_fingerprint_sha256", table_name="keys")
    op.create_index("ix_keys_fingerprint_sha256", "keys", ["fingerprint_sha256"], unique=True)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_keys_fingerprint_sha256", table_name="keys")
    op.create_index("ix_keys_fingerprint_sha256", "keys", ["fingerprint_sha256"], unique=False)
