"""Importing people: validated, all-or-nothing, idempotent, audited.

Runs inside the caller's transaction and never commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from accord.audit.service import Entry, record_many
from accord.bulk import collector_paused
from accord.cases import repository
from accord.cases.families import FamilyFinding, MemberState, check_families
from accord.cases.reader import Row
from accord.cases.schemas import PersonRecord
from accord.errors import Conflict, InvalidInput, NotFound, Problem
from accord.models import Person


@dataclass
class ImportReport:
    source: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    families: int = 0
    notes: list[FamilyFinding] = field(default_factory=list)


def to_columns(row: Row) -> dict[str, Any]:
    """A validated record as the people table's columns: the record as JSON and its projections."""
    return record_columns(row.record)


def record_columns(record: PersonRecord) -> dict[str, Any]:
    text = record.model_dump_json()
    return {
        "case_id": record.case_id,
        "family_id": record.family_id,
        "relationship": record.relationship,
        "given_name": record.given_name,
        "family_name": record.family_name,
        "birth_date": record.birth_date,
        "sex": record.sex,
        "nationalities": list(record.nationalities),
        "sender_status": record.sender_status,
        "removal_order_status": record.removal_order.status,
        "record": text,
        "content_hash": hashlib.sha256(text.encode()).hexdigest(),
    }


def to_record(person: Person) -> PersonRecord:
    """A stored person back in the exchange schema: what screening and exports work on."""
    return PersonRecord.model_validate_json(person.record)


def replace_record(session: Session, record: PersonRecord, when: dt.datetime) -> None:
    """Store a changed record of a known person (a claim, stay or fear claim recorded by the
    workflow), keeping the projections in step. The caller writes the audit event."""
    person = repository.get_person(session, record.case_id)
    if person is None:
        raise NotFound(f"no person {record.case_id!r}")
    if person.family_id != record.family_id:
        raise Conflict(f"{record.case_id}: a workflow change cannot move a person between families")
    for column, value in record_columns(record).items():
        setattr(person, column, value)
    person.updated_at = when
    session.flush()


def stored_people(session: Session, *, family_id: str | None = None) -> list[PersonRecord]:
    """Stored people in the exchange schema, in case id order (one family's, or everyone's)."""
    return [
        PersonRecord.model_validate_json(text)
        for text in repository.record_texts(session, family_id=family_id)
    ]


def stored_families(session: Session, families: Iterable[str]) -> dict[str, list[PersonRecord]]:
    """Several families' stored members in one read, each family in case id order."""
    found: dict[str, list[PersonRecord]] = {}
    for family, text in repository.family_record_texts(session, families):
        found.setdefault(family, []).append(PersonRecord.model_validate_json(text))
    return found


def import_people(
    session: Session,
    rows: Sequence[Row],
    *,
    source: str,
    actor: str,
    progress: Callable[[int], None] | None = None,
    at: dt.datetime | None = None,
) -> ImportReport:
    """Create new people, update changed ones, leave identical ones alone.

    Family checks run on each affected family as it will be after the import (stored members
    merged with the file's); an error in any family refuses the whole file. `at` is the moment
    recorded on the people and in the audit log: the caller's clock (ACCORD_NOW, a test's or
    the demo's), the system's time when not given.
    """
    with collector_paused():
        return _import(
            session,
            rows,
            source=source,
            actor=actor,
            progress=progress,
            now=at or dt.datetime.now(dt.UTC),
        )


def _import(
    session: Session,
    rows: Sequence[Row],
    *,
    source: str,
    actor: str,
    progress: Callable[[int], None] | None,
    now: dt.datetime,
) -> ImportReport:
    report = ImportReport(source=source)
    known = repository.existing_hashes(session)
    columns = [to_columns(row) for row in rows]
    fresh = [c for c in columns if c["case_id"] not in known]
    changed = [
        c for c in columns if c["case_id"] in known and known[c["case_id"]] != c["content_hash"]
    ]
    report.unchanged = len(columns) - len(fresh) - len(changed)

    touched = {c["family_id"] for c in fresh + changed}
    incoming = {
        c["case_id"]: MemberState(
            c["case_id"],
            c["family_id"],
            c["relationship"],
            c["sender_status"],
            c["removal_order_status"],
        )
        for c in columns
    }
    stored = [m for m in repository.members_of(session, touched) if m.case_id not in incoming]
    merged = stored + [m for m in incoming.values() if m.family_id in touched]
    findings = check_families(merged)
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        raise InvalidInput(source, [Problem(f"family {f.family_id}", f.message) for f in errors])
    report.notes = [f for f in findings if f.severity == "note"]
    report.families = len({c["family_id"] for c in columns})

    repository.add_families(session, touched - repository.family_ids(session))
    for batch_start in range(0, len(fresh), 5000):
        batch = fresh[batch_start : batch_start + 5000]
        repository.insert_people(
            session, [{**c, "created_at": now, "updated_at": now} for c in batch]
        )
        if progress:
            progress(len(batch))
    repository.update_people(
        session, [{**c, "key": c["case_id"], "updated_at": now} for c in changed]
    )
    if progress:
        progress(len(changed) + report.unchanged)
    report.created, report.updated = len(fresh), len(changed)

    entries = [
        Entry(
            action,
            "person",
            c["case_id"],
            {"family_id": c["family_id"], "content_hash": c["content_hash"]},
        )
        for action, group in (("person.created", fresh), ("person.updated", changed))
        for c in group
    ]
    entries.append(
        Entry(
            "people.imported",
            "import",
            source,
            {"created": report.created, "updated": report.updated, "unchanged": report.unchanged},
        )
    )
    record_many(session, actor, entries, at=now)
    return report
