"""What a reader of the audit log reads: a page of its events, newest first, filtered by actor,
action, subject (its id and kind) and days, with the personal values held outside the chain
put back (or marked erased). The API and the pages read through it alike (and
verify the hash chain through `accord.audit.service.verify`); who may read them is the access
rules' (`audit.list`, `audit.verify`). Reads only; never commits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from accord.audit import personal, repository
from accord.audit.repository import EventFilter
from accord.clock import as_utc

SUBJECT_KINDS = (
    "person",
    "proposal_item",
    "proposal",
    "agreement",
    "user",
    "api_token",
    "party",
    "import",
    "retention",
)
"""The kinds of subject audit events name (`entity_type`)."""


@dataclass(frozen=True, slots=True)
class EventSearch:
    """Which events a list holds: each field given must match exactly, and the event falls on
    or after the day `since` and on or before the day `until` (UTC)."""

    action: str | None = None
    actor: str | None = None
    entity_id: str | None = None
    entity_type: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None

    def as_filter(self) -> EventFilter:
        return EventFilter(
            action=self.action,
            actor=self.actor,
            entity_id=self.entity_id,
            entity_type=self.entity_type,
            since=None if self.since is None else _start_of(self.since),
            before=None if self.until is None else _start_of(self.until + dt.timedelta(days=1)),
        )


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.UTC)


@dataclass(frozen=True, slots=True)
class EventRow:
    """One event as the log shows it, its moment in UTC."""

    seq: int
    at: dt.datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    data: dict[str, Any]
    hash: str


@dataclass(frozen=True, slots=True)
class EventsPage:
    items: list[EventRow]
    total: int
    """How many events the search picks in all."""


def events_page(session: Session, search: EventSearch, *, limit: int, offset: int) -> EventsPage:
    """One page of the events the search picks, newest first."""
    rows, total = repository.events_page(session, search.as_filter(), limit=limit, offset=offset)
    datas = personal.reveal(session, [e.data or {} for e in rows])
    return EventsPage(
        items=[
            EventRow(
                seq=e.seq,
                at=as_utc(e.at),
                actor=e.actor,
                action=e.action,
                entity_type=e.entity_type,
                entity_id=e.entity_id,
                data=data,
                hash=e.hash,
            )
            for e, data in zip(rows, datas, strict=True)
        ],
        total=total,
    )
