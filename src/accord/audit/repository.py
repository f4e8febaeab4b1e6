"""All audit queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, insert, select
from sqlalchemy.orm import Session

from accord.audit.chain import Link
from accord.bulk import in_lists
from accord.db import table_of
from accord.models import AuditEvent, AuditHead
from accord.queries import page_of

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


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Which events a list holds: each field given must match exactly, and the moment falls
    in [`since`, `before`)."""

    action: str | None = None
    actor: str | None = None
    entity_id: str | None = None
    entity_type: str | None = None
    since: dt.datetime | None = None
    before: dt.datetime | None = None


def _newest_first(where: EventFilter) -> Select[AuditEvent]:
    query = select(AuditEvent)
    for column, value in (
        (AuditEvent.action, where.action),
        (AuditEvent.actor, where.actor),
        (AuditEvent.entity_id, where.entity_id),
        (AuditEvent.entity_type, where.entity_type),
    ):
        if value is not None:
            query = query.where(column == value)
    if where.since is not None:
        query = query.where(AuditEvent.at >= where.since)
    if where.before is not None:
        query = query.where(AuditEvent.at < where.before)
    return query.order_by(AuditEvent.seq.desc())


def events_page(
    session: Session, where: EventFilter, *, limit: int, offset: int
) -> tuple[list[AuditEvent], int]:
    """One page of the events `where` picks, newest first, and how many it picks in all."""
    return page_of(session, _newest_first(where), limit=limit, offset=offset)


def list_events(
    session: Session,
    *,
    entity_id: str | None = None,
    action: str | None = None,
    entity_type: str | None = None,
    limit: int = 50,
) -> Sequence[AuditEvent]:
    """The newest `limit` events of a subject, or of an action."""
    where = EventFilter(action=action, entity_id=entity_id, entity_type=entity_type)
    return session.execute(_newest_first(where).limit(limit)).scalars().all()


def subject_events(session: Session, entity_type: str, entity_id: str) -> list[AuditEvent]:
    """Every event about one subject, oldest first (no limit: a person's own copy holds all)."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == entity_id)
        .order_by(AuditEvent.seq)
    )
    return list(session.execute(query).scalars())


def events_naming(
    session: Session, entity_type: str, entity_ids: Iterable[str], key: str, value: str
) -> list[AuditEvent]:
    """The events about the given subjects whose data names `value` under `key` (e.g. the
    `case` a notice or a fear claim on an item was about), oldest first."""
    found: list[AuditEvent] = []
    for chunk in in_lists(entity_ids):
        query = select(AuditEvent).where(
            AuditEvent.entity_type == entity_type,
            AuditEvent.entity_id.in_(chunk),
            AuditEvent.data[key].as_string() == value,
        )
        found += session.execute(query).scalars()
    return sorted(found, key=lambda e: e.seq)


def subjects_events(
    session: Session, entity_type: str, entity_ids: Iterable[str], action: str
) -> list[AuditEvent]:
    """The events of one action about any of the given subjects, oldest first."""
    found: list[AuditEvent] = []
    for chunk in in_lists(entity_ids):
        query = select(AuditEvent).where(
            AuditEvent.entity_type == entity_type,
            AuditEvent.entity_id.in_(chunk),
            AuditEvent.action == action,
        )
        found += session.execute(query).scalars()
    return sorted(found, key=lambda e: e.seq)
