"""consent log: the personal fields of an entry sealed under the participant's key

Revision ID: 0007_consent_personal
Revises: 0006_admin_role

The typed name and the free text of how consent was given (the browser string,
the observers' names) are stored AES-GCM under the participant's own data key
(``personal``, ``personal_key_id``); the chain MACs the SHA-256 of that
ciphertext (``personal_sha256``), so destroying the key and the ciphertext at
erasure leaves an entry that still verifies. ``entry_format`` is 1 for the
entries written before, whose MAC covers the name in clear: they are sealed and
re-chained at the next start (``ConsentLog.seal_legacy``), which needs the keys.
``typed_name`` stays as a legacy column, always NULL once that has run.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_consent_personal"
down_revision = "0006_admin_role"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("consent_log") as batch:
        batch.add_column(
            sa.Column("entry_format", sa.Integer(), nullable=False, server_default="1")
        )
        batch.add_column(sa.Column("personal", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("personal_key_id", sa.String(32), nullable=True))
        batch.add_column(sa.Column("personal_sha256", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("consent_log") as batch:
        batch.drop_column("personal_sha256")
        batch.drop_column("personal_key_id")
        batch.drop_column("personal")
        batch.drop_column("entry_format")
