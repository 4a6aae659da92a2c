"""case outcome: how a case was closed (structured part of its anonymised summary)

Revision ID: 0003_case_outcome
Revises: 0002

One table. The free-text summary is an encrypted case-file item, not here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import records.models

revision = "0003_case_outcome"
down_revision = "0002"
branch_labels = None
depends_on = None

UTC = records.models.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "case_outcomes",
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("referral", sa.String(32), nullable=False),
        sa.Column("party_kinds", sa.String(120), nullable=False),
        sa.Column("departement", sa.String(3), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("session_minutes", sa.Text(), nullable=False),
        sa.Column("court_reference", sa.String(64), nullable=True),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("summary_item_id", sa.String(32), nullable=True),
        sa.Column("review", sa.Text(), nullable=False),
        sa.Column("confirmed_at", UTC(), nullable=True),
        sa.Column("closed_by", sa.String(32), nullable=False),
        sa.Column("closed_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_outcomes_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_outcomes")),
    )


def downgrade() -> None:
    op.drop_table("case_outcomes")
