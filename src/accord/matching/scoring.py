"""Scores for eligible (family, agreement) pairs: what the matcher maximizes.

Screening has already decided who may go where. A scorer only ranks the pairs it is handed:
it may leave a pair unscored (the matcher then leaves it out) but can never add one, so no
score can make an ineligible family eligible.

Three scorers share one protocol:

- `TransparentScorer`, the default: a few additive factors with the weights below, each
  explained in words;
- `LearnedScorer`: a gradient-boosted classifier trained on recorded onward outcomes, scoring
  10 × the predicted chance of a stable outcome, explained one feature at a time;
- `FileScorer`: scores someone else computed, read from a CSV by `read_scores`.

`read_outcomes` reads recorded onward outcomes for training the learned scorer.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, get_args

import numpy as np
import numpy.typing as npt

from accord.errors import InvalidInput, Problem
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


# --- What scorers know about a family -----------------------------------------------------


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


class _Facts:
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


def _agreement(agreements: Mapping[str, AgreementIn], agreement_id: str) -> AgreementIn:
    try:
        return agreements[agreement_id]
    except KeyError:
        raise ProblemError(f"agreement {agreement_id} is paired but not given") from None


def _shared_languages(facts: FamilyFacts, receiver: str) -> tuple[str, ...] | None:
    """Receiver languages some adult speaks, in the receiver's order; None when not on file."""
    official = official_languages(receiver)
    if official is None:
        return None
    return tuple(lang for lang in official if lang in facts.adult_languages)


# --- The transparent default --------------------------------------------------------------

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
        facts = _Facts(families, on)
        fixed: dict[str, tuple[Factor, ...]] = {}
        language: dict[tuple[frozenset[str], str], Factor] = {}
        scores = []
        for family_id, agreement_id in pairs:
            family = facts[family_id]
            receiver = _agreement(agreements, agreement_id).receiver
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
    shared = _shared_languages(family, receiver)
    if shared is None:
        return Factor("language", 0.0, f"languages of {receiver} not on file")
    if not shared:
        official = ", ".join(official_languages(receiver) or ())
        return Factor("language", 0.0, f"no adult speaks a language of {receiver} ({official})")
    noun = "language" if len(shared) == 1 else "languages"
    return Factor("language", LANGUAGE_POINTS, f"shares {noun} {', '.join(shared)} with {receiver}")


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


# --- The learned option -------------------------------------------------------------------

OnwardOutcome = Literal["remained", "returned_home", "moved_on", "absconded", "re_transferred"]
"""What happened after a transfer (DESIGN §3)."""
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
    facts: _Facts,
    agreements: Mapping[str, AgreementIn],
    pairs: Sequence[Pair],
    receivers: Mapping[str, int],
) -> npt.NDArray[np.float64]:
    rows = np.empty((len(pairs), len(FEATURES)), dtype=np.float64)
    for i, (family_id, agreement_id) in enumerate(pairs):
        family = facts[family_id]
        receiver = _agreement(agreements, agreement_id).receiver
        shared = _shared_languages(family, receiver)
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
        features = _feature_matrix(_Facts(families, on), agreements, pairs, codes)
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
        features = _feature_matrix(_Facts(families, on), agreements, pairs, codes)
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


# --- Scores from a file -------------------------------------------------------------------

SCORE_COLUMNS = ("family_id", "agreement_id", "score")


def _csv_table(
    path: Path | str, columns: tuple[str, ...]
) -> tuple[list[tuple[str, dict[str, str]]], list[Problem]]:
    """The whole rows of a CSV with exactly `columns`, each as (place, values), and the
    problems of the others: a short or long row, an empty field.

    A missing, unknown or repeated column is refused at once. Places read `file:row N, field`
    (row 1 is the header); callers add their own checks and report everything together.
    """
    source = str(path)
    try:
        with Path(path).open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except FileNotFoundError:
        raise InvalidInput(source, [Problem(source, "no such file")]) from None
    except UnicodeDecodeError:
        raise InvalidInput(source, [Problem(source, "not UTF-8 text")]) from None
    except (OSError, csv.Error) as exc:
        raise InvalidInput(source, [Problem(source, f"cannot read: {exc}")]) from None
    if not rows:
        raise InvalidInput(
            source, [Problem(f"{source}:row 1", f"empty file: expected {','.join(columns)}")]
        )
    header = [name.strip() for name in rows[0]]
    problems = [
        Problem(f"{source}:row 1, {name}", "required column missing")
        for name in columns
        if name not in header
    ]
    problems += [
        Problem(f"{source}:row 1, {name or '(blank)'}", "unknown column")
        for name in header
        if name not in columns
    ]
    problems += [
        Problem(f"{source}:row 1, {name}", "column appears twice")
        for name in sorted({n for n in header if header.count(n) > 1})
    ]
    if problems:
        raise InvalidInput(source, problems)
    column = {name: header.index(name) for name in columns}
    table = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # a blank line
        place = f"{source}:row {number}"
        if len(row) != len(header):
            problems.append(Problem(place, f"{len(row)} fields where the header has {len(header)}"))
            continue
        values = {name: row[column[name]].strip() for name in columns}
        empty = [Problem(f"{place}, {name}", "empty") for name in columns if not values[name]]
        problems += empty
        if not empty:
            table.append((place, values))
    return table, problems


