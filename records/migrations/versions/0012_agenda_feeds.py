"""agenda feeds: each mediator's private calendar subscription, by the hash of its token

Revision ID: 0012_agenda_feeds
Revises: 0011_satisfaction_survey

``agenda_feeds``: one row per mediator who has a feed; the SHA-256 of its random token
(unique: a fetch finds its row by it), the language of its texts, when it was created and
last fetched. Deleted with the account; revoking a feed deletes its row.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from records.models import UTCDateTime

revision = "0012_agenda_feeds"
down_revision = "0011_satisfaction_survey"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agenda_feeds",
        sa.Column("mediator_id", sa.String(32), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["mediator_id"], ["mediators.id"], name=op.f("fk_agenda_feeds_mediator_id_mediators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("mediator_id", name=op.f("pk_agenda_feeds")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_agenda_feeds_token_hash")),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("agenda_feeds")
