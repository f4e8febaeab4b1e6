"""The subject's own copy: everything held about one person, and who read it.

Data protection law gives a person the right to a copy of what is held about them and of who
has read it. `subject_export` gathers it from the case files, the workflow and the audit log:

- their record as stored (the exchange schema, `PersonRecord`), and their family's case ids;
- every proposal item with them as a member: its agreement, its state and each of its events
  (action, day, who, with the reasons), the movements and the monitoring check-ins of it;
- every notice served on them or their counsel (day, language, outcome, interpreter, the
  SHA-256 of the document handed over) and their fear claims;
- the access log: every audit event about them (`person.read` with the view read,
  `person.created`, `person.updated`, `person.assessed`, `person.fact_lifted`, earlier
  exports, …), every event on their items that names them (`"case"`: a notice recorded, a fear
  claim, an interview), and every read of their notices' documents (`notice.read`).

Only a supervisor of the sender exports (`people.subject_export`); the export is itself
audited as `person.exported`, with the SHA-256 of `export_bytes` of what is returned: the
file the caller writes. It lives in the proposals domain because it reads the workflow's
items, notices and claims, which the cases domain below it may not. Runs inside the caller's
transaction; never commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from sqlalchemy.orm import Session

from accord.access import Actor, may_use
from accord.audit import personal
from accord.audit import repository as audit_log
from accord.audit.service import Entry, record
from accord.cases import repository as people
from accord.cases.service import sender_staff_only, to_record
from accord.clock import Clock, as_utc
from accord.errors import Forbidden, NotFound
from accord.models import (
    AuditEvent,
    CheckIn,
    FearClaimRecord,
    ItemEvent,
    Movement,
    NoticeRecord,
    ProposalItem,
)
from accord.proposals import repository

FORMAT = "accord subject export 1"
"""The export's format, named in it: what a reader of the file is reading."""
RULE = "people.subject_export"
"""The access rule the export stands on: a supervisor of the sender."""
LISTS = (
    "items",
    "item_events",
    "notices",
    "fear_claims",
    "movements",
    "check_ins",
    "access_log",
)
"""The export's lists, in the order their counts are given."""


def subject_export(session: Session, case_id: str, actor: Actor, clock: Clock) -> dict[str, Any]:
    """Everything held about the person `case_id`, and who read it, as plain JSON values.

    Refused (not allowed) to anyone but a supervisor of the sender; an unknown case id is not
    found. The export is audited as `person.exported` with the SHA-256 of `export_bytes` of the
    returned dict: the caller writes exactly those bytes."""
    if not may_use(actor.role, RULE):
        raise Forbidden(
            f"{actor.name} ({actor.role}) may not export a person's records: a supervisor of"
            " the sender does"
        )
    sender_staff_only(session, actor)
    person = people.get_person(session, case_id)
    if person is None:
        raise NotFound(f"no person with case id {case_id!r}")
    now = clock.now()
    about = audit_log.subject_events(session, "person", case_id)
    items = items_of(session, case_id, person.family_id, about)
    item_ids = [str(item.id) for item in items]
    notices = repository.notices_of_person(session, case_id)
    events = [(item.id, e) for item in items for e in repository.events(session, item.id)]
    export: dict[str, Any] = {
        "format": FORMAT,
        "case_id": case_id,
        "exported_at": now.isoformat(),
        "exported_by": actor.name,
        "record": to_record(person).model_dump(mode="json"),
        "record_sha256": person.content_hash,
        "family": {
            "family_id": person.family_id,
            "case_ids": sorted(m.case_id for m in people.members_of(session, [person.family_id])),
        },
        "items": [_item(item) for item in items],
        "item_events": [_item_event(item_id, e) for item_id, e in events],
        "notices": [_notice(n) for n in notices],
        "fear_claims": [_fear_claim(c) for c in repository.fear_claims_of_person(session, case_id)],
        "movements": [
            _movement(m) for item in items for m in repository.movements(session, item.id)
        ],
        "check_ins": [
            _check_in(c) for item in items for c in repository.check_ins(session, item.id)
        ],
        "access_log": _access_log(session, case_id, about, item_ids, {n.id for n in notices}),
    }
    record(
        session,
        actor.name,
        Entry(
            "person.exported",
            "person",
            case_id,
            {
                "view": "subject export",
                "sha256": hashlib.sha256(export_bytes(export)).hexdigest(),
                "counts": counts(export),
            },
        ),
        at=now,
    )
    return export


def export_bytes(export: dict[str, Any]) -> bytes:
    """The export as canonical JSON: sorted keys, UTF-8, indented by two, a final newline."""
    return (json.dumps(export, sort_keys=True, ensure_ascii=False, indent=2) + "\n").encode()


