"""shared documents: how each document of a live session is shared, kept across breaks

Revision ID: 0005_shared_documents
Revises: 0004_board_journal

One row per shared document, AES-GCM under the same key as the document; it
goes with the document (foreign key, on delete cascade).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import records.models

revision = "0005_shared_documents"
down_revision = "0004_board_journal"
branch_labels = None
depends_on = None

UTC = records.models.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "shared_documents",
        sa.Column("doc_id", sa.String(32), nullable=False),
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("session_id", sa.String(32), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["doc_id"],
            ["case_items.id"],
            name=op.f("fk_shared_documents_doc_id_case_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_shared_documents_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("doc_id", name=op.f("pk_shared_documents")),
    )
    op.create_index(
        op.f("ix_shared_documents_session_id"), "shared_documents", ["session_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_shared_documents_session_id"), table_name="shared_documents")
    op.drop_table("shared_documents")
