"""The adversarial simulation, small and seeded (issue 13): a few thousand random moves by users
of every role, through the real services on a database built by the real migrations, and not
one that the independent oracle finds unlawful; and each unlawful move the full run found,
shrunk to its few steps, replayed.

Gates, not samples: they fail while the services let an unlawful move through, printing each
kind of violation with the fewest steps that replay it. The known findings fail until their
fixes land. The full run is `bench/adversarial.py --moves 1000000`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.simulation.oracle import Oracle, age, period_of
from tests.simulation.simulator import Step, render, replay, shrink, simulate, workspace

MOVES = 4000
SEED = "issue-13"


def _at(moment: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{moment}:00+00:00")


def _pool(n: int, moment: str) -> Step:
    args = {"agreement": "a09", "families": ["F027"], "limit": 99, "actor": "officer.us"}
    return Step(n, _at(moment), "propose", args)


_FEARED = [
    _pool(1, "2026-01-14 09:00"),
    Step(
        2,
        _at("2026-01-29 02:00"),
        "accept",
        {"family": "F027", "agreement": "a09", "actor": "reviewer.cr"},
    ),
    Step(
        3,
        _at("2026-02-24 06:00"),
        "claim_fear",
        {"family": "F027", "agreement": "a09", "case": "F027-0", "actor": "officer.us"},
    ),
]
_LIFT = {"case": "F027-0", "fact": "fear_claim", "detail": "CR", "actor": "supervisor.us"}
_LIFT |= {"reason": "the claim was withdrawn in writing"}
KNOWN = {
    "a positive fear finding is lost once a supervisor has lifted the pending claim": [
        *_FEARED,
        Step(4, _at("2026-03-08 12:00"), "lift_fact", _LIFT),
        Step(
            5,
            _at("2026-03-10 17:00"),
            "interview",
            {"family": "F027", "agreement": "a09", "case": "F027-0", "actor": "officer.us"}
            | {"at": "2026-03-13T17:00:00+00:00"},
        ),
        Step(
            6,
            _at("2026-03-14 09:00"),
            "decide_fear",
            {"family": "F027", "agreement": "a09", "case": "F027-0", "actor": "officer.us"}
            | {"outcome": "positive"},
        ),
        _pool(7, "2026-04-01 09:00"),
    ],
    "a lift dated before the claim it ends leaves a record no one can read": [
        *_FEARED,
        Step(4, _at("2026-02-20 12:00"), "lift_fact", _LIFT),
        Step(
            5,
            _at("2026-02-25 12:00"),
            "notice",
            {"family": "F027", "agreement": "a09", "case": "F027-0", "actor": "officer.us"}
            | {"recipient": "person", "language": "es", "signed": True},
        ),
    ],
}
"""Findings of the full run, shrunk, on world '1.1/179' (F027: a Colombian adult alone, a09:
a third-country transfer to CR): each replays as a regression test until it is fixed."""


def test_no_unlawful_move_in_a_seeded_run(tmp_path: Path) -> None:
    with workspace(tmp_path) as (directory, template):
        summary = simulate(MOVES, SEED, directory=directory, template=template)
        for finding in summary.findings.values():
            finding.shrunk = shrink(finding, directory=directory, template=template, budget=60)
        report = render(summary, title=f"adversarial simulation (seed {SEED!r})")
    crashes, violations = len(summary.crashes), summary.total_violations
    assert summary.moves == MOVES
    assert crashes == 0, report
    assert violations == 0, report


@pytest.mark.parametrize("finding", sorted(KNOWN))
def test_a_known_finding_replays_clean(finding: str, tmp_path: Path) -> None:
    with workspace(tmp_path) as (directory, template):
        steps = KNOWN[finding]
        found = replay("1.1/179", steps, directory=directory, template=template)
    replayed = "\n".join(step.describe() for step in steps)
    unlawful = len(found)
    assert unlawful == 0, f"{finding}:\n{replayed}\n" + "\n".join(map(str, found))


def test_the_oracle_imports_nothing_it_judges() -> None:
    """The oracle is written from the design alone: it must not reuse what it checks."""
    source = Path(Oracle.__module__.replace(".", "/") + ".py")
    text = (Path(__file__).parents[2] / source).read_text(encoding="utf-8")
    assert "accord" not in {
        line.split()[1].split(".")[0]
        for line in text.splitlines()
        if line.startswith(("import ", "from "))
    }


def test_the_oracles_arithmetic() -> None:
    """Ages in whole years, and the periods a cap counts in, by the oracle's own reckoning."""
    assert age(dt.date(2008, 3, 1), dt.date(2026, 2, 28)) == 17
    assert age(dt.date(2008, 3, 1), dt.date(2026, 3, 1)) == 18
    term = dt.date(2026, 1, 1)
    cap = {"kind": "persons_per_period", "limit": 5, "period": "P6M", "anchor": "term_start"}
    assert period_of(cap, term, dt.date(2026, 7, 1)) == (dt.date(2026, 7, 1), dt.date(2027, 1, 1))
    rolling = cap | {"anchor": "rolling", "period": "P3M"}
    assert period_of(rolling, term, dt.date(2026, 5, 31)) == (
        dt.date(2026, 3, 1),
        dt.date(2026, 6, 1),
    )
    calendar = cap | {"anchor": "calendar", "period": "P1Y"}
    assert period_of(calendar, term, dt.date(2027, 2, 3))[0] == dt.date(2027, 1, 1)
