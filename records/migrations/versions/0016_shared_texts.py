"""shared texts: the encrypted updates of each live session's rooms' texts

Revision ID: 0016_shared_texts
Revises: 0015_public_requests

One table, one row per accepted update (a Yjs update and who made it), numbered per room
like the board journal; the content is AES-GCM under the case's key.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import records.models

revision = "0016_shared_texts"
down_revision = "0015_public_requests"
branch_labels = None
depends_on = None

UTC = records.models.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "text_updates",
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("session_id", sa.String(32), nullable=False),
        sa.Column("room_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_text_updates_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "case_id", "session_id", "room_id", "seq", name=op.f("pk_text_updates")
        ),
    )


def downgrade() -> None:
    op.drop_table("text_updates")
