"""The charts' data, from recorded rows: what each cap held on each day the ledger moved."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from accord.reports.charts import ledger_chart, review_chart, waits_chart
from tests.workflow.test_quota import agreement, cap, row

D = dt.date


def test_the_ledger_chart_steps_with_every_row_and_shows_each_limit() -> None:
    terms = agreement(cap(limit=3), cap("present_at_once", limit=2))
    rows = [
        row("1", "reserve", D(2026, 2, 1), persons=2),
        row("2", "reserve", D(2026, 2, 5)),
        row("2", "release", D(2026, 2, 9)),
        row("1", "consume", D(2026, 3, 1), persons=2, reserved_on=D(2026, 2, 1)),
    ]
    spec = ledger_chart(terms, rows, D(2026, 3, 10))
    assert spec["data"]["labels"] == [
        "2026-02-01",
        "2026-02-05",
        "2026-02-09",
        "2026-03-01",
        "2026-03-10",
    ]
    series = {d["label"]: d["data"] for d in spec["data"]["datasets"]}
    assert series["persons per period (held)"] == [2, 3, 2, 2, 2]
    assert series["persons per period limit (3)"] == [3] * 5
    assert series["present at once (held)"] == [0, 0, 0, 2, 2]
    assert series["people arrived (total)"] == [0, 0, 0, 2, 2]


def test_rows_after_the_day_are_not_drawn() -> None:
    terms = agreement(cap(limit=3))
    spec = ledger_chart(terms, [row("1", "reserve", D(2026, 5, 1))], D(2026, 4, 1))
    assert spec["data"]["labels"] == ["2026-04-01"]


def test_review_and_wait_charts_count_what_was_recorded() -> None:
    spec = review_chart(4, Counter({"public_order": 2, "capacity": 1}))
    assert spec["data"]["labels"] == ["accepted", "rejected: capacity", "rejected: public order"]
    assert spec["data"]["datasets"][0]["data"] == [4, 1, 2]
    waits = waits_chart([10, 12, 15, 30])
    assert dict(
        zip(waits["data"]["labels"], waits["data"]["datasets"][0]["data"], strict=True)
    ) == {
        "7-13": 2,
        "14-20": 1,
        "28-34": 1,
    }
