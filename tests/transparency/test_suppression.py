"""Small counts stay hidden: for every suppressed cell of a release, and of a pair of
successive releases read together (a cumulative figure minus last quarter's), the attacker's
linear programs leave an interval at least the threshold wide. On Hypothesis-generated ledgers
and on hand-made tables; the demo year is in test_report.py."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.statistics.suppression import Cell, protect
from accord.transparency.model import AgreementFacts, Fact, Quarter, ReportInput, Stock
from accord.transparency.release import build
from tests.transparency.attacker import interval, narrowest

THRESHOLD = 5


def test_a_small_cell_in_a_two_by_two_table_takes_its_whole_rectangle() -> None:
    values = [2, 10, 7, 9]
    cells = [Cell(f"a{i}", frozenset({i}), v) for i, v in enumerate(values)]
    cells += [
        Cell("r0", frozenset({0, 1}), 12, True),
        Cell("r1", frozenset({2, 3}), 16, True),
        Cell("c0", frozenset({0, 2}), 9, True),
        Cell("c1", frozenset({1, 3}), 19, True),
        Cell("all", frozenset({0, 1, 2, 3}), 28, True),
    ]
    protection = protect(cells, 4, THRESHOLD)
    assert protection.primary == {"a0"}
    assert protection.suppressed == {"a0", "a1", "a2", "a3"}  # margins stay published
    shown = [
        ([str(a) for a in c.atoms], c.value) for c in cells if c.key not in protection.suppressed
    ]
    low, high = interval(["0"], shown)
    assert (low, high) == (0.0, 9.0)


def test_the_threshold_is_never_below_five() -> None:
    with pytest.raises(ValueError, match="never below 5"):
        protect([Cell("a", frozenset({0}), 1)], 1, 4)


def test_a_cumulative_figure_minus_the_last_quarters_gives_nothing_back() -> None:
    """Q1: 30 families; Q2: 2 more. Publishing Q2's cumulative 32 beside Q1's 30 would give
    the 2 back, so it is suppressed with it."""
    data = [
        Fact("a", dt.date(2026, 2, 1), "families_accepted", "all", 30, "q1"),
        Fact("a", dt.date(2026, 5, 1), "families_accepted", "all", 2, "q2"),
    ]
    agreement = AgreementFacts("a", "A", "US", "XK", "in_force", [], None, "")
    first = build(ReportInput(Quarter(2026, 1), [agreement], data[:1], [], []), THRESHOLD)
    second = build(
        ReportInput(Quarter(2026, 2), [agreement], data, [], []),
        THRESHOLD,
        earlier=[{"period": "2026-Q1", "cells": first.stored_cells}],
    )
    families = next(t for t in second.tables if t.id == "families")
    assert families.figure("a", "accepted", "period").status == "suppressed"
    assert families.figure("a", "accepted", "cumulative").status == "suppressed"
    assert (second.primary, second.secondary) == (1, 1)
    assert narrowest([first.stored_cells, second.stored_cells], THRESHOLD) == []


MEASURES = (
    ("families_rejected", ("criteria", "public_order", "capacity")),
    ("families_onward", ("remained", "returned_home", "moved_on")),
    ("people_transferred", ("VE", "HN", "SV", "CU")),
    ("families_accepted", ("all",)),
    ("checkins", ("due", "done")),
)


@st.composite
def ledgers(draw: st.DrawFn) -> tuple[list[AgreementFacts], list[Fact], list[Stock]]:
    """Two or three agreements, facts spread over Q1 and Q2 with many small counts."""
    agreements = [
        AgreementFacts(f"ag{i}", f"Agreement {i}", "US", "XK", "in_force", [], None, "")
        for i in range(draw(st.integers(2, 3)))
    ]
    facts = []
    for agreement in agreements:
        for measure, categories in MEASURES:
            for category in categories:
                for month in (2, 5):
                    value = draw(st.integers(0, 12))
                    if value:
                        facts.append(
                            Fact(
                                agreement.id,
                                dt.date(2026, month, 10),
                                measure,
                                category,
                                value,
                                "x",
                            )
                        )
    stocks = [
        Stock(a.id, Quarter(2026, q), "present", draw(st.integers(0, 9)), ())
        for a in agreements
        for q in (1, 2)
    ]
    return agreements, facts, stocks


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers())
def test_no_suppressed_cell_of_two_successive_releases_can_be_narrowed(
    ledger: tuple[list[AgreementFacts], list[Fact], list[Stock]],
) -> None:
    agreements, facts, stocks = ledger
    q1, q2 = Quarter(2026, 1), Quarter(2026, 2)
    first = build(
        ReportInput(
            q1,
            agreements,
            [f for f in facts if f.day <= q1.end],
            [s for s in stocks if s.quarter == q1],
            [],
        ),
        THRESHOLD,
    )
    second = build(
        ReportInput(q2, agreements, facts, stocks, []),
        THRESHOLD,
        earlier=[{"period": "2026-Q1", "cells": first.stored_cells}],
    )
    assert narrowest([first.stored_cells], THRESHOLD) == []
    assert narrowest([first.stored_cells, second.stored_cells], THRESHOLD) == []
    for release in (first, second):
        for table in release.tables:
            for figure in table.figures.values():
                stored = next(c for c in release.stored_cells if c["key"] == figure.key)
                if 0 < stored["value"] < THRESHOLD:
                    assert figure.value is None and figure.status == "suppressed"
                if figure.value is not None:
                    assert figure.value == stored["value"]
