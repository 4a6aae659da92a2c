"""signatures: texts frozen for signing, their signers, one-time codes and signatures

Revision ID: 0017_signatures
Revises: 0016_shared_texts

``agreement_texts``: a text frozen for signing (its written form encrypted under the
case key; its SHA-256, kind, language, state and who froze it in clear).
``agreement_signers``: each signer of one, their one-time code's HMAC, wrong tries and
lock (in the database, so they hold across nodes and restarts), and their signature
(typed name and drawing encrypted; time, method, masked address, browser in clear).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from records.models import UTCDateTime

revision = "0017_signatures"
down_revision = "0016_shared_texts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agreement_texts",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("frozen_by", sa.String(80), nullable=False),
        sa.Column("frozen_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("sealed_item_id", sa.String(32), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_agreement_texts_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_texts")),
    )
    op.create_index(op.f("ix_agreement_texts_case_id"), "agreement_texts", ["case_id"])
    op.create_table(
        "agreement_signers",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("text_id", sa.String(32), nullable=False),
        sa.Column("person_kind", sa.String(16), nullable=False),
        sa.Column("person_id", sa.String(32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=True),
        sa.Column("code_salt", sa.String(32), nullable=True),
        sa.Column("code_channel", sa.String(16), nullable=True),
        sa.Column("code_to", sa.String(120), nullable=True),
        sa.Column("code_expires_at", UTCDateTime(), nullable=True),
        sa.Column("wrong_tries", sa.Integer(), nullable=False),
        sa.Column("locked_until", UTCDateTime(), nullable=True),
        sa.Column("last_sent_at", UTCDateTime(), nullable=True),
        sa.Column("window_start", UTCDateTime(), nullable=True),
        sa.Column("sent_in_window", sa.Integer(), nullable=False),
        sa.Column("signed_at", UTCDateTime(), nullable=True),
        sa.Column("signed_sha256", sa.String(64), nullable=True),
        sa.Column("method", sa.String(32), nullable=True),
        sa.Column("identified_to", sa.String(120), nullable=True),
        sa.Column("user_agent", sa.String(300), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=True),
        sa.Column("key_id", sa.String(32), nullable=True),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["text_id"],
            ["agreement_texts.id"],
            name=op.f("fk_agreement_signers_text_id_agreement_texts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_signers")),
    )
    op.create_index(op.f("ix_agreement_signers_text_id"), "agreement_signers", ["text_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_agreement_signers_text_id"), table_name="agreement_signers")
    op.drop_table("agreement_signers")
    op.drop_index(op.f("ix_agreement_texts_case_id"), table_name="agreement_texts")
    op.drop_table("agreement_texts")
