"""Each item keeps the day its state last changed as a receiver sees it: the day a receiver or a
monitor reads, where `state_since` would date the sender's hidden steps (a notice, a fear claim,
a clearance).

Items moved before this revision get it from their timeline, with the seen states of the day
this revision was written.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 09:00:00.000000
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SEEN = {
    "notified": "accepted",
    "fear_claimed": "accepted",
    "reopening": "accepted",
    "cleared": "accepted",
    "cancelled": "withdrawn",
    "blocked_protection": "withdrawn",
}


def upgrade() -> None:
    with op.batch_alter_table("proposal_items") as batch:
        batch.add_column(sa.Column("seen_since", sa.Date(), nullable=True))
    bind = op.get_bind()
    items = sa.table(
        "proposal_items",
        sa.column("id", sa.Integer()),
        sa.column("state_since", sa.Date()),
        sa.column("seen_since", sa.Date()),
    )
    events = sa.table(
        "item_events",
        sa.column("id", sa.Integer()),
        sa.column("item_id", sa.Integer()),
        sa.column("from_state", sa.String()),
        sa.column("to_state", sa.String()),
        sa.column("day", sa.Date()),
    )
    seen_since: dict[int, dt.date] = {}
    query = sa.select(events.c.item_id, events.c.from_state, events.c.to_state, events.c.day)
    for item_id, before, after, day in bind.execute(query.order_by(events.c.id)):
        if before is None or SEEN.get(before, before) != SEEN.get(after, after):
            seen_since[item_id] = day
    for item_id, state_since in bind.execute(sa.select(items.c.id, items.c.state_since)).all():
        bind.execute(
            items.update()
            .where(items.c.id == item_id)
            .values(seen_since=seen_since.get(item_id, state_since))
        )
    with op.batch_alter_table("proposal_items") as batch:
        batch.alter_column("seen_since", existing_type=sa.Date(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("proposal_items") as batch:
        batch.drop_column("seen_since")
