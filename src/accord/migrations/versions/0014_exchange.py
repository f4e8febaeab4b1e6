"""The exchange between deployments: peers and their keys, the messages of each channel, what
the sender last told a peer of each item, the received pools' minimized records, and the
ledger statements.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 19:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    moment = sa.DateTime(timezone=True)
    op.create_table(
        "peers",
        sa.Column("party", sa.String(length=16), sa.ForeignKey("parties.code"), primary_key=True),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("added_at", moment, nullable=False),
        sa.Column("added_by", sa.String(length=128), nullable=False),
    )
    op.create_table(
        "peer_keys",
        sa.Column("kid", sa.String(length=64), primary_key=True),
        sa.Column("party", sa.String(length=16), sa.ForeignKey("peers.party"), nullable=False),
        sa.Column("use", sa.String(length=3), nullable=False),
        sa.Column("jwk", json, nullable=False),
        sa.Column("added_at", moment, nullable=False),
        sa.Column("revoked_at", moment, nullable=True),
        sa.Column("revoked_by", sa.String(length=128), nullable=True),
    )
    op.create_index("ix_peer_keys_party", "peer_keys", ["party"])
    op.create_table(
        "exchange_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("sender", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=16), nullable=False),
        sa.Column("agreement_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("prev", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("body", json, nullable=False),
        sa.Column("sent_at", moment, nullable=False),
        sa.Column("token", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", moment, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("recorded_at", moment, nullable=False),
        sa.Column("done_at", moment, nullable=True),
        sa.UniqueConstraint("direction", "message_id", name="uq_exchange_messages_message"),
        sa.UniqueConstraint(
            "direction",
            "sender",
            "recipient",
            "agreement_id",
            "seq",
            name="uq_exchange_messages_channel_seq",
        ),
    )
    op.create_index("ix_exchange_messages_state", "exchange_messages", ["direction", "state"])
    op.create_table(
        "exchange_item_marks",
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("proposal_items.id"), primary_key=True),
        sa.Column("seen", sa.String(length=40), nullable=False),
        sa.Column("scheduled_for", sa.Date(), nullable=True),
    )
    op.create_table(
        "received_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sender", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("pool_id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.String(length=64), nullable=False),
        sa.Column("family_id", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("proposed_on", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("scheduled_for", sa.Date(), nullable=True),
        sa.Column("decision", sa.String(length=8), nullable=True),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("reason_code", sa.String(length=64), nullable=True),
        sa.Column("reason_text", sa.Text(), nullable=True),
        sa.Column("refusal", sa.Text(), nullable=True),
        sa.Column("arrived_on", sa.Date(), nullable=True),
        sa.Column("onward", sa.String(length=24), nullable=True),
        sa.UniqueConstraint("sender", "item_id"),
    )
    op.create_index("ix_received_items_pool_id", "received_items", ["pool_id"])
    op.create_index("ix_received_items_agreement_id", "received_items", ["agreement_id"])
    op.create_table(
        "received_people",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "received_item_id", sa.Integer(), sa.ForeignKey("received_items.id"), nullable=False
        ),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("record", json, nullable=False),
        sa.UniqueConstraint("received_item_id", "case_id"),
    )
    op.create_index("ix_received_people_received_item_id", "received_people", ["received_item_id"])
    op.create_table(
        "ledger_statements",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("party", sa.String(length=16), nullable=False),
        sa.Column("agreement_id", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("as_of", moment, nullable=False),
        sa.Column("body", json, nullable=False),
    )
    op.create_index("ix_ledger_statements_agreement_id", "ledger_statements", ["agreement_id"])


def downgrade() -> None:
    for table in (
        "ledger_statements",
        "received_people",
        "received_items",
        "exchange_item_marks",
        "exchange_messages",
        "peer_keys",
        "peers",
    ):
        op.drop_table(table)
