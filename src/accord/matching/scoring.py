"""Scores for eligible (family, agreement) pairs: what the matcher maximizes.

Screening has already decided who may go where. A scorer only ranks the pairs it is handed:
it may leave a pair unscored (the matcher then leaves it out) but can never add one, so no
score can make an ineligible family eligible.

This module holds what every scorer shares: the protocol (`Scorer`), a score and its
reasons (`PairScore`, `Factor`), and what scoring reads about a family (`FamilyFacts`). Three
scorers implement it:

- `accord.matching.transparent.TransparentScorer`, the default: a few additive factors with
  documented weights, each explained in words;
- `accord.matching.learned.LearnedScorer`: a gradient-boosted classifier trained on recorded
  onward outcomes, scoring 10 × the predicted chance of a stable outcome, explained one
  feature at a time;
- `accord.matching.score_files.FileScorer`: scores someone else computed, read from a CSV by
  `read_scores` (where `read_outcomes` reads recorded onward outcomes for training too).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from accord.matching.languages import official_languages
from accord.matching.problem import ProblemError
from accord.records.agreement import AgreementIn
from accord.records.person import PersonRecord

Pair = tuple[str, str]
"""(family_id, agreement_id)."""


@dataclass(frozen=True, slots=True)
class Factor:
    """One reason a pair scores what it does, in points and in words."""

    name: str
    points: float
    detail: str


@dataclass(frozen=True, slots=True)
class PairScore:
    family_id: str
    agreement_id: str
    score: float
    """Zero or more and finite; the matcher maximizes the sum over the chosen pairs."""
    factors: tuple[Factor, ...]
    note: str = ""
    """How the score was reached when that is not plain from the factors (learned, file)."""

    @property
    def why(self) -> str:
        """The score in plain words; rendered on demand since most pairs are never shown."""
        text = f"score {self.score:.1f}"
        if self.note:
            text += f" ({self.note})"
        if self.factors:
            text += ": " + ", ".join(f"{f.detail} ({f.points:+.1f})" for f in self.factors)
        return text


class Scorer(Protocol):
    def score(
        self,
        families: Mapping[str, Sequence[PersonRecord]],
        agreements: Mapping[str, AgreementIn],
        pairs: Sequence[Pair],
        on: dt.date,
    ) -> list[PairScore]:
        """Scores for these eligible pairs on `on`, in their order; a pair may be left out."""
        ...


@dataclass(frozen=True, slots=True)
class FamilyFacts:
    """What scoring reads about a family on one date, worked out once per family."""

    size: int
    adults: int
    """Members aged 18 or over on the date (by birth date)."""
    valid_documents: int
    """Members whose travel document has not expired on the date."""
    adult_languages: frozenset[str]
    """Languages spoken by the adults: they read notices and deal with services."""
    months_waiting: int | None
    """Whole months since the family's earliest removal order; None without a dated order."""
    youngest: int
    oldest: int
    convictions: int
    """Final convictions across the family."""

    @property
    def document_share(self) -> float:
        return self.valid_documents / self.size


def whole_years(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def whole_months(since: dt.date, on: dt.date) -> int:
    """Whole months from `since` to `on`, 0 when `since` is later."""
    months = (on.year - since.year) * 12 + on.month - since.month - (on.day < since.day)
    return max(0, months)


def family_facts(members: Sequence[PersonRecord], on: dt.date) -> FamilyFacts:
    if not members:
        raise ProblemError("a family has no members")
    ages = [whole_years(m.birth_date, on) for m in members]
    adults = [m for m, age in zip(members, ages, strict=True) if age >= 18]
    order_dates = [m.removal_order.date for m in members if m.removal_order.date is not None]
    return FamilyFacts(
        size=len(members),
        adults=len(adults),
        valid_documents=sum(
            m.travel_document is not None and m.travel_document.expires >= on for m in members
        ),
        adult_languages=frozenset(lang for m in adults for lang in m.languages),
        months_waiting=whole_months(min(order_dates), on) if order_dates else None,
        youngest=min(ages),
        oldest=max(ages),
        convictions=sum(c.final for m in members for c in m.convictions),
    )


class FamilyFactsCache:
    """Family facts for one scoring run, each family worked out at most once."""

    def __init__(self, families: Mapping[str, Sequence[PersonRecord]], on: dt.date) -> None:
        self.families = families
        self.on = on
        self.cache: dict[str, FamilyFacts] = {}

    def __getitem__(self, family_id: str) -> FamilyFacts:
        facts = self.cache.get(family_id)
        if facts is None:
            members = self.families.get(family_id)
            if members is None:
                raise ProblemError(f"family {family_id} is paired but not given")
            facts = self.cache[family_id] = family_facts(members, self.on)
        return facts


def agreement_of(agreements: Mapping[str, AgreementIn], agreement_id: str) -> AgreementIn:
    """The agreement a pair names; a pair naming one not given is a caller's mistake."""
    try:
        return agreements[agreement_id]
    except KeyError:
        raise ProblemError(f"agreement {agreement_id} is paired but not given") from None


def shared_languages(facts: FamilyFacts, receiver: str) -> tuple[str, ...] | None:
    """Receiver languages some adult speaks, in the receiver's order; None when not on file."""
    official = official_languages(receiver)
    if official is None:
        return None
    return tuple(lang for lang in official if lang in facts.adult_languages)
