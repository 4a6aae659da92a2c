"""live states: what a live session needs to carry on on another node, stored as it changes

Revision ID: 0008_live_states
Revises: 0007_consent_personal

One row per live session: the state its node last stored (who is admitted, waiting,
removed; the open private meetings and who is in which; the lock...), AES-GCM under the
case key; ``epoch`` fences writers (only the node that claimed the session last may
write), ``revision`` counts the writes. It goes with the session and the case (foreign
keys, on delete cascade).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import records.models

revision = "0008_live_states"
down_revision = "0007_consent_personal"
branch_labels = None
depends_on = None

UTC = records.models.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "live_states",
        sa.Column("session_id", sa.String(32), nullable=False),
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=True),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["mediation_sessions.id"],
            name=op.f("fk_live_states_session_id_mediation_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_live_states_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_live_states")),
    )
    op.create_index(op.f("ix_live_states_case_id"), "live_states", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_live_states_case_id"), table_name="live_states")
    op.drop_table("live_states")
