"""Screening against the registry and the stored people. Reads only; never commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.orm import Session

from accord.agreements.service import stored_agreement, stored_agreements
from accord.audit.service import Entry, record_many
from accord.cases.repository import get_person
from accord.cases.service import stored_people
from accord.errors import NotFound
from accord.records.person import PersonRecord
from accord.screening.batch import screen_population
from accord.screening.results import ScreeningResult
from accord.screening.single import Check, Screen, explain_person


def screen_stored(
    session: Session, agreement_ids: Sequence[str], on: dt.date
) -> list[ScreeningResult]:
    """Screen every stored person against the given agreements (all when none are given)."""
    if agreement_ids:
        specs = [stored_agreement(session, agreement_id) for agreement_id in agreement_ids]
    else:
        specs = stored_agreements(session)
    return screen_population(stored_people(session), [Screen.of(s) for s in specs], on)


def explain_stored(
    session: Session, case_id: str, agreement_id: str, on: dt.date, *, actor: str
) -> tuple[PersonRecord, list[Check]]:
    person = get_person(session, case_id)
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
