"""board journal: the encrypted operations of each live session's whiteboards

Revision ID: 0004_board_journal
Revises: 0003_case_outcome

One table, one row per operation; the content is AES-GCM under the case's key.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import records.models

revision = "0004_board_journal"
down_revision = "0003_case_outcome"
branch_labels = None
depends_on = None

UTC = records.models.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "board_ops",
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("session_id", sa.String(32), nullable=False),
        sa.Column("room_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_board_ops_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint(
            "case_id", "session_id", "room_id", "seq", name=op.f("pk_board_ops")
        ),
    )


def downgrade() -> None:
    op.drop_table("board_ops")
