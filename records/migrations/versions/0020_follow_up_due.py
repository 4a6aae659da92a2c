"""what follows a session's end, stored with the end

Revision ID: 0020_follow_up_due
Revises: 0019_text_comments

``mediation_sessions.follow_up_due``: the keys of who took part (a JSON list), written in
the transaction that stores the end and cleared once what follows it (the parties'
questionnaire by e-mail) is queued; a node that stops in between leaves it for the
catch-up round of any node. Sessions ended before this revision have none.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020_follow_up_due"
down_revision = "0019_text_comments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mediation_sessions") as batch:
        batch.add_column(sa.Column("follow_up_due", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mediation_sessions") as batch:
        batch.drop_column("follow_up_due")
