"""participants: contact details sealed under the participant's own data key

Revision ID: 0018_participant_addresses
Revises: 0017_signatures

``email_sealed``: the address, AES-256-GCM under the participant's data key, bound to the
case, the participant and the field; ``contact_key_id``: that key's id in the key store.
A migration has no access to the key provider: the addresses already stored in clear
(``email``) are sealed at the next start (``ParticipantAddresses.seal_legacy``), which
then empties ``email``. The column stays, always NULL once that has run, so that a start
of this version on a database migrated but not yet started loses nothing; a later
migration drops it once every installation has started on this version.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_participant_addresses"
down_revision = "0017_signatures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("participants") as batch:
        batch.add_column(sa.Column("email_sealed", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("contact_key_id", sa.String(32), nullable=True))


def downgrade() -> None:
    # the sealed addresses cannot be opened here (no key provider): they are lost
    with op.batch_alter_table("participants") as batch:
        batch.drop_column("contact_key_id")
        batch.drop_column("email_sealed")
