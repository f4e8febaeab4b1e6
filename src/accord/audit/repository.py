"""All audit queries."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from accord.audit.chain import Link
from accord.db import table_of
from accord.models import AuditEvent, AuditHead

HEAD_ID = 1


def lock_head(session: Session) -> AuditHead:
    """The chain head (created by the first migration), locked for this transaction.

    The lock makes concurrent appends queue one after another, so `seq` has no gaps or twins.
    """
    return session.execute(
        select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update()
    ).scalar_one()


def read_head(session: Session) -> AuditHead | None:
    return session.get(AuditHead, HEAD_ID)


def insert_events(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.connection().execute(insert(table_of(AuditEvent)), list(rows))


LINK_COLUMNS = (
    AuditEvent.seq,
    AuditEvent.at,
    AuditEvent.actor,
    AuditEvent.action,
    AuditEvent.entity_type,
    AuditEvent.entity_id,
    AuditEvent.data,
    AuditEvent.prev_hash,
    AuditEvent.hash,
)


def iter_links(session: Session, batch: int = 5000) -> Iterator[Link]:
    """Every link in sequence order, read in keyset pages: no cursor stays open, no ORM objects."""
    after = 0
    while True:
        page = session.execute(
            select(*LINK_COLUMNS)
            .where(AuditEvent.seq > after)
            .order_by(AuditEvent.seq)
            .limit(batch)
        ).all()
        for row in page:
            yield Link(*row)
        if len(page) < batch:
            return
        after = page[-1].seq


def list_events(
    session: Session, *, entity_id: str | None = None, action: str | None = None, limit: int = 50
) -> Sequence[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(limit)
    if entity_id is not None:
        query = query.where(AuditEvent.entity_id == entity_id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    return session.execute(query).scalars().all()