def counts(export: dict[str, Any]) -> dict[str, int]:
    """How many entries each of the export's lists holds."""
    return {name: len(export[name]) for name in LISTS}


# --- What is gathered ----------------------------------------------------------------------------


def items_of(
    session: Session, case_id: str, family_id: str, about: list[AuditEvent]
) -> list[ProposalItem]:
    """The items with the person as a member: of their family now, and of any family the
    audit log says they were recorded in before, whose members name them."""
    families = {family_id} | {
        str(e.data["family_id"])
        for e in about
        if e.action in ("person.created", "person.updated") and "family_id" in (e.data or {})
    }
    found = [
        item
        for family in sorted(families)
        for item in repository.items(session, family_id=family)
        if case_id in (item.members or []) or (item.members is None and item.family_id == family_id)
    ]
    return sorted(found, key=lambda item: item.id)


def _access_log(
    session: Session,
    case_id: str,
    about: list[AuditEvent],
    item_ids: list[str],
    notice_ids: set[int],
) -> list[dict[str, Any]]:
    """Every audit event about the person, naming them on one of their items, or reading one
    of their notices' documents, oldest first."""
    naming = audit_log.events_naming(session, "proposal_item", item_ids, "case", case_id)
    reads = [
        e
        for e in audit_log.subjects_events(session, "proposal_item", item_ids, "notice.read")
        if notice_ids & set((e.data or {}).get("notices", []))
    ]
    by_seq = {e.seq: e for e in [*about, *naming, *reads]}
    events = [by_seq[seq] for seq in sorted(by_seq)]
    datas = personal.reveal(session, [e.data or {} for e in events])
    return [_event(e, data) for e, data in zip(events, datas, strict=True)]


# --- As plain JSON values -----------------------------------------------------------------------


def _day(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def _moment(at: dt.datetime | None) -> str | None:
    return None if at is None else as_utc(at).isoformat()


def _item(item: ProposalItem) -> dict[str, Any]:
    return {
        "item": item.id,
        "proposal": item.proposal_id,
        "agreement": item.agreement_id,
        "family_id": item.family_id,
        "members": list(item.members or []),
        "state": item.state,
        "state_since": _day(item.state_since),
        "reserved_on": _day(item.reserved_on),
        "scheduled_for": _day(item.scheduled_for),
        "transferred_on": _day(item.transferred_on),
        "score": item.score,
        "why": item.why,
    }


def _item_event(item_id: int, event: ItemEvent) -> dict[str, Any]:
    return {
        "item": item_id,
        "action": event.action,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "day": _day(event.day),
        "at": _moment(event.at),
        "by": event.actor,
        "role": event.role,
        "reason_code": event.reason_code,
        "reason_text": event.reason_text,
        "data": dict(event.data or {}),
    }


def _notice(notice: NoticeRecord) -> dict[str, Any]:
    return {
        "notice": notice.id,
        "item": notice.item_id,
        "recipient": notice.recipient,
        "served_on": _day(notice.served_on),
        "language": notice.language,
        "outcome": notice.outcome,
        "by": notice.by,
        "interpreter": notice.interpreter,
        "read_in": notice.read_in,
        "template": notice.template_id,
        "document_sha256": notice.document_sha256,
    }


def _fear_claim(claim: FearClaimRecord) -> dict[str, Any]:
    return {
        "item": claim.item_id,
        "receiver": claim.receiver,
        "asserted_on": _day(claim.asserted_on),
        "interview_at": _moment(claim.interview_at),
        "interview_notice_at": _moment(claim.interview_notice_at),
        "outcome": claim.outcome,
        "decided_on": _day(claim.decided_on),
        "reopening_until": _day(claim.reopening_until),
    }


def _movement(movement: Movement) -> dict[str, Any]:
    return {
        "item": movement.item_id,
        "leg": movement.leg,
        "scheduled_for": _day(movement.scheduled_for),
        "happened_on": _day(movement.happened_on),
        "outcome": movement.outcome,
        "detail": movement.detail,
    }


def _check_in(check_in: CheckIn) -> dict[str, Any]:
    return {
        "item": check_in.item_id,
        "due_days": check_in.due_days,
        "due_on": _day(check_in.due_on),
        "done_on": _day(check_in.done_on),
        "by": check_in.by,
        "by_role": check_in.by_role,
        "note": check_in.note,
        "shared": check_in.shared,
    }


def _event(event: AuditEvent, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": _moment(event.at),
        "actor": event.actor,
        "action": event.action,
        "subject": f"{event.entity_type} {event.entity_id}",
        "view": data.get("view"),
        "data": data,
        "hash": event.hash,
    }