def _check_pairs(
    source: str, table: Sequence[tuple[str, dict[str, str]]], what: str
) -> list[Problem]:
    """A (family, agreement) pair appearing on two rows, each repeat named with the first."""
    first: dict[Pair, str] = {}
    problems = []
    for place, values in table:
        pair = (values["family_id"], values["agreement_id"])
        if pair in first:
            problems.append(
                Problem(
                    f"{place}, family_id/agreement_id",
                    f"pair {pair[0]}/{pair[1]} already {what} at {first[pair]}",
                )
            )
        else:
            first[pair] = place.removeprefix(f"{source}:")
    return problems


def read_scores(path: Path | str) -> dict[Pair, float]:
    """A scores CSV (DESIGN §7) as {(family_id, agreement_id): score}, all or nothing."""
    source = str(path)
    table, problems = _csv_table(path, SCORE_COLUMNS)
    problems += _check_pairs(source, table, "scored")
    scores: dict[Pair, float] = {}
    for place, values in table:
        score = _score_value(values["score"])
        if isinstance(score, str):
            problems.append(Problem(f"{place}, score", f"{score} (got {values['score']!r})"))
        else:
            scores.setdefault((values["family_id"], values["agreement_id"]), score)
    if problems:
        raise InvalidInput(source, sorted(problems, key=_row_order))
    return scores


OUTCOME_COLUMNS = ("family_id", "agreement_id", "outcome")


def read_outcomes(path: Path | str) -> list[Outcome]:
    """Recorded onward outcomes from a CSV (family_id,agreement_id,outcome), all or nothing."""
    source = str(path)
    table, problems = _csv_table(path, OUTCOME_COLUMNS)
    problems += _check_pairs(source, table, "recorded")
    kinds = get_args(OnwardOutcome)
    outcomes = []
    for place, values in table:
        if values["outcome"] not in kinds:
            problems.append(
                Problem(
                    f"{place}, outcome",
                    f"expected one of {', '.join(kinds)} (got {values['outcome']!r})",
                )
            )
        else:
            outcomes.append(Outcome(values["family_id"], values["agreement_id"], values["outcome"]))  # type: ignore[arg-type]
    if problems:
        raise InvalidInput(source, sorted(problems, key=_row_order))
    return outcomes


def _row_order(problem: Problem) -> tuple[int, str]:
    """Problems in file order: by row number, then field."""
    row = problem.place.rsplit(":row ", 1)[-1].split(",", 1)[0]
    return (int(row) if row.isdigit() else 0, problem.place)


def _score_value(text: str) -> float | str:
    """The score, or what is wrong with it."""
    try:
        value = float(text)
    except ValueError:
        return "not a number"
    if not math.isfinite(value):
        return "not a finite number"
    if value < 0:
        return "negative; scores are zero or more"
    return value


class FileScorer:
    """Scores from a file. A pair the file does not score is left out, so the matcher leaves
    that family out of that pool; a file row for a pair that is not eligible is ignored."""

    def __init__(self, scores: Mapping[Pair, float]) -> None:
        bad = [pair for pair, score in scores.items() if not (math.isfinite(score) and score >= 0)]
        if bad:
            raise ValueError(f"scores must be finite and zero or more, not for {bad[:5]}")
        self.scores = dict(scores)

    def score(
        self,
        families: Mapping[str, Sequence[PersonRecord]],
        agreements: Mapping[str, AgreementIn],
        pairs: Sequence[Pair],
        on: dt.date,
    ) -> list[PairScore]:
        return [
            PairScore(pair[0], pair[1], self.scores[pair], (), "from file")
            for pair in pairs
            if pair in self.scores
        ]
