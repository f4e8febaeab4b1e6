"""Erasing a person: every personal value of theirs leaves every table, the audit chain holds.

What goes, in one transaction:

- their row in `people` (names, birth date, nationalities, the whole record);
- every personal value of theirs or of their family that audit events name (reasons for an
  assessment or a lifted fact, a pin's reason, an onward outcome's detail): held outside the
  hashed payloads (`accord.audit.personal`), so the chain still verifies;
- on the items they were a member of: the words written about them (decision reasons, check-in
  notes, movement details, the matcher's explanation) and, on their notices, what was typeset
  (the document's SHA-256 stays: that a notice was served, and which, remains provable).

What stays is what identifies no one once the record is gone and what the accountability of
the agreement needs: the case id (the sender's file number, never reused: `erasures` holds it),
the family id, states, days, reason codes and the ledger. The erasure itself is audited as
`person.erased` with its reason and ground.

Refused while any item of theirs can still move (the workflow needs the record until the case
ends). Runs inside the caller's transaction; never commits. The storage underneath must not keep
the old bytes: the SQLite connections run with `secure_delete` (`accord.db`), and the caller
checkpoints the write-ahead log after the commit (`accord.db.forget_deleted`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import update
from sqlalchemy.orm import Session

from accord.access import Actor
from accord.audit import personal
from accord.audit import repository as audit_log
from accord.audit.service import Entry, record
from accord.cases import repository as people
from accord.clock import Clock, as_utc
from accord.errors import Conflict, NotFound
from accord.models import CheckIn, Erasure, ItemEvent, Movement, NoticeRecord, Person, ProposalItem
from accord.proposals import repository
from accord.proposals.service import FREE_TEXT_KEYS, senders_staff
from accord.proposals.subject import items_of
from accord.queries import affected
from accord.workflow.transitions import State, moves_from

RULE = "people.erase"
"""The access rule the erasure stands on: a supervisor of the sender."""
Ground = Literal["request", "retention"]


@dataclass(frozen=True, slots=True)
class Erased:
    case_id: str
    family_id: str
    removed: dict[str, int] = field(default_factory=dict)
    """What went, by kind: how many audit values, notices' documents, texts on items."""


def erase_person(
    session: Session,
    case_id: str,
    reason: str,
    actor: Actor,
    clock: Clock,
    *,
    ground: Ground = "request",
) -> Erased:
    """Erase the person `case_id` (a supervisor of the sender, with a reason of at least ten
    characters); see the module's docstring for what goes and what stays."""
    senders_staff(session, actor, "erase a person", RULE)
    if len(reason.strip()) < 10:
        raise Conflict("an erasure needs its reason (at least 10 characters)")
    person = people.get_person(session, case_id)
    if person is None:
        gone = session.get(Erasure, case_id)
        if gone is not None:
            raise Conflict(
                f"{case_id} was erased on {as_utc(gone.erased_at):%Y-%m-%d} ({gone.ground})"
            )
        raise NotFound(f"no person with case id {case_id!r}")
    return erase_record(session, person, reason, actor.name, clock.now(), ground)


def erase_record(
    session: Session, person: Person, reason: str, by: str, now: dt.datetime, ground: Ground
) -> Erased:
    """The erasure itself, for a person the caller may erase (the retention schedule's too)."""
    case_id, family_id = person.case_id, person.family_id
    about = audit_log.subject_events(session, "person", case_id)
    items = items_of(session, case_id, family_id, about)
    moving = [item for item in items if moves_from(State(item.state))]
    if moving:
        raise Conflict(
            f"{case_id} cannot be erased while the workflow may still move "
            + ", ".join(f"item {item.id} ({item.state.replace('_', ' ')})" for item in moving)
            + ": their record is needed until the case ends"
        )
    item_ids = [item.id for item in items]
    removed = {
        "audit values": personal.erase(
            session, [personal.person_subject(case_id), personal.family_subject(family_id)]
        ),
        "notice documents": affected(
            session,
            update(NoticeRecord)
            .where(NoticeRecord.case_id == case_id, NoticeRecord.document_inputs.is_not(None))
            .values(document_inputs=None),
        ),
    }
    if item_ids:
        removed["item texts"] = (
            affected(
                session,
                update(ItemEvent)
                .where(ItemEvent.item_id.in_(item_ids), ItemEvent.reason_text.is_not(None))
                .values(reason_text=None),
            )
            + _blank_event_details(session, item_ids)
            + affected(
                session,
                update(CheckIn)
                .where(CheckIn.item_id.in_(item_ids), CheckIn.note.is_not(None))
                .values(note=None),
            )
            + affected(
                session,
                update(Movement)
                .where(Movement.item_id.in_(item_ids), Movement.detail.is_not(None))
                .values(detail=None),
            )
            + affected(
                session,
                update(ProposalItem)
                .where(ProposalItem.id.in_(item_ids), ProposalItem.why != "")
                .values(why=""),
            )
        )
    session.delete(person)
    session.add(
        Erasure(case_id=case_id, family_id=family_id, erased_at=now, erased_by=by, ground=ground)
    )
    session.flush()
    record(
        session,
        by,
        Entry(
            "person.erased",
            "person",
            case_id,
            {"ground": ground, "reason": reason.strip(), "removed": removed},
        ),
        at=now,
    )
    return Erased(case_id, family_id, removed)


def _blank_event_details(session: Session, item_ids: list[int]) -> int:
    """Item events whose data holds words (an onward outcome's detail) keep their keys only."""
    blanked = 0
    for item_id in item_ids:
        for event in repository.events(session, item_id):
            data = dict(event.data or {})
            texts = [key for key in FREE_TEXT_KEYS if data.get(key) is not None]
            if texts:
                event.data = {**data, **dict.fromkeys(texts)}
                blanked += 1
    return blanked
