"""public requests: mediation requests sent from the public form, and their e-mail

Revision ID: 0015_public_requests
Revises: 0014_text_templates

``public_requests``: one row per request; in clear its time, state, kind of dispute and
language; who asks, how to reach them, the other party and the description encrypted
under a data key of the request's own. ``mail_outbox`` may now hold a message that
answers a request (``request_id``, no case): its ``case_id`` becomes nullable.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import records.models

revision = "0015_public_requests"
down_revision = "0014_text_templates"
branch_labels = None
depends_on = None

UTC = records.models.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "public_requests",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=True),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("decided_at", UTC(), nullable=True),
        sa.Column("decided_by", sa.String(32), nullable=True),
        sa.Column("case_id", sa.String(32), nullable=True),
        sa.Column("shredded_at", UTC(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_public_requests_case_id_cases"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_requests")),
    )  # fmt: skip
    op.create_index(
        op.f("ix_public_requests_created_at"), "public_requests", ["created_at"], unique=False
    )
    op.create_index(op.f("ix_public_requests_state"), "public_requests", ["state"], unique=False)
    with op.batch_alter_table("mail_outbox") as batch:
        batch.alter_column("case_id", existing_type=sa.String(32), nullable=True)
        batch.add_column(sa.Column("request_id", sa.String(32), nullable=True))
        batch.create_foreign_key(
            op.f("fk_mail_outbox_request_id_public_requests"), "public_requests",
            ["request_id"], ["id"], ondelete="CASCADE",
        )  # fmt: skip
        batch.create_index(op.f("ix_mail_outbox_request_id"), ["request_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mail_outbox") as batch:
        batch.drop_index(op.f("ix_mail_outbox_request_id"))
        batch.drop_constraint(op.f("fk_mail_outbox_request_id_public_requests"), type_="foreignkey")
        batch.drop_column("request_id")
    op.execute("DELETE FROM mail_outbox WHERE case_id IS NULL")
    with op.batch_alter_table("mail_outbox") as batch:
        batch.alter_column("case_id", existing_type=sa.String(32), nullable=False)
    op.drop_index(op.f("ix_public_requests_state"), table_name="public_requests")
    op.drop_index(op.f("ix_public_requests_created_at"), table_name="public_requests")
    op.drop_table("public_requests")
