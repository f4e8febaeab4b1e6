"""The quota ledger's arithmetic (S13), from the failing case: which period a place counts in,
what a cap holds, and the step that would break it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from accord.records.agreement import AgreementIn, CapIn
from accord.workflow.quota import (
    LedgerKind,
    LedgerRow,
    held,
    over_cap,
    period_bounds,
    period_length,
    present,
)

D = dt.date
TERM_START = D(2026, 1, 1)


def cap(kind: str = "persons_per_period", limit: int | None = 3, **fields: Any) -> CapIn:
    if kind != "present_at_once":
        fields.setdefault("period", "P1Y")
        fields.setdefault("anchor", "term_start")
    if limit is None:
        fields.setdefault("note", "reported without a figure")
    return CapIn.model_validate({"kind": kind, "limit": limit, **fields})


def agreement(*caps: CapIn, start: dt.date = TERM_START, end: dt.date | None = None) -> AgreementIn:
    return AgreementIn.model_validate(
        {
            "id": "quota-test",
            "sender": "US",
            "receiver": "XK",
            "kind": "third_country_transfer",
            "status": "in_force",
            "term": {"start": start, "end": end},
            "caps": [c.model_dump() for c in caps],
        }
    )


def row(
    item: str, kind: LedgerKind, day: dt.date, persons: int = 1, reserved_on: dt.date | None = None
) -> LedgerRow:
    return LedgerRow(item, kind, persons, 1, day, reserved_on or day)


def check(
    terms: AgreementIn,
    rows: list[LedgerRow],
    day: dt.date,
    persons: int = 1,
    step: str = "reserve",
) -> list[str]:
    return over_cap(terms, rows, day, persons=persons, families=1, step=step)  # type: ignore[arg-type]


# --- Periods ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("P1Y", (1, 0, 0)), ("P6M", (0, 6, 0)), ("P2W", (0, 0, 14)), ("P10D", (0, 0, 10))],
)
def test_period_length_reads_iso_8601(text: str, expected: tuple[int, int, int]) -> None:
    length = period_length(text)
    assert (length.years, length.months, length.days) == expected


@pytest.mark.parametrize("text", ["P", "1Y", "P1H", "PT1H", ""])
def test_period_length_refuses_what_is_not_a_period(text: str) -> None:
    with pytest.raises(ValueError, match="not an ISO 8601 period"):
        period_length(text)


@pytest.mark.parametrize(
    ("period", "start", "day", "bounds"),
    [
        ("P1Y", D(2026, 1, 1), D(2026, 6, 1), (D(2026, 1, 1), D(2027, 1, 1))),
        ("P1Y", D(2026, 1, 1), D(2026, 12, 31), (D(2026, 1, 1), D(2027, 1, 1))),
        ("P1Y", D(2026, 1, 1), D(2027, 1, 1), (D(2027, 1, 1), D(2028, 1, 1))),
        ("P1Y", D(2025, 7, 1), D(2026, 3, 1), (D(2025, 7, 1), D(2026, 7, 1))),
        ("P6M", D(2026, 1, 1), D(2026, 7, 1), (D(2026, 7, 1), D(2027, 1, 1))),
        ("P6M", D(2026, 1, 1), D(2026, 6, 30), (D(2026, 1, 1), D(2026, 7, 1))),
        ("P2W", D(2026, 1, 1), D(2026, 1, 20), (D(2026, 1, 15), D(2026, 1, 29))),
        ("P2W", D(2026, 1, 1), D(2026, 1, 14), (D(2026, 1, 1), D(2026, 1, 15))),
    ],
)
def test_term_start_periods_run_from_the_term_start(
    period: str, start: dt.date, day: dt.date, bounds: tuple[dt.date, dt.date]
) -> None:
    assert period_bounds(cap(period=period, anchor="term_start"), start, day) == bounds


@pytest.mark.parametrize(
    ("period", "day", "bounds"),
    [
        ("P1Y", D(2026, 6, 1), (D(2026, 1, 1), D(2027, 1, 1))),
        ("P1Y", D(2027, 1, 1), (D(2027, 1, 1), D(2028, 1, 1))),
        ("P6M", D(2026, 8, 1), (D(2026, 7, 1), D(2027, 1, 1))),
        ("P2W", D(2026, 1, 20), (D(2026, 1, 15), D(2026, 1, 29))),
    ],
)
def test_calendar_periods_run_from_the_first_of_january(
    period: str, day: dt.date, bounds: tuple[dt.date, dt.date]
) -> None:
    """The term's start is irrelevant to a calendar cap."""
    assert period_bounds(cap(period=period, anchor="calendar"), D(2025, 7, 1), day) == bounds


