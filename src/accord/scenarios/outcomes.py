"""Synthetic onward outcomes, so the learned scorer has something to learn in the demo and tests.

Every outcome here is made up. Each family is given one transfer, under an agreement drawn at
random, and an outcome drawn from a chance of a stable outcome that rises with the things the
transparent scorer rewards, so a model that learns from them should rank the same way:

    logit = -1.2 + 2.0 × share of valid travel documents + 1.6 × an adult speaks a receiver
            language + 0.05 × months waiting (up to 24) + 0.1 × members beyond the first
            - 0.4 × final convictions (up to 4) + a receiver effect in [-0.4, 0.4)

A stable outcome is `returned_home` or `remained` (mostly `returned_home` under agreements
with onward return); the others are `moved_on`, `absconded` or `re_transferred`. The same
seed and date give the same outcomes: only a private `random.Random(seed)` is used.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Mapping, Sequence

from accord.matching.languages import official_languages
from accord.matching.learned import Outcome
from accord.matching.scoring import family_facts
from accord.matching.transparent import MONTHS_COUNTED
from accord.records.agreement import AgreementIn
from accord.records.person import PersonRecord
from accord.records.vocabulary import OnwardOutcome
from accord.scenarios.people import REFERENCE_DATE

__all__ = ["Outcome", "stable_chance", "synthetic_outcomes"]

_UNSTABLE: tuple[tuple[OnwardOutcome, float], ...] = (
    ("moved_on", 0.45),
    ("absconded", 0.35),
    ("re_transferred", 0.20),
)


def stable_chance(
    members: Sequence[PersonRecord], agreement: AgreementIn, on: dt.date, receiver_effect: float
) -> float:
    """The synthetic chance that this family's transfer under `agreement` ends stably."""
    facts = family_facts(members, on)
    official = official_languages(agreement.receiver) or ()
    speaks = any(lang in facts.adult_languages for lang in official)
    logit = (
        -1.2
        + 2.0 * facts.document_share
        + 1.6 * speaks
        + 0.05 * min(facts.months_waiting or 0, MONTHS_COUNTED)
        + 0.1 * (facts.size - 1)
        - 0.4 * min(facts.convictions, 4)
        + receiver_effect
    )
    return 1.0 / (1.0 + math.exp(-logit))


def synthetic_outcomes(
    families: Mapping[str, Sequence[PersonRecord]],
    agreements: Mapping[str, AgreementIn],
    seed: int,
    *,
    on: dt.date = REFERENCE_DATE,
) -> list[Outcome]:
    """One made-up outcome per family, in family id order, under a randomly drawn agreement."""
    if not agreements:
        raise ValueError("synthetic outcomes need at least one agreement")
    rng = random.Random(seed)
    agreement_ids = sorted(agreements)
    receivers = sorted({a.receiver for a in agreements.values()})
    effect = {receiver: 0.8 * rng.random() - 0.4 for receiver in receivers}
    outcomes = []
    for family_id in sorted(families):
        agreement = agreements[agreement_ids[int(rng.random() * len(agreement_ids))]]
        chance = stable_chance(families[family_id], agreement, on, effect[agreement.receiver])
        outcome: OnwardOutcome
        if rng.random() < chance:
            home_share = 0.7 if agreement.onward_return else 0.2
            outcome = "returned_home" if rng.random() < home_share else "remained"
        else:
            outcome = _pick(_UNSTABLE, rng.random())
        outcomes.append(Outcome(family_id, agreement.id, outcome))
    return outcomes


def _pick(weighted: Sequence[tuple[OnwardOutcome, float]], draw: float) -> OnwardOutcome:
    for value, weight in weighted:
        if draw < weight:
            return value
        draw -= weight
    return weighted[-1][0]
