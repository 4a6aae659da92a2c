"""comments on shared texts, and snapshots of them

Revision ID: 0019_text_comments
Revises: 0018_participant_addresses

Two tables laid out like ``text_updates`` (numbered per room, AES-GCM under the case's
key): the changes of the comments on each room's text, and snapshots of each room's text
(its state after an update, so that opening a session does not replay every update).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import records.models

revision = "0019_text_comments"
down_revision = "0018_participant_addresses"
branch_labels = None
depends_on = None

UTC = records.models.UTCDateTime
TABLES = ("text_comments", "text_snapshots")


def upgrade() -> None:
    for table in TABLES:
        op.create_table(
            table,
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
                name=op.f(f"fk_{table}_case_id_cases"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint(
                "case_id", "session_id", "room_id", "seq", name=op.f(f"pk_{table}")
            ),
        )


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
