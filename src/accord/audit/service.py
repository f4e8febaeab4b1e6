"""Writing and verifying the audit log. Runs inside the caller's transaction; never commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from accord.audit import personal, repository
from accord.audit.chain import Break, first_break, link_hash
from accord.models import PersonalValue


@dataclass(frozen=True, slots=True)
class Entry:
    """One state change to record: who did what to which record, and the facts of it.

    A personal value in `data` goes in as `accord.audit.personal.Personal`: it is then held
    outside the hashed payload and can be erased with the chain intact."""

    action: str
    entity_type: str
    entity_id: str
    data: dict[str, Any] = field(default_factory=dict)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def record(session: Session, actor: str, entry: Entry, *, at: dt.datetime | None = None) -> None:
    record_many(session, actor, [entry], at=at)


def record_many(
    session: Session, actor: str, entries: Sequence[Entry], *, at: dt.datetime | None = None
) -> None:
    """Append entries to the chain in the caller's transaction, in the order given."""
    if not entries:
        return
    head = repository.lock_head(session)
    when = at or now()
    seq, prev = head.seq, head.hash
    rows = []
    values: list[dict[str, Any]] = []
    for entry in entries:
        seq += 1
        data = personal.seal(entry.data, seq, values)
        digest = link_hash(
            seq=seq,
            at=when,
            actor=actor,
            action=entry.action,
            entity_type=entry.entity_type,
            entity_id=entry.entity_id,
            data=data,
            prev_hash=prev,
        )
        rows.append(
            {
                "seq": seq,
                "at": when,
                "actor": actor,
                "action": entry.action,
                "entity_type": entry.entity_type,
                "entity_id": entry.entity_id,
                "data": data,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    repository.insert_events(session, rows)
    personal.store(session, values)
    head.seq, head.hash = seq, prev
    session.flush()


@dataclass(frozen=True, slots=True)
class Verification:
    events: int
    head_hash: str | None
    broken: Break | None
    personal_values: int = 0
    """Personal values held outside the chain, each checked against its reference."""

    @property
    def ok(self) -> bool:
        return self.broken is None

    @property
    def broken_at(self) -> int | None:
        """The first event whose link does not hold (every one from it on is in doubt)."""
        return self.broken.seq if self.broken else None

    @property
    def problem(self) -> str | None:
        return self.broken.problem if self.broken else None


def verify(session: Session) -> Verification:
    """The whole chain recomputed now: every event's hash from its content and its
    predecessor's, and the head's, so an edit, a deletion or a cut tail shows where it
    happened; and every personal value held outside it against the reference its event holds
    (an erased value is simply absent)."""
    head = repository.read_head(session)
    head_seq, head_hash = (head.seq, head.hash) if head else (None, None)
    count = 0

    def counted() -> Any:
        nonlocal count
        for link in repository.iter_links(session):
            count += 1
            yield link

    broken = first_break(counted(), head_seq, head_hash)
    # A database restored from before personal values were held apart (schema 0011 or older)
    # has no such table, and nothing held there.
    if not inspect(session.connection()).has_table(PersonalValue.__tablename__):
        return Verification(events=count, head_hash=head_hash, broken=broken)
    held, altered = personal.first_altered(session)
    if altered is not None and (broken is None or altered.seq < broken.seq):
        broken = Break(altered.seq, altered.problem)
    return Verification(events=count, head_hash=head_hash, broken=broken, personal_values=held)
