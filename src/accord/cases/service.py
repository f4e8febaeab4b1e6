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

from accord.access import Actor, assesses
from accord.agreements.repository import sender_codes
from accord.audit.service import Entry, record_many
from accord.bulk import collector_paused
from accord.cases import repository
from accord.cases.families import FamilyFinding, MemberState, check_families
from accord.cases.protective import Kept, keep_protective, new_assessments
from accord.cases.reader import Row
from accord.errors import Conflict, Forbidden, InvalidInput, NotFound, Problem
from accord.models import Person
from accord.records.person import PersonRecord


@dataclass
class ImportReport:
    source: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    families: int = 0
    notes: list[FamilyFinding] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)
    """Protective facts the store held and the file left out: kept (DESIGN §4)."""
    changed_families: set[str] = field(default_factory=set)
    """Families with a created or changed member: their open items are judged again."""
    rechecked: list[str] = field(default_factory=list)
    """What judging the changed families' open items again did, one line per item."""


def sender_staff_only(session: Session, actor: Actor) -> None:
    """The case files are the sender's: staff of a party that sends under no agreement here
    read and change none of them."""
    if actor.party is not None and actor.party not in sender_codes(session):
        raise Forbidden(f"{actor.name} acts for {actor.party}, which sends no one here")


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
    role: str,
    at: dt.datetime,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Create new people, update changed ones, leave identical ones alone.

    A file never removes a protective fact the store holds (it is kept, and reported), and only
    a supervisor's import may bring individual assessments (S8 yields to a supervisor's
    assessment, never to a name typed in a file). Family checks run on each affected family as
    it will be after the import (stored members merged with the file's); an error in any family
    or row refuses the whole file. `at` is the moment recorded on the people and in the audit
    log: the caller's clock. The workflow's `import_case_files` wraps this to judge the open
    items of changed families again; call that, not this, from a command or a route.
    """
    with collector_paused():
        return _import(
            session, rows, source=source, actor=actor, role=role, progress=progress, now=at
        )


def _import(
    session: Session,
    rows: Sequence[Row],
    *,
    source: str,
    actor: str,
    role: str,
    progress: Callable[[int], None] | None,
    now: dt.datetime,
) -> ImportReport:
    report = ImportReport(source=source)
    known = repository.existing_hashes(session)
    columns = [to_columns(row) for row in rows]
    differing = [
        n
        for n, c in enumerate(columns)
        if known.get(c["case_id"], c["content_hash"]) != c["content_hash"]
    ]
    stored = {
        case_id: PersonRecord.model_validate_json(text)
        for case_id, text in repository.records_by_case(
            session, [columns[n]["case_id"] for n in differing]
        ).items()
    }
    _refuse_unassessed(rows, stored, role, source)
    _refuse_erased(session, rows, known, source)
    for n in differing:  # what the file would drop of the stored protective facts stays
        merged, kept = keep_protective(stored[columns[n]["case_id"]], rows[n].record)
        if kept:
            report.kept += kept
            columns[n] = record_columns(merged)
    fresh = [c for c in columns if c["case_id"] not in known]
    changed = [
        c for c in columns if c["case_id"] in known and known[c["case_id"]] != c["content_hash"]
    ]
    report.unchanged = len(columns) - len(fresh) - len(changed)

    touched = {c["family_id"] for c in fresh + changed}
    left = {stored[c["case_id"]].family_id for c in changed if c["case_id"] in stored}
    report.changed_families = touched | left
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
    checked = report.changed_families
    staying = [m for m in repository.members_of(session, checked) if m.case_id not in incoming]
    families_after = staying + [m for m in incoming.values() if m.family_id in checked]
    findings = check_families(families_after)
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


def _refuse_erased(
    session: Session, rows: Sequence[Row], known: dict[str, str], source: str
) -> None:
    """An erased person's case id is never taken again: a file that brings it is refused whole,
    naming each row (the source system still holds what was erased here, or reused the id)."""
    erased = repository.erased_among(
        session, [row.record.case_id for row in rows if row.record.case_id not in known]
    )
    problems = [
        Problem(
            f"{row.place} case_id",
            f"{row.record.case_id} was erased here on {erased[row.record.case_id]}: its record"
            " is not taken again (a new person needs a new case id)",
        )
        for row in rows
        if row.record.case_id in erased
    ]
    if problems:
        raise InvalidInput(source, problems)


def _refuse_unassessed(
    rows: Sequence[Row], stored: dict[str, PersonRecord], role: str, source: str
) -> None:
    """An individual assessment is a supervisor's act (S8): a file imported by anyone else
    that brings a new one is refused whole, naming each row."""
    if assesses(role):
        return
    problems = [
        Problem(
            f"{row.place} assessments",
            f"{row.record.case_id}: a new {a.rule} assessment ({a.by}, {a.date}) can only be"
            " imported by a supervisor, who answers for it; record it with `accord case assess`"
            " or import the file as a supervisor",
        )
        for row in rows
        for a in new_assessments(stored.get(row.record.case_id), row.record)
    ]
    if problems:
        raise InvalidInput(source, problems)
