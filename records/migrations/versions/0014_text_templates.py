"""text templates: the organisation's own versions of the agreement texts

Revision ID: 0014_text_templates
Revises: 0013_session_notices

``text_templates``: every saved version of a template (agreement to mediate, mediated
agreement, end-of-mediation record, report to the judge), per language, with who saved
it and when; ``body`` NULL for a version that went back to the built-in text.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from records.models import UTCDateTime

revision = "0014_text_templates"
down_revision = "0013_session_notices"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "text_templates",
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("edited_by", sa.String(80), nullable=False),
        sa.Column("edited_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "language", "version", name=op.f("pk_text_templates")),
    )


def downgrade() -> None:
    op.drop_table("text_templates")