@pytest.mark.parametrize(
    ("period", "day", "bounds"),
    [
        ("P1Y", D(2026, 6, 1), (D(2025, 6, 2), D(2026, 6, 2))),
        ("P6M", D(2026, 8, 31), (D(2026, 3, 1), D(2026, 9, 1))),
        ("P2W", D(2026, 1, 15), (D(2026, 1, 2), D(2026, 1, 16))),
    ],
)
def test_rolling_periods_end_with_the_day(
    period: str, day: dt.date, bounds: tuple[dt.date, dt.date]
) -> None:
    assert period_bounds(cap(period=period, anchor="rolling"), D(2026, 1, 1), day) == bounds


def test_a_day_before_the_term_is_a_period_of_its_own() -> None:
    """Nothing reserved in the term can count against a day before it (S12 refuses it anyway)."""
    day = D(2025, 12, 31)
    assert period_bounds(cap(), D(2026, 1, 1), day) == (day, D(2026, 1, 1))


def test_a_per_period_cap_with_no_period_holds_over_the_whole_term() -> None:
    """docs/formats.md: "up to 250" reported with no period is one figure for the whole term,
    not a yearly one; a second year must not open a second 250."""
    whole = cap(limit=2, period=None, anchor=None)
    terms = agreement(whole, start=D(2026, 1, 1), end=D(2028, 12, 31))
    rows = [row("a", "reserve", D(2026, 3, 1), persons=2)]
    assert check(terms, rows, D(2027, 6, 1)) == [
        "cap of 2 people over the term holds 2; 1 more would exceed it"
    ]
    assert held(terms, rows, D(2028, 6, 1))[0].held == 2
    released = [*rows, row("a", "release", D(2027, 1, 5), persons=2, reserved_on=D(2026, 3, 1))]
    assert check(terms, released, D(2028, 6, 1), persons=2) == []


# --- Per-period caps ------------------------------------------------------------------------


def test_persons_per_period_holds_reservations_of_the_period() -> None:
    terms = agreement(cap(limit=3))
    rows = [row("a", "reserve", D(2026, 2, 1), persons=2)]
    [h] = held(terms, rows, D(2026, 3, 1))
    assert (h.held, h.left, h.period) == (2, 1, (D(2026, 1, 1), D(2027, 1, 1)))
    assert check(terms, rows, D(2026, 3, 1), persons=1) == []
    assert check(terms, rows, D(2026, 3, 1), persons=2) == [
        "cap of 3 people per P1Y holds 2 in 2026-01-01 to 2026-12-31; 2 more would exceed it"
    ]


def test_a_reservation_counts_in_the_period_it_was_made() -> None:
    """A six-monthly cap: places reserved in the first half do not fill the second."""
    terms = agreement(cap(limit=2, period="P6M"))
    rows = [row("a", "reserve", D(2026, 6, 1), persons=2)]
    assert check(terms, rows, D(2026, 6, 30))
    assert check(terms, rows, D(2026, 7, 1), persons=2) == []


def test_a_consumed_place_is_still_one_place() -> None:
    """Arrival turns a reservation into a used place in the same period: no double count."""
    terms = agreement(cap(limit=3))
    rows = [
        row("a", "reserve", D(2026, 2, 1), persons=2),
        row("a", "consume", D(2026, 3, 1), persons=2, reserved_on=D(2026, 2, 1)),
    ]
    assert held(terms, rows, D(2026, 4, 1))[0].held == 2
    assert check(terms, rows, D(2026, 4, 1), persons=1) == []
    assert check(terms, rows, D(2026, 4, 1), persons=2)


