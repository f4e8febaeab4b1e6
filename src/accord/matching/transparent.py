"""The default scorer: a few additive factors with documented weights, each explained in words
(docs/scoring.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from accord.matching.languages import official_languages
from accord.matching.scoring import (
    Factor,
    FamilyFacts,
    FamilyFactsCache,
    Pair,
    PairScore,
    agreement_of,
    shared_languages,
)
from accord.records.agreement import AgreementIn
from accord.records.countries import country_label
from accord.records.person import PersonRecord

BASE_POINTS = 1.0
"""Every eligible family scores above zero, so the matcher fills pools rather than leave room."""
DOCUMENT_POINTS = 3.0
"""A valid travel document for every member; a share of it for a share of the members. A
transfer without documents waits on the receiver issuing papers, so documented families can
actually move within the pool's period."""
LANGUAGE_POINTS = 2.0
"""An adult speaks an official language of the receiver: notices, services and work are
reachable there, which helps the family settle rather than move on."""
POINTS_PER_MONTH_WAITING = 0.1
MONTHS_COUNTED = 24
"""Whole months since the removal order, up to 24 (+2.4): those waiting longest go first,
and the cap keeps waiting from outweighing everything else."""
POINTS_PER_EXTRA_MEMBER = 0.3
"""Per member beyond the first. A family uses more of the cap, so without this the matcher
would favour single people; moving a family whole serves family unity."""


class TransparentScorer:
    """The default: additive factors with documented weights (module constants above)."""

    def score(
        self,
        families: Mapping[str, Sequence[PersonRecord]],
        agreements: Mapping[str, AgreementIn],
        pairs: Sequence[Pair],
        on: dt.date,
    ) -> list[PairScore]:
        facts = FamilyFactsCache(families, on)
        fixed: dict[str, tuple[Factor, ...]] = {}
        language: dict[tuple[frozenset[str], str], Factor] = {}
        scores = []
        for family_id, agreement_id in pairs:
            family = facts[family_id]
            receiver = agreement_of(agreements, agreement_id).receiver
            same = fixed.get(family_id)
            if same is None:
                same = fixed[family_id] = _family_factors(family, on)
            key = (family.adult_languages, receiver)
            spoken = language.get(key)
            if spoken is None:
                spoken = language[key] = _language_factor(family, receiver)
            factors = (same[0], same[1], spoken, *same[2:])
            total = round(sum(f.points for f in factors), 6)
            scores.append(PairScore(family_id, agreement_id, total, factors))
        return scores


def _family_factors(family: FamilyFacts, on: dt.date) -> tuple[Factor, ...]:
    """The factors that do not depend on the agreement: base, document, waiting, family."""
    return (
        Factor("base", BASE_POINTS, "eligible"),
        _document_factor(family, on),
        _waiting_factor(family),
        _family_factor(family),
    )


def _document_factor(family: FamilyFacts, on: dt.date) -> Factor:
    valid, size = family.valid_documents, family.size
    points = round(DOCUMENT_POINTS * family.document_share, 6)
    if valid == 0:
        detail = f"no valid travel document on {on.isoformat()}"
    elif size == 1:
        detail = "valid travel document"
    elif valid == size:
        detail = f"valid travel documents for all {size}"
    else:
        detail = f"valid travel documents for {valid} of {size}"
    return Factor("travel_document", points, detail)


def _language_factor(family: FamilyFacts, receiver: str) -> Factor:
    shared = shared_languages(family, receiver)
    named = country_label(receiver)
    if shared is None:
        return Factor("language", 0.0, f"languages of {named} not on file")
    if not shared:
        official = ", ".join(official_languages(receiver) or ())
        return Factor("language", 0.0, f"no adult speaks a language of {named}: {official}")
    noun = "language" if len(shared) == 1 else "languages"
    return Factor("language", LANGUAGE_POINTS, f"shares {noun} {', '.join(shared)} with {named}")


def _waiting_factor(family: FamilyFacts) -> Factor:
    months = family.months_waiting
    if months is None:
        return Factor("waiting", 0.0, "no removal order date")
    points = round(POINTS_PER_MONTH_WAITING * min(months, MONTHS_COUNTED), 6)
    detail = f"waiting {months} month{'' if months == 1 else 's'}"
    if months > MONTHS_COUNTED:
        detail += f" (counted up to {MONTHS_COUNTED})"
    return Factor("waiting", points, detail)


def _family_factor(family: FamilyFacts) -> Factor:
    if family.size == 1:
        return Factor("family", 0.0, "one person")
    points = round(POINTS_PER_EXTRA_MEMBER * (family.size - 1), 6)
    return Factor("family", points, f"family of {family.size} kept together")
