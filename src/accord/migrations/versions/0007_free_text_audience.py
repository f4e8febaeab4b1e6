"""Each check-in note and incident text says who may read it: the sender's staff only, or also
the receiving state and the monitors (`accord.workflow.audience`).

Texts written before this revision were never given an audience: they become the sender's
only, the safe reading. So does what they left in an agreement's status history, which a
receiver reads: the source of a suspension by incident N (`incident-N`) that quoted the
incident's text now names only its kind and number, and the source of the lifting recorded
with incident N (`lift-N`) that quoted the supervisor's reason now says only who lifted it.
Both texts stay on the incident, for the sender. A lifting recorded with no incident to carry
its reason (`lift-` and a day) is left as it is.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

LIFTED = "suspension lifted by a supervisor of the sender"

sources = sa.table(
    "agreement_sources",
    sa.column("agreement_id", sa.String()),
    sa.column("key", sa.String()),
    sa.column("statement", sa.Text()),
)
incidents = sa.table(
    "incidents",
    sa.column("id", sa.Integer()),
    sa.column("agreement_id", sa.String()),
    sa.column("kind", sa.String()),
    sa.column("text", sa.Text()),
    sa.column("lift_reason", sa.Text()),
)


def _statements() -> list[tuple[str, str, str, tuple[str, ...]]]:
    """Each incident's sources: (agreement, source key, the statement as written before this
    revision, the statements this revision writes instead: the sender's only first)."""
    found: list[tuple[str, str, str, tuple[str, ...]]] = []
    query = sa.select(
        incidents.c.id,
        incidents.c.agreement_id,
        incidents.c.kind,
        incidents.c.text,
        incidents.c.lift_reason,
    )
    for number, agreement_id, kind, text, lift_reason in op.get_bind().execute(query).all():
        what = kind.replace("_", " ")
        named = f"{what} reported (incident {number})"
        before = f"{what} reported: {text}"
        found.append((agreement_id, f"incident-{number}", before, (named, f"{named}: {text}")))
        if lift_reason is not None:
            found.append((agreement_id, f"lift-{number}", lift_reason, (LIFTED,)))
    return found


def _rewrite(*, forward: bool) -> None:
    """Forward, a statement as written before becomes the sender's-only one; back, either of
    this revision's becomes the one written before."""
    bind = op.get_bind()
    for agreement_id, key, before, now in _statements():
        old, new = ((before,), now[0]) if forward else (now, before)
        bind.execute(
            sources.update()
            .where(
                sources.c.agreement_id == agreement_id,
                sources.c.key == key,
                sources.c.statement.in_(old),
            )
            .values(statement=new)
        )


def upgrade() -> None:
    for table in ("check_ins", "incidents"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("shared", sa.Boolean(), nullable=True))
        rows = sa.table(table, sa.column("shared", sa.Boolean()))
        op.get_bind().execute(rows.update().values(shared=False))
        with op.batch_alter_table(table) as batch:
            batch.alter_column("shared", existing_type=sa.Boolean(), nullable=False)
    _rewrite(forward=True)


def downgrade() -> None:
    _rewrite(forward=False)
    for table in ("incidents", "check_ins"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("shared")
