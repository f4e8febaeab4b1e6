"""The learned scorer: 10 × the predicted chance of a stable onward outcome, from a
gradient-boosted classifier trained on recorded outcomes, explained one feature at a time.
scikit-learn is imported only when a model is trained."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, get_args

import numpy as np
import numpy.typing as npt

from accord.matching.scoring import (
    Factor,
    FamilyFactsCache,
    Pair,
    PairScore,
    agreement_of,
    shared_languages,
)
from accord.records.agreement import AgreementIn
from accord.records.person import PersonRecord
from accord.records.vocabulary import OnwardOutcome

STABLE_OUTCOMES: frozenset[str] = frozenset({"remained", "returned_home"})
"""The label the learned scorer predicts: the person stayed put or went home as agreed."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """A recorded onward outcome of one family's transfer under one agreement."""

    family_id: str
    agreement_id: str
    outcome: OnwardOutcome


MIN_OUTCOMES = 50
"""Fewer recorded outcomes than this teach a model nothing it should be trusted with."""
TOP_FACTORS = 4
SHOWN_EFFECT = 0.05
"""Smaller effects (in points) would print as +0.0 and are left out of the explanation."""
LEARNED_SCALE = 10.0
"""Score = 10 × probability, on the same scale as the transparent scorer's points."""

FEATURES = (
    "travel_document_share",
    "shared_language",
    "months_waiting",
    "family_size",
    "adults",
    "youngest_age",
    "oldest_age",
    "convictions",
    "receiver",
)
"""Family-level features, the transparent factors' inputs plus a few; `receiver` is
categorical. Missing values (no dated order, receiver languages not on file, a receiver not
seen in training) are NaN, which the model handles natively rather than by a guessed value."""
_RECEIVER = FEATURES.index("receiver")


def _feature_matrix(
    facts: FamilyFactsCache,
    agreements: Mapping[str, AgreementIn],
    pairs: Sequence[Pair],
    receivers: Mapping[str, int],
) -> npt.NDArray[np.float64]:
    rows = np.empty((len(pairs), len(FEATURES)), dtype=np.float64)
    for i, (family_id, agreement_id) in enumerate(pairs):
        family = facts[family_id]
        receiver = agreement_of(agreements, agreement_id).receiver
        shared = shared_languages(family, receiver)
        code = receivers.get(receiver)
        rows[i] = (
            family.document_share,
            math.nan if shared is None else float(bool(shared)),
            math.nan if family.months_waiting is None else family.months_waiting,
            family.size,
            family.adults,
            family.youngest,
            family.oldest,
            family.convictions,
            math.nan if code is None else code,
        )
    return rows


_FEATURE_LABELS = {
    "travel_document_share": "valid travel documents",
    "shared_language": "shared language",
    "months_waiting": "months waiting",
    "family_size": "family size",
    "adults": "adults",
    "youngest_age": "youngest age",
    "oldest_age": "oldest age",
    "convictions": "final convictions",
    "receiver": "receiver",
}


def _describe(feature: int, value: float, typical: float, receivers: Sequence[str]) -> str:
    """A feature's value for a family next to its typical (reference) value, in words."""
    name = FEATURES[feature]

    def show(x: float) -> str:
        if math.isnan(x):
            return "unknown"
        if name == "travel_document_share":
            return f"{x:.0%}"
        if name == "shared_language":
            return "yes" if x >= 0.5 else "no"
        if name == "receiver":
            return receivers[int(x)]
        return f"{x:g}"

    return f"{_FEATURE_LABELS[name]} {show(value)} vs typical {show(typical)}"


