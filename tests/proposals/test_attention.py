"""The dashboard's list of what needs attention this week, for each role, and its cost."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from accord.agreements.service import stored_agreement
from accord.clock import SetClock
from accord.db import unit_of_work
from accord.monitoring.service import record_check_in
from accord.proposals.attention import Attention, attention
from accord.proposals.movement import clear, confirm_arrival, schedule
from accord.proposals.notices import record_notice
from accord.proposals.service import move
from accord.store import Store
from accord.workflow.audience import Audience
from accord.workflow.transitions import Role
from tests.proposals.support import (
    AGREEMENT,
    MONITOR,
    OFFICER,
    REVIEWER,
    START,
    SUPERVISOR,
    import_records,
    load_agreement,
    propose,
    run,
    single,
)


@pytest.fixture
def clock() -> SetClock:
    return SetClock.on(START)


def listed(store: Store, role: Role, day: dt.date) -> list[Attention]:
    with unit_of_work(store.sessions) as session:
        return attention(session, stored_agreement(session, AGREEMENT), role, day)


def queries(store: Store, role: Role, day: dt.date) -> int:
    counted = 0

    def count(*_: Any) -> None:
        nonlocal counted
        counted += 1

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        listed(store, role, day)
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    return counted


def world(store: Store, tmp_path: Path, clock: SetClock, families: int) -> dict[str, int]:
    """A1 waits for review; A2 was served today (its notice period ends in 10 days); A3 has
    arrived the day after its notice period ended, its 30-day check-in not yet recorded; the
    rest accepted and not yet served."""
    load_agreement(store)
    cases = [f"A{n}" for n in range(1, families + 1)]
    import_records(store, tmp_path, [single(c) for c in cases])
    items = dict(zip(cases, propose(store, clock, [f"F-{c}" for c in cases]), strict=True))
    for case in cases[1:]:
        run(store, move, items[case], "accept", REVIEWER, clock)
    for case in ("A2", "A3"):
        run(store, record_notice, items[case], case, "person", "es", True, OFFICER, clock)
    clock.advance(days=11)
    run(store, clear, items["A3"], SUPERVISOR, clock, medical_confirmed=True)
    run(store, schedule, items["A3"], clock.now().date(), OFFICER, clock)
    run(store, confirm_arrival, items["A3"], REVIEWER, clock)
    return items


def test_each_role_reads_what_falls_due_this_week(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    items = world(store, tmp_path, clock, 4)
    arrived = clock.now().date()  # 2026-01-23, the day after A2's notice period ends
    day = arrived + dt.timedelta(days=25)  # the 30-day check-in falls due in five days
    assert [(a.kind, a.link) for a in listed(store, "officer", day)] == [
        ("review", "/pools/1"),
        ("check_in", f"/items/{items['A3']}"),
    ]
    check_in = listed(store, "monitor", day)
    assert [a.text for a in check_in] == [
        f"30-day check-in of family F-A3 due {arrived + dt.timedelta(days=30)}"
    ]

    served_on = START
    ends = served_on + dt.timedelta(days=10)
    notices = [
        a for a in listed(store, "officer", ends - dt.timedelta(days=3)) if a.kind == "notice"
    ]
    assert [(a.day, a.link) for a in notices] == [(ends, f"/items/{items['A2']}")]
    assert not [
        a for a in listed(store, "reviewer", ends - dt.timedelta(days=3)) if a.kind == "notice"
    ]

    late = listed(store, "reviewer", arrived + dt.timedelta(days=31))
    assert [a.text for a in late if a.kind == "check_in"] == [
        f"30-day check-in of family F-A3 due {arrived + dt.timedelta(days=30)} (overdue)"
    ]
    clock.advance(days=30)
    run(
        store,
        record_check_in,
        items["A3"],
        30,
        "seen, well",
        MONITOR,
        clock,
        audience=Audience.SHARED,
    )
    assert not [
        a
        for a in listed(store, "reviewer", arrived + dt.timedelta(days=31))
        if a.kind == "check_in"
    ]


def test_the_list_costs_the_same_queries_for_a_large_agreement(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    world(store, tmp_path, clock, 4)
    day = clock.now().date()
    small = {role: queries(store, role, day) for role in ("officer", "reviewer", "monitor")}
    more = [single(f"B{n}") for n in range(1, 41)]
    import_records(store, tmp_path, more)
    for item in propose(store, clock, [f"F-B{n}" for n in range(1, 41)]):
        run(store, move, item, "accept", REVIEWER, clock)
    assert {role: queries(store, role, day) for role in small} == small
