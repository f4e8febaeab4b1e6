"""Check-ins and incidents record the role of who recorded them, as item events do: a receiver
or a monitor reads the sender's staff as `the sender`, never by name.

Rows written before this revision have no role, and read as the sender's.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("check_ins") as batch:
        batch.add_column(sa.Column("by_role", sa.String(length=16), nullable=True))
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("reported_role", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("reported_role")
    with op.batch_alter_table("check_ins") as batch:
        batch.drop_column("by_role")
