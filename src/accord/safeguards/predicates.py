"""The screening safeguards as pure predicates over one person, their family and an agreement.

Each predicate returns None when the person may go on, or the reason it blocks, in plain words.
These are the reference semantics (DESIGN §4): the vectorized batch path must agree with them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from accord.records.agreement import REMOVAL_KINDS, AgreementIn
from accord.records.countries import countries_label, country_label, country_name
from accord.records.person import PersonRecord
from accord.rules.fields import whole_years

REOPENING_DAYS = 15
ADULT_AGE = 18
PROTECTING_STATUSES = frozenset({"granted", "pending"})


@dataclass(frozen=True, slots=True)
class Terms:
    """What the screening safeguards read of an agreement."""

    agreement_id: str
    sender: str
    receiver: str
    kind: str
    onward_return: bool
    no_onward_removal: bool
    scope_include: frozenset[str] | None
    scope_exclude: frozenset[str] | None

    @classmethod
    def of(cls, agreement: AgreementIn) -> Terms:
        scope = agreement.nationality_scope
        return cls(
            agreement_id=agreement.id,
            sender=agreement.sender,
            receiver=agreement.receiver,
            kind=agreement.kind,
            onward_return=agreement.onward_return,
            no_onward_removal=agreement.instrument.no_onward_removal,
            scope_include=frozenset(scope.include) if scope and scope.include is not None else None,
            scope_exclude=frozenset(scope.exclude) if scope and scope.exclude is not None else None,
        )


def is_minor(person: PersonRecord, on: dt.date) -> bool:
    """Under 18 on the day, or with an age dispute (a minor until it is resolved)."""
    return person.age_disputed or whole_years(person.birth_date, on) < ADULT_AGE


def s1_sender_citizens(person: PersonRecord, terms: Terms, on: dt.date) -> str | None:
    if person.sender_status == "citizen":
        return f"a citizen of the sender, {country_label(terms.sender)}"
    if person.sender_status == "lpr":
        return f"a lawful permanent resident of the sender, {country_label(terms.sender)}"
    if terms.sender in person.nationalities:
        return f"holds the sender's nationality, {country_label(terms.sender)}"
    return None


def s2_final_order(person: PersonRecord, terms: Terms, on: dt.date) -> str | None:
    if terms.kind in REMOVAL_KINDS and person.removal_order.status != "final":
        return f"no final removal order (status: {person.removal_order.status})"
    return None


def s3_pending(person: PersonRecord, terms: Terms, on: dt.date) -> str | None:
    reasons = [
        f"protection claim pending: {entry.type}, against {country_label(entry.against)}"
        for entry in person.protection
        if entry.status == "pending"
    ]
    if person.appeal_pending:
        reasons.append("appeal pending")
    if person.stay_of_removal:
        reasons.append("court stay of removal")
    return "; ".join(reasons) or None


def protected_against(person: PersonRecord) -> list[str]:
    """Countries the person holds or seeks protection against, sorted."""
    return sorted({e.against for e in person.protection if e.status in PROTECTING_STATUSES})


def s4_refoulement(person: PersonRecord, terms: Terms, on: dt.date) -> str | None:
    reasons = []
    for country in protected_against(person):
        against = f"protected against {country_label(country)}"
        if country == terms.receiver:
            reasons.append(f"{against}, the receiver")
        if terms.onward_return and country in person.nationalities:
            reasons.append(
                f"{against}, and the receiver facilitates return to {country_name(country)}"
            )
        if not terms.no_onward_removal:
            reasons.append(f"{against}, and the instrument has no no-onward-removal clause")
    return "; ".join(reasons) or None


def feared_destinations(person: PersonRecord, terms: Terms) -> frozenset[str]:
    """Where the transfer would take the person: the receiver, and under an agreement with
    onward return, each country of nationality the receiver would return them to."""
    onward = person.nationalities if terms.onward_return else ()
    return frozenset({terms.receiver, *onward})


def s5_fear_of_receiver(person: PersonRecord, terms: Terms, on: dt.date) -> str | None:
    reasons = []
    destinations = feared_destinations(person, terms)
    for claim in person.fear_claims:
        if claim.country not in destinations:
            continue
        about = f"fear claim about {country_label(claim.country)}"
        if claim.outcome == "pending":
            reasons.append(f"{about} pending")
        elif claim.outcome == "positive":
            reasons.append(f"{about} upheld on {claim.decided}")
        elif claim.decided is not None:
            window_ends = claim.decided + dt.timedelta(days=REOPENING_DAYS)
            if on < window_ends:
                reasons.append(
                    f"{about} refused on {claim.decided}; reopening window open until {window_ends}"
                )
    return "; ".join(reasons) or None


def has_adult_carer(family: Sequence[PersonRecord], on: dt.date) -> bool:
    return any(m.relationship in {"head", "spouse"} and not is_minor(m, on) for m in family)


def s7_minors(
    person: PersonRecord, family: Sequence[PersonRecord], terms: Terms, on: dt.date
) -> str | None:
    if not is_minor(person, on) or has_adult_carer(family, on):
        return None
    if person.age_disputed:
        return "age disputed (a minor until resolved), with no adult head or spouse in the family"
    return f"a minor (age {whole_years(person.birth_date, on)}) with no adult head or spouse in the family"


def s8_assessment_date(person: PersonRecord, on: dt.date) -> dt.date | None:
    """The earliest supervisor's S8 assessment dated on or before the day, if any."""
    dates = [a.date for a in person.assessments if a.rule == "S8" and a.date <= on]
    return min(dates) if dates else None


def s8_vulnerability(person: PersonRecord, terms: Terms, on: dt.date) -> str | None:
    if not person.vulnerabilities or s8_assessment_date(person, on) is not None:
        return None
    listed = ", ".join(v.replace("_", " ") for v in person.vulnerabilities)
    return f"vulnerable ({listed}) with no individual assessment by a supervisor"


def s11_scope(person: PersonRecord, terms: Terms, on: dt.date) -> str | None:
    nationalities = set(person.nationalities)
    reasons = []
    if terms.scope_include is not None and not nationalities & terms.scope_include:
        held = countries_label(sorted(nationalities), "none")
        reasons.append(f"nationality {held} outside the agreement's scope")
    if terms.scope_exclude is not None and nationalities & terms.scope_exclude:
        excluded = countries_label(sorted(nationalities & terms.scope_exclude))
        reasons.append(f"nationality {excluded} excluded by the agreement")
    receiver = country_label(terms.receiver)
    if terms.kind == "third_country_transfer" and terms.receiver in nationalities:
        reasons.append(f"a national of the receiver, {receiver}, not a third-country national")
    if terms.kind == "own_nationals_return" and terms.receiver not in nationalities:
        reasons.append(f"not a national of the receiver, {receiver}")
    if terms.onward_return and not nationalities:
        reasons.append("stateless: no country of nationality to return to")
    return "; ".join(reasons) or None


PersonPredicate = Callable[[PersonRecord, Terms, dt.date], "str | None"]

PERSONAL: tuple[tuple[str, PersonPredicate], ...] = (
    ("S1", s1_sender_citizens),
    ("S2", s2_final_order),
    ("S3", s3_pending),
    ("S4", s4_refoulement),
    ("S5", s5_fear_of_receiver),
    ("S8", s8_vulnerability),
    ("S11", s11_scope),
)
"""Safeguards decided from the person alone; S7 also reads the family, S9 the family's results."""
