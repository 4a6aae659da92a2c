"""mail outbox: e-mail stored before it is sent, retried until the server takes it

Revision ID: 0010_mail_outbox
Revises: 0009_media_encryption

One row per message of a case: its state (waiting, sending under a lease, sent, failed),
attempts, when it is next due, the SMTP server's last reply, its Message-ID; recipient,
subject, bodies and attachments encrypted under the recipient participant's data key.
It goes with the case and the session (foreign keys, on delete cascade).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import records.models

revision = "0010_mail_outbox"
down_revision = "0009_media_encryption"
branch_labels = None
depends_on = None

UTC = records.models.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("session_id", sa.String(32), nullable=True),
        sa.Column("participant_id", sa.String(32), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("message_id", sa.String(200), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC(), nullable=False),
        sa.Column("lease_until", UTC(), nullable=True),
        sa.Column("lease_token", sa.String(32), nullable=True),
        sa.Column("last_code", sa.Integer(), nullable=True),
        sa.Column("last_reply", sa.String(500), nullable=True),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("sent_at", UTC(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_mail_outbox_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["mediation_sessions.id"],
            name=op.f("fk_mail_outbox_session_id_mediation_sessions"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_outbox")),
    )  # fmt: skip
    op.create_index(op.f("ix_mail_outbox_case_id"), "mail_outbox", ["case_id"], unique=False)
    op.create_index(
        op.f("ix_mail_outbox_next_attempt_at"), "mail_outbox", ["next_attempt_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_mail_outbox_next_attempt_at"), table_name="mail_outbox")
    op.drop_index(op.f("ix_mail_outbox_case_id"), table_name="mail_outbox")
    op.drop_table("mail_outbox")
