"""What the sender's staff read of the case files: a page of the people on record, one person's
whole record, why a person is or is not eligible for an agreement on a day (rule by rule), and
the changes of a person's case file. The API and the pages read through these alike.

Who may read (DESIGN §1): the case files are the sender's, so staff of a party that sends under
no agreement here read none of them (`sender_staff_only`). Every read of a person is written to
the audit log as `person.read`, naming the view read: one entry per person on a page of the list
(only those shown), one per record opened, one per explanation. Runs inside the caller's
transaction; never commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from accord.access import Actor, may_see
from accord.agreements.service import stored_agreement, stored_agreements
from accord.audit import repository as audit_log
from accord.audit.service import Entry, record_many
from accord.cases import repository
from accord.cases.service import sender_staff_only, stored_people, to_record
from accord.clock import as_utc
from accord.errors import NotFound
from accord.records.agreement import AgreementIn
from accord.records.person import PersonRecord
from accord.screening.single import Check, Screen, explain_person

SCREENED = ("in_force", "signed")
"""The statuses of the agreements a person's screening is explained against."""
CASE_CHANGES = ("person.created", "person.updated")
"""Audit actions that changed a person's case file."""


# --- The people on record ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PeopleSearch:
    """Which people a list holds: each filter given narrows it."""

    family_id: str | None = None
    family_name: str | None = None
    """The family name starts with this, in any case."""
    nationality: str | None = None
    """A country code, in any case."""


@dataclass(frozen=True, slots=True)
class PersonRow:
    """A person as a list shows them: names and ids only, never the whole record."""

    case_id: str
    family_id: str
    relationship: str
    given_name: str
    family_name: str
    birth_date: dt.date
    nationalities: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PeoplePage:
    items: list[PersonRow]
    total: int
    """How many people the search picks in all."""


def people_page(
    session: Session, actor: Actor, search: PeopleSearch, *, limit: int, offset: int
) -> PeoplePage:
    """One page of the people the search picks, in case id order; each person shown (and only
    they) is read as a summary in the audit log."""
    sender_staff_only(session, actor)
    shown, total = repository.people_page(
        session,
        limit=limit,
        offset=offset,
        family_id=search.family_id,
        family_name_prefix=search.family_name,
        nationality=None if search.nationality is None else search.nationality.upper(),
    )
    record_many(
        session,
        actor.name,
        [
            Entry("person.read", "person", p.case_id, {"view": "summary", "via": "list"})
            for p in shown
        ],
    )
    return PeoplePage(
        items=[
            PersonRow(
                case_id=p.case_id,
                family_id=p.family_id,
                relationship=p.relationship,
                given_name=p.given_name,
                family_name=p.family_name,
                birth_date=p.birth_date,
                nationalities=tuple(p.nationalities),
            )
            for p in shown
        ],
        total=total,
    )


# --- One person -------------------------------------------------------------------------------


def person_record(session: Session, actor: Actor, case_id: str) -> PersonRecord:
    """A person's whole record, in the exchange schema; the read is audited."""
    sender_staff_only(session, actor)
    person = repository.get_person(session, case_id)
    if person is None:
        raise NotFound(f"no person with case id {case_id!r}")
    record_many(
        session, actor.name, [Entry("person.read", "person", case_id, {"view": "full record"})]
    )
    return to_record(person)


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a person is or is not eligible for an agreement on a day: every rule checked."""

    case_id: str
    agreement_id: str
    on: dt.date
    checks: list[Check]

    @property
    def eligible(self) -> bool:
        return all(c.passed for c in self.checks)


def explain_stored(
    session: Session, case_id: str, agreement_id: str, on: dt.date, *, actor: str
) -> tuple[PersonRecord, list[Check]]:
    """A stored person screened against a stored agreement on a day, rule by rule, with their
    family; the read is audited. Whoever calls it has decided `actor` may read it."""
    person = repository.get_person(session, case_id)
    if person is None:
        raise NotFound(f"no person with case id {case_id!r}")
    family = stored_people(session, family_id=person.family_id)
    record = next(m for m in family if m.case_id == case_id)
    record_many(
        session,
        actor,
        [
            Entry(
                "person.read",
                "person",
                case_id,
                {"view": "screening explanation", "agreement": agreement_id},
            )
        ],
    )
    return record, explain_person(
        record, family, Screen.of(stored_agreement(session, agreement_id)), on
    )


def explanation(
    session: Session, actor: Actor, case_id: str, agreement_id: str, on: dt.date
) -> Explanation:
    """The explanation a sender's staff member reads: of an agreement their party sends under
    (any other is not found); the read is audited."""
    sender_staff_only(session, actor)
    agreement = stored_agreement(session, agreement_id)
    if actor.party is not None and agreement.sender != actor.party:
        raise NotFound(f"no agreement {agreement_id!r}")
    _, checks = explain_stored(session, case_id, agreement_id, on, actor=actor.name)
    return Explanation(case_id=case_id, agreement_id=agreement_id, on=on, checks=checks)


def screened_agreements(session: Session, actor: Actor) -> list[AgreementIn]:
    """The agreements visible to the actor that a person's screening is explained against
    (in force or signed), in the registry's order."""
    return [
        a
        for a in stored_agreements(session)
        if may_see(actor.role, actor.party, a) and a.status in SCREENED
    ]


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One line of a person's timeline: a change of their case file, or a move of an item."""

    day: dt.date
    at: dt.datetime
    what: str
    who: str
    item: int | None = None
    """The proposal item it happened to (none: the case file itself)."""


def case_file_changes(session: Session, case_id: str) -> list[TimelineEntry]:
    """The changes of a person's case file (imports, stays, claims, appeals), from the audit
    log, oldest first."""
    events = [
        e
        for action in CASE_CHANGES
        for e in audit_log.list_events(
            session, entity_id=case_id, action=action, entity_type="person", limit=200
        )
    ]
    changes = []
    for e in sorted(events, key=lambda e: e.seq):
        data = e.data or {}
        if e.action == "person.created":
            what = "case file created"
        elif "change" in data:
            what = f"case change: {str(data['change']).replace('_', ' ')}"
        else:
            what = "case file updated by an import"
        at = as_utc(e.at)
        changes.append(TimelineEntry(day=at.date(), at=at, what=what, who=e.actor))
    return changes
