"""satisfaction survey: one-time ballots and answers that name nobody

Revision ID: 0011_satisfaction_survey
Revises: 0010_mail_outbox

``survey_issued``: the links that got their one ballot (deleted with the link).
``survey_ballots``: unused ballots, by the SHA-256 of their token, with their bucket
(mediation type, region, month). ``survey_answers``: the answers, the bucket and a random
id; nothing that names a person, a case, a session or a link, no time finer than the
month. The two last have no rowid on SQLite, so nothing keeps the order they were written.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_satisfaction_survey"
down_revision = "0010_mail_outbox"
branch_labels = None
depends_on = None


def _bucket() -> list[sa.Column[str]]:
    return [
        sa.Column("mediation_type", sa.String(32), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "survey_issued",
        sa.Column("link_id", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"], ["invite_links.jti"], name=op.f("fk_survey_issued_link_id_invite_links"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("link_id", name=op.f("pk_survey_issued")),
    )  # fmt: skip
    op.create_table(
        "survey_ballots",
        sa.Column("token_hash", sa.String(64), nullable=False),
        *_bucket(),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_survey_ballots")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "survey_answers",
        sa.Column("id", sa.String(32), nullable=False),
        *_bucket(),
        sa.Column("heard", sa.Integer(), nullable=False),
        sa.Column("understood", sa.Integer(), nullable=False),
        sa.Column("tool_worked", sa.Integer(), nullable=False),
        sa.Column("recommend", sa.String(8), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answers")),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("survey_answers")
    op.drop_table("survey_ballots")
    op.drop_table("survey_issued")