@dataclass(frozen=True, eq=False)
class LearnedScorer:
    """10 × the predicted chance of a stable onward outcome; build it with `fit`.

    Each pair is explained one feature at a time: the change in predicted chance when that
    feature alone is set to its typical training value (the median; the most common receiver),
    the four largest changes shown. Features interact, so these changes need not add up to the
    score, and a change is an association in past outcomes, not a cause.
    """

    model: Any
    """The fitted `HistGradientBoostingClassifier` (scikit-learn ships no type stubs)."""
    receivers: tuple[str, ...]
    """Receivers seen in training, in the order of their category codes."""
    typical: tuple[float, ...]
    """Per feature, the reference value explanations compare against."""
    trained_on: int

    @classmethod
    def fit(
        cls,
        families: Mapping[str, Sequence[PersonRecord]],
        agreements: Mapping[str, AgreementIn],
        outcomes: Sequence[Outcome],
        on: dt.date,
        *,
        random_state: int = 0,
    ) -> LearnedScorer:
        """Train on recorded outcomes, with family features measured on `on`.

        Refuses (ValueError, saying what is missing) fewer than `MIN_OUTCOMES` outcomes, only
        one kind of outcome, or outcomes for families or agreements not given.
        """
        # Imported here: scikit-learn (with pandas and SciPy behind it) costs seconds and a
        # quarter of a million objects in every process that imports the matcher, the server's
        # workers included, which train nothing.
        from sklearn.ensemble import HistGradientBoostingClassifier  # type: ignore[import-untyped]

        _check_outcomes(families, agreements, outcomes)
        receivers = tuple(sorted({agreements[o.agreement_id].receiver for o in outcomes}))
        codes = {receiver: code for code, receiver in enumerate(receivers)}
        pairs = [(o.family_id, o.agreement_id) for o in outcomes]
        features = _feature_matrix(FamilyFactsCache(families, on), agreements, pairs, codes)
        labels = np.array([o.outcome in STABLE_OUTCOMES for o in outcomes], dtype=np.int64)
        categorical = np.zeros(len(FEATURES), dtype=np.bool_)
        categorical[_RECEIVER] = True
        # Small trees and a slow rate: outcome records are few and noisy. Chosen by held-out
        # log loss on synthetic outcomes, from 100 to 2,000 rows.
        model = HistGradientBoostingClassifier(
            learning_rate=0.05,
            max_iter=100,
            max_leaf_nodes=8,
            min_samples_leaf=30,
            l2_regularization=1.0,
            categorical_features=categorical,
            early_stopping=False,
            random_state=random_state,
        )
        model.fit(features, labels)
        typical = [_median(features[:, j]) for j in range(len(FEATURES))]
        counts = Counter(features[:, _RECEIVER].tolist())
        typical[_RECEIVER] = min(counts, key=lambda code: (-counts[code], code))
        return cls(model, receivers, tuple(typical), len(outcomes))

    def score(
        self,
        families: Mapping[str, Sequence[PersonRecord]],
        agreements: Mapping[str, AgreementIn],
        pairs: Sequence[Pair],
        on: dt.date,
    ) -> list[PairScore]:
        if not pairs:
            return []
        codes = {receiver: code for code, receiver in enumerate(self.receivers)}
        features = _feature_matrix(FamilyFactsCache(families, on), agreements, pairs, codes)
        chance = self._stable_chance(features)
        effects = np.empty_like(features)
        for j, value in enumerate(self.typical):
            moved = features.copy()
            moved[:, j] = value
            effects[:, j] = chance - self._stable_chance(moved)
        note = f"learned from {self.trained_on} outcomes"
        points = np.round(LEARNED_SCALE * effects, 6)
        largest = np.argsort(-np.abs(points), axis=1, kind="stable")[:, :TOP_FACTORS]
        words: dict[tuple[int, float], str] = {}  # few distinct values: describe each once

        def describe(j: int, value: float) -> str:
            key = (j, value)
            if key not in words:
                words[key] = _describe(j, value, self.typical[j], self.receivers)
            return words[key]

        scores = []
        for i, (family_id, agreement_id) in enumerate(pairs):
            factors = tuple(
                Factor(FEATURES[j], float(points[i, j]), describe(j, float(features[i, j])))
                for j in largest[i].tolist()
                if abs(points[i, j]) >= SHOWN_EFFECT
            )
            p = float(chance[i])
            scores.append(
                PairScore(
                    family_id,
                    agreement_id,
                    round(LEARNED_SCALE * p, 6),
                    factors,
                    f"{note}: {p:.0%} chance of a stable outcome",
                )
            )
        return scores

    def _stable_chance(self, features: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        proba: npt.NDArray[np.float64] = self.model.predict_proba(features)
        return np.clip(proba[:, 1], 0.0, 1.0)


def _median(column: npt.NDArray[np.float64]) -> float:
    known = column[~np.isnan(column)]
    return float(np.median(known)) if known.size else math.nan


def _check_outcomes(
    families: Mapping[str, Sequence[PersonRecord]],
    agreements: Mapping[str, AgreementIn],
    outcomes: Sequence[Outcome],
) -> None:
    kinds = set(get_args(OnwardOutcome))
    unknown_kinds = sorted({o.outcome for o in outcomes} - kinds)
    if unknown_kinds:
        raise ValueError(
            f"unknown onward outcomes {_few(unknown_kinds)}; expected one of {', '.join(sorted(kinds))}"
        )
    missing_families = sorted({o.family_id for o in outcomes if o.family_id not in families})
    if missing_families:
        raise ValueError(f"outcomes name families that were not given: {_few(missing_families)}")
    missing_agreements = sorted(
        {o.agreement_id for o in outcomes if o.agreement_id not in agreements}
    )
    if missing_agreements:
        raise ValueError(
            f"outcomes name agreements that were not given: {_few(missing_agreements)}"
        )
    if len(outcomes) < MIN_OUTCOMES:
        raise ValueError(
            f"the learned scorer needs at least {MIN_OUTCOMES} recorded onward outcomes,"
            f" got {len(outcomes)}; use the transparent scorer until more are recorded"
        )
    stable = sum(o.outcome in STABLE_OUTCOMES for o in outcomes)
    if stable in (0, len(outcomes)):
        have, lack = (
            ("unstable", "stable (remained or returned_home)")
            if stable == 0
            else ("stable", "unstable (moved_on, absconded or re_transferred)")
        )
        raise ValueError(
            f"all {len(outcomes)} recorded outcomes are {have}; the learned scorer needs"
            f" {lack} outcomes too"
        )


def _few(items: Iterable[str], shown: int = 5) -> str:
    items = list(items)
    more = f" and {len(items) - shown} more" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more
