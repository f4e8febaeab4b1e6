"""The quota ledger's arithmetic (S13): which period a reservation counts in, and what is left.

Every reservation (on acceptance), consumption (on arrival), release (on cancellation,
revocation or a positive fear claim) and departure (an onward move out of the receiver) is a
ledger row. A reservation counts against the period cap of the day it was made, until it is
released; consuming it turns the place from reserved into used in the same period, so
"reserved + consumed" for a period is the reservations made in it minus those released.
A present-at-once cap counts the people who have arrived and not left.

Periods follow the cap's anchor: `term_start` (periods of the cap's length from the term's
start), `calendar` (from 1 January) or `rolling` (the period's length back from the day). A cap
with no period holds over the whole term.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from dateutil.relativedelta import relativedelta

from accord.records.agreement import AgreementIn, CapIn

LedgerKind = Literal["reserve", "release", "consume", "depart"]


@dataclass(frozen=True, slots=True)
class LedgerRow:
    item_id: str
    kind: LedgerKind
    persons: int
    families: int
    day: dt.date
    reserved_on: dt.date
    """The day of the item's reservation: its period, for every row of that item."""


def period_length(period: str) -> relativedelta:
    """An ISO 8601 duration in years, months, weeks and days (e.g. P1Y, P6M, P2W)."""
    match = re.fullmatch(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?", period)
    if not match or not any(match.groups()):
        raise ValueError(f"not an ISO 8601 period in years, months, weeks or days: {period!r}")
    years, months, weeks, days = (int(g or 0) for g in match.groups())
    return relativedelta(years=years, months=months, days=7 * weeks + days)


def period_bounds(cap: CapIn, term_start: dt.date | None, day: dt.date) -> tuple[dt.date, dt.date]:
    """The half-open period [start, end) of a per-period cap that holds `day`."""
    if cap.period is None:  # no period: the limit holds over the whole term (docs/formats.md)
        return dt.date.min, dt.date.max
    length = period_length(cap.period)
    if cap.anchor == "rolling":
        return day - length + dt.timedelta(days=1), day + dt.timedelta(days=1)
    anchor = dt.date(day.year, 1, 1) if cap.anchor == "calendar" else term_start
    if anchor is None:
        anchor = dt.date(day.year, 1, 1)
    if day < anchor:
        return day, day + dt.timedelta(days=1)  # before the term: a period of its own
    start, count = anchor, 0
    while anchor + length * (count + 1) <= day:
        count += 1
    start = anchor + length * count
    return start, anchor + length * (count + 1)


@dataclass(frozen=True, slots=True)
class Held:
    """What a cap already holds on a day."""

    cap: CapIn
    held: int
    period: tuple[dt.date, dt.date] | None
    """The period counted, for per-period caps."""

    @property
    def left(self) -> int | None:
        return None if self.cap.limit is None else max(0, self.cap.limit - self.held)


def _net_reserved(rows: Iterable[LedgerRow]) -> dict[str, tuple[int, int, dt.date]]:
    """Per item: persons and families reserved and not released, and the reservation day."""
    net: dict[str, tuple[int, int, dt.date]] = {}
    for row in rows:
        persons, families, _ = net.get(row.item_id, (0, 0, row.reserved_on))
        if row.kind == "reserve":
            net[row.item_id] = (persons + row.persons, families + row.families, row.reserved_on)
        elif row.kind == "release":
            net[row.item_id] = (persons - row.persons, families - row.families, row.reserved_on)
    return net


def present(rows: Iterable[LedgerRow]) -> int:
    """People who arrived under the agreement and have not left."""
    total = 0
    for row in rows:
        if row.kind == "consume":
            total += row.persons
        elif row.kind == "depart":
            total -= row.persons
    return total


def held(agreement: AgreementIn, rows: Sequence[LedgerRow], day: dt.date) -> list[Held]:
    """Each cap with a figure, and what it holds on `day`."""
    term_start = agreement.term.start if agreement.term else None
    net = _net_reserved(rows)
    result = []
    for cap in agreement.caps:
        if cap.kind == "present_at_once":
            result.append(Held(cap, present(rows), None))
            continue
        start, end = period_bounds(cap, term_start, day)
        families = cap.kind == "families_per_period"
        count = sum(
            (held_families if families else held_persons)
            for held_persons, held_families, reserved_on in net.values()
            if start <= reserved_on < end
        )
        result.append(Held(cap, count, (start, end)))
    return result


def _cap_name(cap: CapIn) -> str:
    if cap.kind == "present_at_once":
        return f"present-at-once cap of {cap.limit}"
    noun = "families" if cap.kind == "families_per_period" else "people"
    return f"cap of {cap.limit} {noun} " + (f"per {cap.period}" if cap.period else "over the term")


def over_cap(
    agreement: AgreementIn,
    rows: Sequence[LedgerRow],
    day: dt.date,
    *,
    persons: int,
    families: int,
    step: Literal["reserve", "consume"],
) -> list[str]:
    """Why adding this family would break a cap (empty when it fits).

    Reservations are held against the per-period caps; arrivals against the present-at-once
    cap. A cap reported only as a lower bound or with no figure cannot be checked, so it does
    not admit anything: no place can be reserved against it.
    """
    reasons = []
    for h in held(agreement, rows, day):
        cap = h.cap
        relevant = (cap.kind == "present_at_once") == (step == "consume")
        if not relevant:
            continue
        if cap.limit is None or cap.lower_bound:
            reasons.append(f"{cap.kind} cap is not known as a figure: nothing can be counted")
            continue
        adding = families if cap.kind == "families_per_period" else persons
        if h.held + adding > cap.limit:
            where = (
                f" in {h.period[0]} to {h.period[1] - dt.timedelta(days=1)}"
                if h.period and cap.period
                else ""
            )
            reasons.append(f"{_cap_name(cap)} holds {h.held}{where}; {adding} more would exceed it")
    return reasons


def overrun(agreement: AgreementIn, rows: Sequence[LedgerRow], reserved_on: dt.date) -> list[str]:
    """Per-period caps that the period of a reservation made on `reserved_on` holds more than:
    a reservation already counted must still fit when its item moves on (a cap may have been
    lowered since), or the move would carry the ledger past its cap."""
    reasons = []
    for h in held(agreement, rows, reserved_on):
        cap = h.cap
        if cap.kind == "present_at_once" or cap.limit is None or cap.lower_bound:
            continue
        if h.held > cap.limit:
            reasons.append(f"{_cap_name(cap)} holds {h.held}, over its limit, in this period")
    return reasons