def test_a_release_gives_the_place_back() -> None:
    terms = agreement(cap(limit=2))
    reserved = [row("a", "reserve", D(2026, 2, 1), persons=2)]
    assert check(terms, reserved, D(2026, 3, 1))
    released = [*reserved, row("a", "release", D(2026, 3, 1), persons=2, reserved_on=D(2026, 2, 1))]
    assert held(terms, released, D(2026, 3, 1))[0].held == 0
    assert check(terms, released, D(2026, 3, 1), persons=2) == []


def test_a_release_in_a_later_period_gives_back_the_earlier_period() -> None:
    """The release row carries its reservation's day, so it frees the period that held it."""
    terms = agreement(cap(limit=1, period="P6M"))
    rows = [
        row("a", "reserve", D(2026, 6, 1)),
        row("b", "reserve", D(2026, 7, 1)),
        row("a", "release", D(2026, 7, 2), reserved_on=D(2026, 6, 1)),
    ]
    assert held(terms, rows, D(2026, 6, 15))[0].held == 0
    assert held(terms, rows, D(2026, 7, 15))[0].held == 1


def test_families_per_period_counts_families_whatever_their_size() -> None:
    terms = agreement(cap(limit=100), cap("families_per_period", limit=1))
    rows = [row("a", "reserve", D(2026, 2, 1), persons=1)]
    assert check(terms, rows, D(2026, 3, 1), persons=1) == [
        "cap of 1 families per P1Y holds 1 in 2026-01-01 to 2026-12-31; 1 more would exceed it"
    ]
    assert check(terms, [], D(2026, 3, 1), persons=5) == []


# --- Present at once ----------------------------------------------------------------------------


def test_present_at_once_counts_arrivals_not_reservations() -> None:
    terms = agreement(cap("present_at_once", limit=2))
    reserved = [row(i, "reserve", D(2026, 2, 1)) for i in "abc"]
    assert present(reserved) == 0
    assert check(terms, reserved, D(2026, 3, 1)) == []  # a reservation is not an arrival
    arrived = [*reserved, *(row(i, "consume", D(2026, 3, 1)) for i in "ab")]
    assert present(arrived) == 2
    assert check(terms, arrived, D(2026, 3, 2), step="consume") == [
        "present-at-once cap of 2 holds 2; 1 more would exceed it"
    ]


def test_a_departure_makes_room_at_once() -> None:
    terms = agreement(cap("present_at_once", limit=2))
    rows = [row(i, "consume", D(2026, 3, 1)) for i in "ab"]
    rows.append(row("a", "depart", D(2026, 4, 1)))
    assert present(rows) == 1
    assert check(terms, rows, D(2026, 4, 2), step="consume") == []


def test_arrivals_are_not_held_against_the_period_cap_twice() -> None:
    """On arrival only present-at-once is checked: the period cap was checked at acceptance."""
    terms = agreement(cap(limit=1), cap("present_at_once", limit=10))
    rows = [row("a", "reserve", D(2026, 2, 1))]
    assert check(terms, rows, D(2026, 3, 1), step="consume") == []


# --- Caps not known as a figure ---------------------------------------------------------------


@pytest.mark.parametrize(
    "unknown",
    [cap(limit=None), cap(limit=100, lower_bound=True), cap("families_per_period", limit=None)],
)
def test_a_cap_not_known_as_a_figure_admits_nothing(unknown: CapIn) -> None:
    terms = agreement(unknown)
    assert check(terms, [], D(2026, 3, 1)) == [
        f"{unknown.kind} cap is not known as a figure: nothing can be counted"
    ]


def test_an_unknown_present_at_once_cap_admits_no_arrival() -> None:
    terms = agreement(cap("present_at_once", limit=None))
    assert check(terms, [], D(2026, 3, 1), step="reserve") == []
    assert check(terms, [], D(2026, 3, 1), step="consume") == [
        "present_at_once cap is not known as a figure: nothing can be counted"
    ]
    assert held(terms, [], D(2026, 3, 1))[0].left is None


def test_no_caps_hold_nothing() -> None:
    assert held(agreement(), [row("a", "reserve", D(2026, 2, 1))], D(2026, 3, 1)) == []
