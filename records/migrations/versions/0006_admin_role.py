"""admin role: organisation administrators publish the legal texts and change settings

Revision ID: 0006_admin_role
Revises: 0005_shared_documents

One column on mediators. The first account ever created (the one made at
setup) becomes the administrator of an existing database.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_admin_role"
down_revision = "0005_shared_documents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mediators") as batch:
        batch.add_column(
            sa.Column("is_admin", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    mediators = sa.table(
        "mediators",
        sa.column("id", sa.String(32)),
        sa.column("created_at", sa.DateTime()),
        sa.column("is_admin", sa.Boolean()),
    )
    first = (
        sa.select(mediators.c.id)
        .order_by(mediators.c.created_at, mediators.c.id)
        .limit(1)
        .scalar_subquery()
    )
    op.execute(mediators.update().where(mediators.c.id == first).values(is_admin=True))


def downgrade() -> None:
    with op.batch_alter_table("mediators") as batch:
        batch.drop_column("is_admin")
