"""The adversarial simulation, small and seeded (issue 13): a few thousand random moves by users
of every role, through the real services on a database built by the real migrations, and not
one that the independent oracle finds unlawful.

A gate, not a sample: it fails while the services let any unlawful move through (issue 13
lists what it found), printing each kind of violation with the fewest steps that replay it.
The full run is `bench/adversarial.py --moves 1000000`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.simulation.oracle import Oracle, age, period_of
from tests.simulation.simulator import render, shrink, simulate, workspace

MOVES = 4000
SEED = "issue-13"


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
