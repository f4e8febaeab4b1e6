"""Erasure with the audit chain intact: personal values kept outside the hashed payloads, the
register of erased people, and notices and fear claims that outlive their person's row.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 16:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


KEPT = (
    "id",
    "item_id",
    "action",
    "from_state",
    "to_state",
    "day",
    "at",
    "actor",
    "role",
    "reason_code",
    "request_id",
)
"""What an item event keeps for good: everything but its words."""


def _item_events_guard(dialect: str, *, erasable: bool) -> list[str]:
    """Item events stay append-only; with `erasable`, one update is let through: an erasure's,
    which blanks the reason text and an onward outcome's detail and changes nothing else."""
    if dialect == "postgresql":
        same = " AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in KEPT)
        allowed = (
            f"""IF TG_OP = 'UPDATE' AND NEW.reason_text IS NULL AND {same}
                 AND (NEW.data::jsonb = OLD.data::jsonb
                      OR NEW.data::jsonb = OLD.data::jsonb || '{{"detail": null}}'::jsonb)
               THEN RETURN NEW; END IF;"""
            if erasable
            else ""
        )
        return [
            f"""CREATE OR REPLACE FUNCTION item_events_append_only() RETURNS trigger
               LANGUAGE plpgsql AS $$
               BEGIN {allowed}
               RAISE EXCEPTION 'item_events rows are append-only'; END $$"""
        ]
    when = ""
    if erasable:
        same = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in KEPT)
        when = f"""WHEN NOT (NEW.reason_text IS NULL AND {same}
                   AND (json(NEW.data) = json(OLD.data)
                        OR json(NEW.data) = json_set(json(OLD.data), '$.detail', json('null'))))"""
    return [
        "DROP TRIGGER item_events_no_update",
        f"""CREATE TRIGGER item_events_no_update BEFORE UPDATE ON item_events {when}
           BEGIN SELECT RAISE(ABORT, 'item_events rows are append-only'); END""",
    ]


def upgrade() -> None:
    for statement in _item_events_guard(op.get_bind().dialect.name, erasable=True):
        op.execute(statement)
    op.create_table(
        "personal_values",
        sa.Column("ref", sa.String(length=64), primary_key=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("subject", sa.String(length=160), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("salt", sa.String(length=32), nullable=False),
    )
    op.create_index("ix_personal_values_seq", "personal_values", ["seq"])
    op.create_index("ix_personal_values_subject", "personal_values", ["subject"])
    op.create_table(
        "erasures",
        sa.Column("case_id", sa.String(length=64), primary_key=True),
        sa.Column("family_id", sa.String(length=64), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased_by", sa.String(length=128), nullable=False),
        sa.Column("ground", sa.String(length=16), nullable=False),
    )
    op.create_index("ix_erasures_family_id", "erasures", ["family_id"])
    for table in ("notices", "fear_claims"):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"fk_{table}_case_id_people", type_="foreignkey")
            batch.create_index(f"ix_{table}_case_id", ["case_id"])


def downgrade() -> None:
    for statement in _item_events_guard(op.get_bind().dialect.name, erasable=False):
        op.execute(statement)
    for table in ("notices", "fear_claims"):
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_case_id")
            batch.create_foreign_key(
                f"fk_{table}_case_id_people", "people", ["case_id"], ["case_id"]
            )
    op.drop_table("erasures")
    op.drop_table("personal_values")
