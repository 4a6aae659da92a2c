"""records: encrypted case items, consent and audit chains, notice texts

Revision ID: 0002
Revises: 0001

The wrapped data keys are *not* here: they live in their own database (with
SQLite, its own file ``keys.db``) whose one table ``records.crypto.keystore`` creates
at start, so that shredding a key can be complete. Existing plaintext
``cases.description`` values cannot be encrypted here (a migration has no key
provider): ``CaseFile.encrypt_legacy_descriptions`` moves them into the
encrypted item store at the next start and blanks the column.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import records.models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC = records.models.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("closed_at", UTC(), nullable=True))
        batch.add_column(
            sa.Column("legal_hold", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("participants") as batch:
        batch.add_column(sa.Column("erased_at", UTC(), nullable=True))
    op.create_table(
        "case_items",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("provided_by", sa.String(32), nullable=True),
        sa.Column("session_id", sa.String(32), nullable=True),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_items_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_items")),
    )
    op.create_index(op.f("ix_case_items_case_id"), "case_items", ["case_id"])
    op.create_index(op.f("ix_case_items_provided_by"), "case_items", ["provided_by"])
    op.create_table(
        "case_item_versions",
        sa.Column("item_id", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["case_items.id"],
            name=op.f("fk_case_item_versions_item_id_case_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", "version", name=op.f("pk_case_item_versions")),
    )
    op.create_index(op.f("ix_case_item_versions_key_id"), "case_item_versions", ["key_id"])
    op.create_table(
        "log_heads",
        sa.Column("name", sa.String(16), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("mac", sa.String(64), nullable=False),
        sa.Column("first_seq", sa.BigInteger(), nullable=False),
        sa.Column("first_prev", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_log_heads")),
    )
    genesis = "0" * 64
    heads = sa.table(
        "log_heads",
        sa.column("name", sa.String),
        sa.column("seq", sa.BigInteger),
        sa.column("mac", sa.String),
        sa.column("first_seq", sa.BigInteger),
        sa.column("first_prev", sa.String),
    )
    op.bulk_insert(
        heads,
        [
            {"name": name, "seq": 0, "mac": genesis, "first_seq": 1, "first_prev": genesis}
            for name in ("consent", "audit")
        ],
    )
    op.create_table(
        "consent_log",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("session_id", sa.String(32), nullable=False),
        sa.Column("participant_id", sa.String(32), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("text_version", sa.Integer(), nullable=False),
        sa.Column("text_sha256", sa.String(64), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("mechanism", sa.Text(), nullable=False),
        sa.Column("typed_name", sa.String(200), nullable=True),
        sa.Column("mac", sa.String(64), nullable=False),
        sa.Column("prev_mac", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_consent_log")),
    )
    for col in ("at", "session_id", "participant_id"):
        op.create_index(op.f(f"ix_consent_log_{col}"), "consent_log", [col])
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("case_id", sa.String(32), nullable=True),
        sa.Column("session_id", sa.String(32), nullable=True),
        sa.Column("subject", sa.String(80), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("via", sa.String(120), nullable=False),
        sa.Column("mac", sa.String(64), nullable=False),
        sa.Column("prev_mac", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
    )
    for col in ("at", "case_id"):
        op.create_index(op.f(f"ix_audit_log_{col}"), "audit_log", [col])
    op.create_table(
        "notice_texts",
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("published_by", sa.String(120), nullable=False),
        sa.Column("published_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "language", "version", name=op.f("pk_notice_texts")),
    )


def downgrade() -> None:
    for table in (
        "notice_texts", "audit_log", "consent_log", "log_heads", "case_item_versions",
        "case_items",
    ):  # fmt: skip
        op.drop_table(table)
    with op.batch_alter_table("participants") as batch:
        batch.drop_column("erased_at")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("legal_hold")
        batch.drop_column("closed_at")
