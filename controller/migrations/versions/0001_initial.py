"""Create every table of the controller (Deis v1 API 1.7 data model).

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=150), nullable=False),
        sa.Column("password", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("first_name", sa.String(length=30), nullable=False),
        sa.Column("last_name", sa.String(length=30), nullable=False),
        sa.Column("is_superuser", sa.Boolean(), nullable=False),
        sa.Column("is_staff", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("last_login", sa.DateTime(timezone=True), nullable=True),
        sa.Column("date_joined", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "apps",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("structure", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_apps_owner_id_users"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_apps")),
        sa.UniqueConstraint("id", name=op.f("uq_apps_id")),
    )
    op.create_index(op.f("ix_apps_owner_id"), "apps", ["owner_id"], unique=False)
    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("certificate", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("common_name", sa.String(length=255), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_certificates_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("common_name", name=op.f("uq_certificates_common_name")),
    )
    op.create_index(op.f("ix_certificates_owner_id"), "certificates", ["owner_id"], unique=False)
    op.create_table(
        "keys",
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("public", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(length=128), nullable=False),
        sa.Column("fingerprint_sha256", sa.String(length=128), nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_keys_owner_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_keys")),
        sa.UniqueConstraint("owner_id", "id", name=op.f("uq_keys_owner_id_id")),
        sa.UniqueConstraint("public", name=op.f("uq_keys_public")),
    )
    op.create_index(op.f("ix_keys_fingerprint_sha256"), "keys", ["fingerprint_sha256"], unique=False)
    op.create_index(op.f("ix_keys_owner_id"), "keys", ["owner_id"], unique=False)
    op.create_table(
        "tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_tokens_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tokens")),
        sa.UniqueConstraint("digest", name=op.f("uq_tokens_digest")),
    )
    op.create_index(op.f("ix_tokens_user_id"), "tokens", ["user_id"], unique=False)
    op.create_table(
        "builds",
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("app_uuid", sa.Uuid(), nullable=False),
        sa.Column("image", sa.String(length=256), nullable=False),
        sa.Column("sha", sa.String(length=40), nullable=False),
        sa.Column("procfile", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("dockerfile", sa.Text(), nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["app_uuid"], ["apps.uuid"], name=op.f("fk_builds_app_uuid_apps"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_builds_owner_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_builds")),
    )
    op.create_index(op.f("ix_builds_app_uuid"), "builds", ["app_uuid"], unique=False)
    op.create_index(op.f("ix_builds_owner_id"), "builds", ["owner_id"], unique=False)
    op.create_table(
        "configs",
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("app_uuid", sa.Uuid(), nullable=False),
        sa.Column("values", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("memory", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("cpu", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("tags", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["app_uuid"], ["apps.uuid"], name=op.f("fk_configs_app_uuid_apps"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_configs_owner_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_configs")),
    )
    op.create_index(op.f("ix_configs_app_uuid"), "configs", ["app_uuid"], unique=False)
    op.create_index(op.f("ix_configs_owner_id"), "configs", ["owner_id"], unique=False)
    op.create_table(
        "domains",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("app_uuid", sa.Uuid(), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["app_uuid"], ["apps.uuid"], name=op.f("fk_domains_app_uuid_apps"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_domains_owner_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_domains")),
        sa.UniqueConstraint("domain", name=op.f("uq_domains_domain")),
    )
    op.create_index(op.f("ix_domains_app_uuid"), "domains", ["app_uuid"], unique=False)
    op.create_index(op.f("ix_domains_owner_id"), "domains", ["owner_id"], unique=False)
    op.create_table(
        "perms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("app_uuid", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["app_uuid"], ["apps.uuid"], name=op.f("fk_perms_app_uuid_apps"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_perms_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_perms")),
        sa.UniqueConstraint("app_uuid", "user_id", name=op.f("uq_perms_app_uuid_user_id")),
    )
    op.create_index(op.f("ix_perms_app_uuid"), "perms", ["app_uuid"], unique=False)
    op.create_index(op.f("ix_perms_user_id"), "perms", ["user_id"], unique=False)
    op.create_table(
        "pushes",
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("app_uuid", sa.Uuid(), nullable=False),
        sa.Column("sha", sa.String(length=40), nullable=False),
        sa.Column("fingerprint", sa.String(length=255), nullable=False),
        sa.Column("receive_user", sa.String(length=255), nullable=False),
        sa.Column("receive_repo", sa.String(length=255), nullable=False),
        sa.Column("ssh_connection", sa.String(length=255), nullable=False),
        sa.Column("ssh_original_command", sa.String(length=255), nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["app_uuid"], ["apps.uuid"], name=op.f("fk_pushes_app_uuid_apps"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_pushes_owner_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_pushes")),
    )
    op.create_index(op.f("ix_pushes_app_uuid"), "pushes", ["app_uuid"], unique=False)
    op.create_index(op.f("ix_pushes_owner_id"), "pushes", ["owner_id"], unique=False)
    op.create_table(
        "releases",
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("app_uuid", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("config_uuid", sa.Uuid(), nullable=False),
        sa.Column("build_uuid", sa.Uuid(), nullable=True),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_uuid"], ["apps.uuid"], name=op.f("fk_releases_app_uuid_apps"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["build_uuid"], ["builds.uuid"], name=op.f("fk_releases_build_uuid_builds"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["config_uuid"], ["configs.uuid"], name=op.f("fk_releases_config_uuid_configs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_releases_owner_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_releases")),
        sa.UniqueConstraint("app_uuid", "version", name=op.f("uq_releases_app_uuid_version")),
    )
    op.create_index(op.f("ix_releases_app_uuid"), "releases", ["app_uuid"], unique=False)
    op.create_index(op.f("ix_releases_owner_id"), "releases", ["owner_id"], unique=False)
    op.create_table(
        "containers",
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("app_uuid", sa.Uuid(), nullable=False),
        sa.Column("release_uuid", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=128), nullable=False),
        sa.Column("num", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_uuid"], ["apps.uuid"], name=op.f("fk_containers_app_uuid_apps"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_containers_owner_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["release_uuid"], ["releases.uuid"], name=op.f("fk_containers_release_uuid_releases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_containers")),
    )
    op.create_index(op.f("ix_containers_app_uuid"), "containers", ["app_uuid"], unique=False)
    op.create_index(op.f("ix_containers_owner_id"), "containers", ["owner_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(op.f("ix_containers_owner_id"), table_name="containers")
    op.drop_index(op.f("ix_containers_app_uuid"), table_name="containers")
    op.drop_table("containers")
    op.drop_index(op.f("ix_releases_owner_id"), table_name="releases")
    op.drop_index(op.f("ix_releases_app_uuid"), table_name="releases")
    op.drop_table("releases")
    op.drop_index(op.f("ix_pushes_owner_id"), table_name="pushes")
    op.drop_index(op.f("ix_pushes_app_uuid"), table_name="pushes")
    op.drop_table("pushes")
    op.drop_index(op.f("ix_perms_user_id"), table_name="perms")
    op.drop_index(op.f("ix_perms_app_uuid"), table_name="perms")
    op.drop_table("perms")
    op.drop_index(op.f("ix_domains_owner_id"), table_name="domains")
    op.drop_index(op.f("ix_domains_app_uuid"), table_name="domains")
    op.drop_table("domains")
    op.drop_index(op.f("ix_configs_owner_id"), table_name="configs")
    op.drop_index(op.f("ix_configs_app_uuid"), table_name="configs")
    op.drop_table("configs")
    op.drop_index(op.f("ix_builds_owner_id"), table_name="builds")
    op.drop_index(op.f("ix_builds_app_uuid"), table_name="builds")
    op.drop_table("builds")
    op.drop_index(op.f("ix_tokens_user_id"), table_name="tokens")
    op.drop_table("tokens")
    op.drop_index(op.f("ix_keys_owner_id"), table_name="keys")
    op.drop_index(op.f("ix_keys_fingerprint_sha256"), table_name="keys")
    op.drop_table("keys")
    op.drop_index(op.f("ix_certificates_owner_id"), table_name="certificates")
    op.drop_table("certificates")
    op.drop_index(op.f("ix_apps_owner_id"), table_name="apps")
    op.drop_table("apps")
    op.drop_table("users")
