"""session notices: reminders per case, the .ics sequence of a session, one-of-a-kind mail

Revision ID: 0013_session_notices
Revises: 0012_agenda_feeds

``cases.reminder_hours``: how long before each session its invited participants get a
reminder (24 by default, also for existing cases; 0: none). ``mediation_sessions.sequence``:
the iCalendar SEQUENCE of the session's event, one more at each move or cancellation.
``mail_outbox.dedup_key``: what makes a message one of a kind (a reminder for one person and
one start time), under a unique index: two nodes or a restart never queue it twice.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_session_notices"
down_revision = "0012_agenda_feeds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(
            sa.Column("reminder_hours", sa.Integer(), nullable=False, server_default="24")
        )
    with op.batch_alter_table("mediation_sessions") as batch:
        batch.add_column(sa.Column("sequence", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("mail_outbox") as batch:
        batch.add_column(sa.Column("dedup_key", sa.String(160), nullable=True))
        batch.create_index(batch.f("ix_mail_outbox_dedup_key"), ["dedup_key"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("mail_outbox") as batch:
        batch.drop_index(batch.f("ix_mail_outbox_dedup_key"))
        batch.drop_column("dedup_key")
    with op.batch_alter_table("mediation_sessions") as batch:
        batch.drop_column("sequence")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("reminder_hours")
