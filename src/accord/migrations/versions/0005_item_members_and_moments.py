"""Each item remembers the people it proposed (S9 by identity, not by count) and the last moment
anything was recorded on it (time runs forward per item).

Items proposed before this revision take their family's members as stored now, and the moment
of their last move.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 08:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("proposal_items") as batch:
        batch.add_column(sa.Column("members", JSON_DOCUMENT, nullable=True))
        batch.add_column(sa.Column("last_at", sa.DateTime(timezone=True), nullable=True))
    bind = op.get_bind()
    items = sa.table(
        "proposal_items",
        sa.column("id", sa.Integer()),
        sa.column("family_id", sa.String()),
        sa.column("members", JSON_DOCUMENT),
        sa.column("last_at", sa.DateTime(timezone=True)),
    )
    people = sa.table(
        "people", sa.column("case_id", sa.String()), sa.column("family_id", sa.String())
    )
    events = sa.table(
        "item_events",
        sa.column("item_id", sa.Integer()),
        sa.column("at", sa.DateTime(timezone=True)),
    )
    members: dict[str, list[str]] = {}
    for case_id, family_id in bind.execute(sa.select(people.c.case_id, people.c.family_id)):
        members.setdefault(family_id, []).append(case_id)
    last = dict(
        bind.execute(
            sa.select(events.c.item_id, sa.func.max(events.c.at)).group_by(events.c.item_id)
        ).all()
    )
    for item_id, family_id in bind.execute(sa.select(items.c.id, items.c.family_id)).all():
        bind.execute(
            items.update()
            .where(items.c.id == item_id)
            .values(members=sorted(members.get(family_id, [])), last_at=last.get(item_id))
        )


def downgrade() -> None:
    with op.batch_alter_table("proposal_items") as batch:
        batch.drop_column("last_at")
        batch.drop_column("members")
