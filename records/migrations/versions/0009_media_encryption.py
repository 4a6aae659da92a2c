"""media encryption: whether a browser that cannot encrypt frames may take part in a case

Revision ID: 0009_media_encryption
Revises: 0008_live_states

One column on cases: ``required`` (the default, also for existing cases: such a browser
is refused) or ``allowed`` (it may join; its room is then encrypted only as far as the
server, and everyone in it is shown so).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_media_encryption"
down_revision = "0008_live_states"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(
            sa.Column("media_encryption", sa.String(16), nullable=False, server_default="required")
        )


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("media_encryption")
