"""Scores and onward outcomes from CSV files (DESIGN §7), read all or nothing, every problem
named by its row and field; and the scorer that uses such scores as they are."""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import get_args

from accord.errors import InvalidInput, Problem
from accord.matching.learned import Outcome
from accord.matching.scoring import Pair, PairScore
from accord.records.agreement import AgreementIn
from accord.records.person import PersonRecord
from accord.records.vocabulary import OnwardOutcome

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
