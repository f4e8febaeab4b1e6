"""The promise, finding by finding: each unlawful path an outside tester found (issue 13), from
its failing case, beside the lawful control that must still go through (DESIGN §4's four
invariants: protective facts are monotone, every move re-checks what can have changed, time
runs forward per item, every actor is who the account says)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from accord.agreements.service import change_status
from accord.cases.service import stored_people
from accord.clock import SetClock
from accord.db import unit_of_work
from accord.errors import Conflict, Forbidden, IllegalTransition, InvalidInput
from accord.monitoring.service import lift_suspension, report_incident
from accord.proposals.case_facts import assess, lift_fact, record_case_change
from accord.proposals.fear_claims import claim_fear, decide_fear, schedule_interview
from accord.proposals.movement import clear, confirm_arrival, schedule
from accord.proposals.notices import record_notice
from accord.proposals.pools import PoolFamily, create_pool
from accord.proposals.service import move
from accord.records.agreement import Status
from accord.store import Store
from accord.workflow.audience import Audience
from tests.proposals.support import (
    AGREEMENT,
    MONITOR,
    OFFICER,
    REVIEWER,
    START,
    SUPERVISOR,
    accept,
    import_records,
    ledger,
    load_agreement,
    propose,
    refused,
    run,
    serve,
    single,
    singles,
    state,
)
from tests.support import person


@pytest.fixture
def clock() -> SetClock:
    return SetClock.on(START)


def record_of(store: Store, case_id: str) -> Any:
    with unit_of_work(store.sessions) as session:
        return next(p for p in stored_people(session) if p.case_id == case_id)


def cleared(store: Store, clock: SetClock, family: str, *members: str) -> int:
    """A family proposed, accepted, every adult served, and cleared once the ten days to raise
    a fear (the day of service not counted) have ended."""
    [item] = propose(store, clock, [family])
    accept(store, clock, item)
    for case_id in members:
        serve(store, clock, item, case_id)
    clock.advance(days=11)
    run(store, clear, item, SUPERVISOR, clock, medical_confirmed=True)
    return item


def propose_refused(store: Store, clock: SetClock, family: str) -> str:
    return refused(
        lambda: run(
            store,
            create_pool,
            AGREEMENT,
            [PoolFamily(family)],
            OFFICER,
            clock,
            method="screening",
            pool_limit=75,
        )
    )


# --- 1. A re-import erased what the workflow recorded -----------------------------------------


def test_1_a_reimport_keeps_a_positive_fear_finding_and_the_family_is_never_proposed_again(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    singles(store, tmp_path, "A1")
    [item] = propose(store, clock, ["F-A1"])
    accept(store, clock, item)
    run(store, claim_fear, item, "A1", OFFICER, clock)
    run(store, schedule_interview, item, clock.now() + dt.timedelta(hours=72), OFFICER, clock)
    clock.advance(days=3)
    run(store, decide_fear, item, "positive", OFFICER, clock)
    assert state(store, item) == "blocked_protection"
    clock.advance(days=1)
    report = import_records(store, tmp_path, [single("A1")], clock=clock)  # the old case file
    assert [str(k) for k in report.kept] == [
        "A1: kept fear claim about Kosovo (XK), positive (a file never removes a protective fact)"
    ]
    assert [c.outcome for c in record_of(store, "A1").fear_claims] == ["positive"]
    assert "A1: S5 fear claim about Kosovo (XK) upheld" in propose_refused(store, clock, "F-A1")


def test_1_a_reimport_keeps_a_court_stay_and_the_stay_ends_only_by_a_supervisors_act(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    singles(store, tmp_path, "A1")
    run(store, record_case_change, "A1", "stay", OFFICER, clock)
    report = import_records(store, tmp_path, [single("A1")], clock=clock)
    assert [k.fact for k in report.kept] == ["court stay of removal"]
    assert "A1: S3 court stay of removal" in propose_refused(store, clock, "F-A1")
    with pytest.raises(Forbidden, match="a supervisor may"):
        run(store, lift_fact, "A1", "stay", "the order was set aside", OFFICER, clock)
    with pytest.raises(Conflict, match="needs a reason"):
        run(store, lift_fact, "A1", "stay", "", SUPERVISOR, clock)
    run(store, lift_fact, "A1", "stay", "the court set the stay aside on appeal", SUPERVISOR, clock)
    assert propose(store, clock, ["F-A1"])  # the control: lifted by its act, it may go


@pytest.mark.parametrize(
    ("stored", "dropped", "fact"),
    [
        (
            {"protection": [{"type": "refugee", "status": "pending", "against": "VE"}]},
            {},
            "refugee protection pending against Venezuela (VE)",
        ),
        ({"appeal_pending": True}, {}, "pending appeal"),
        ({"vulnerabilities": ["torture_survivor"]}, {}, "vulnerability torture survivor"),
        ({"age_disputed": True}, {}, "age dispute"),
        ({"medical_fit": False}, {}, "unfitness to travel"),
        ({"sender_status": "lpr"}, {"sender_status": "none"}, "the sender's status lpr"),
        (
            {"counsel": {"name": "Lee Counsel"}},
            {},
            "counsel (to be served with any notice)",
        ),
    ],
)
def test_1_no_file_removes_a_protective_fact(
    store: Store,
    tmp_path: Path,
    clock: SetClock,
    stored: dict[str, Any],
    dropped: dict[str, Any],
    fact: str,
) -> None:
    load_agreement(store)
    import_records(store, tmp_path, [{**single("A1"), **stored}], clock=clock)
    clock.advance(hours=1)
    report = import_records(store, tmp_path, [{**single("A1"), **dropped}], clock=clock)
    assert [k.fact for k in report.kept] == [fact]
    assert report.updated == 0 and report.unchanged == 1  # nothing else changed


def test_1_a_birth_date_moved_earlier_is_an_age_dispute_until_resolved(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    load_agreement(store)
    parent = person("P1", "F-P", medical_fit=True)
    child = person("C1", "F-P", relationship="child", birth_date="2012-05-01", medical_fit=True)
    import_records(store, tmp_path, [parent, child], clock=clock)
    older = {**child, "birth_date": "2006-05-01", "relationship": "head"}
    clock.advance(hours=1)
    report = import_records(
        store, tmp_path, [{**parent, "relationship": "spouse"}, older], clock=clock
    )
    assert [k.fact for k in report.kept] == [
        "an age dispute: the birth date moved earlier, from 2012-05-01 to 2006-05-01, until a"
        " supervisor resolves it"
    ]
    assert record_of(store, "C1").age_disputed


def test_1_an_import_that_blocks_an_open_family_cancels_its_item_and_says_why(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    singles(store, tmp_path, "A1")
    [item] = propose(store, clock, ["F-A1"])
    accept(store, clock, item)
    stay = single("A1", stay_of_removal=True)
    report = import_records(store, tmp_path, [stay], clock=clock)
    assert report.rechecked == [
        f"item {item} (family F-A1) cancelled: screening: A1: S3 court stay of removal"
    ]
    assert state(store, item) == "cancelled"
    assert ledger(store) == [(item, "reserve", 1), (item, "release", 1)]


def test_1_an_import_that_makes_an_open_family_unfit_holds_it(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    singles(store, tmp_path, "A1")
    [item] = propose(store, clock, ["F-A1"])
    accept(store, clock, item)
    report = import_records(store, tmp_path, [person("A1", "F-A1", medical_fit=False)], clock=clock)
    assert report.rechecked == [
        f"item {item} (family F-A1) held: S10: medical fitness to travel not confirmed for A1"
    ]
    assert state(store, item) == "accepted"


# --- 2. An S8 assessment typed into a file -----------------------------------------------------

ASSESSED = {
    "vulnerabilities": ["elderly"],
    "assessments": [
        {"rule": "S8", "by": "anyone at all", "date": "2026-01-02", "reason": "typed in a file"}
    ],
}


def test_2_an_officers_file_cannot_lift_s8_and_writes_nothing(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    load_agreement(store)
    with pytest.raises(InvalidInput, match="can only be imported by a supervisor") as info:
        import_records(store, tmp_path, [single("A1", **ASSESSED)], actor=OFFICER, clock=clock)
    assert (
        "people-" in info.value.problems[0].place and "assessments" in info.value.problems[0].place
    )
    with unit_of_work(store.sessions) as session:
        assert stored_people(session) == []


def test_2_a_supervisor_answers_for_an_imported_or_recorded_assessment(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    load_agreement(store)
    import_records(store, tmp_path, [single("A1", **ASSESSED)], actor=SUPERVISOR, clock=clock)
    import_records(store, tmp_path, [single("B1", vulnerabilities=["elderly"])], clock=clock)
    assert "B1: S8 vulnerable (elderly)" in propose_refused(store, clock, "F-B1")
    with pytest.raises(Forbidden, match="a supervisor may"):
        run(store, assess, "B1", "S8", "assessed fit for the journey", OFFICER, clock)
    run(store, assess, "B1", "S8", "seen in person; fit for the journey", SUPERVISOR, clock)
    assert record_of(store, "B1").assessments[0].by == "sam"
    assert propose(store, clock, ["F-A1", "F-B1"])


# --- 3. Fitness checked once -------------------------------------------------------------------


def test_3_a_person_found_unfit_after_clearance_is_neither_scheduled_nor_transferred(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    singles(store, tmp_path, "A1", "B1")
    unfit_later, control = cleared(store, clock, "F-A1", "A1"), cleared(store, clock, "F-B1", "B1")
    run(store, schedule, control, clock.now().date() + dt.timedelta(days=1), OFFICER, clock)
    run(store, schedule, unfit_later, clock.now().date() + dt.timedelta(days=1), OFFICER, clock)
    import_records(store, tmp_path, [person("A1", "F-A1", medical_fit=False)], clock=clock)
    clock.advance(days=1)
    detail = refused(lambda: run(store, confirm_arrival, unfit_later, REVIEWER, clock))
    assert "held by the sender" in detail  # the receiver is not told why
    run(store, confirm_arrival, control, REVIEWER, clock)
    assert (state(store, unfit_later), state(store, control)) == ("scheduled", "transferred")


def test_3_schedule_refuses_a_member_unfit_since_clearance(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    singles(store, tmp_path, "A1")
    item = cleared(store, clock, "F-A1", "A1")
    import_records(store, tmp_path, [person("A1", "F-A1", medical_fit=False)], clock=clock)
    detail = refused(lambda: run(store, schedule, item, clock.now().date(), OFFICER, clock))
    assert "S10: medical fitness to travel not confirmed for A1" in detail


# --- 4. A family compared by its count ---------------------------------------------------------


def test_4_children_swapped_between_families_of_the_same_size_stop_both(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    load_agreement(store)
    kid = {"relationship": "child", "birth_date": "2016-03-01", "medical_fit": True}
    families = [
        person("X1", "F-X", medical_fit=True),
        person("XC", "F-X", **kid),
        person("Y1", "F-Y", medical_fit=True),
        person("YC", "F-Y", **kid),
    ]
    import_records(store, tmp_path, families, clock=clock)
    x, y = propose(store, clock, ["F-X", "F-Y"])
    accept(store, clock, x)
    swapped = [person("XC", "F-Y", **kid), person("YC", "F-X", **kid)]
    report = import_records(store, tmp_path, swapped, clock=clock)
    assert report.rechecked == [
        f"item {x} (family F-X) cancelled: S9: XC proposed but no longer in the family; YC in"
        " the family but never proposed; a family moves as the people proposed, whole, or not"
        " at all",
        f"item {y} (family F-Y) cancelled: S9: YC proposed but no longer in the family; XC in"
        " the family but never proposed; a family moves as the people proposed, whole, or not"
        " at all",
    ]
    assert (state(store, x), state(store, y)) == ("cancelled", "cancelled")


# --- 5. A suspension lifted by a status change -------------------------------------------------


def test_5_a_suspension_ends_only_when_a_supervisor_lifts_it(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    singles(store, tmp_path, "A1")
    [item] = propose(store, clock, ["F-A1"])
    run(
        store,
        report_incident,
        AGREEMENT,
        "ill_treatment",
        "reported by counsel",
        MONITOR,
        clock,
        audience=Audience.SHARED,
    )
    with pytest.raises(Conflict, match="does not end a suspension"):
        run(
            store,
            change_status,
            AGREEMENT,
            Status.IN_FORCE,
            date=clock.now().date(),
            actor="sam",
            role="supervisor",
            source_key="x",
            new_source=None,
            note="back in force as planned",
        )
    with pytest.raises(Forbidden, match="may not change an agreement's status"):
        run(
            store,
            change_status,
            AGREEMENT,
            Status.IN_FORCE,
            date=clock.now().date(),
            actor="olga",
            role=None,
            source_key="x",
            note="back in force as planned",
        )
    assert "S12: suspended by incident" in refused(lambda: accept(store, clock, item))
    run(
        store,
        lift_suspension,
        AGREEMENT,
        "the monitor's visit found it remedied",
        SUPERVISOR,
        clock,
    )
    assert accept(store, clock, item).to_state == "accepted"


# --- 6. Chain refoulement through a fear finding -----------------------------------------------


def test_6_a_fear_of_home_upheld_stops_a_transfer_to_a_receiver_that_returns_people_home(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    load_agreement(store)  # onward_return: true
    feared = {
        "country": "HN",
        "asserted": "2025-09-01",
        "outcome": "positive",
        "decided": "2025-10-01",
    }
    import_records(
        store,
        tmp_path,
        [
            single("H1", nationalities=["HN"], fear_claims=[feared]),
            single("H2", nationalities=["HN"]),
        ],
        clock=clock,
    )
    assert "H1: S5 fear claim about Honduras (HN) upheld on 2025-10-01" in propose_refused(
        store, clock, "F-H1"
    )
    assert propose(store, clock, ["F-H2"])


# --- 7. Time running backwards -----------------------------------------------------------------


def test_7_no_move_or_record_is_dated_before_the_items_last(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    singles(store, tmp_path, "A1")
    [item] = propose(store, clock, ["F-A1"])
    clock.advance(days=2)
    accept(store, clock, item)
    earlier = SetClock.on(START + dt.timedelta(days=1))
    with pytest.raises(Conflict, match="time runs forward"):
        run(store, record_notice, item, "A1", "person", "es", True, OFFICER, earlier)
    with pytest.raises(Conflict, match="time runs forward"):
        run(store, claim_fear, item, "A1", OFFICER, earlier)
    run(store, claim_fear, item, "A1", OFFICER, clock)
    with pytest.raises(Conflict, match="time runs forward"):  # an interview before its claim
        run(
            store,
            schedule_interview,
            item,
            earlier.now() + dt.timedelta(hours=80),
            OFFICER,
            SetClock(clock.now() - dt.timedelta(minutes=1)),
        )


def test_7_a_notice_served_before_acceptance_is_not_service(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    from accord.workflow.guards import Notice, last_service

    member = record_of_after_import(store, tmp_path, clock)
    before = Notice("A1", "person", START - dt.timedelta(days=1), "es", "served")
    assert (
        last_service([member], [before], START + dt.timedelta(days=20), accepted_on=START) is None
    )
    after = Notice("A1", "person", START, "es", "served")
    assert last_service([member], [after], START, accepted_on=START) == START


def record_of_after_import(store: Store, tmp_path: Path, clock: SetClock) -> Any:
    singles(store, tmp_path, "A1")
    return record_of(store, "A1")


def test_7_a_move_dated_before_the_facts_it_stands_on_is_refused(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    singles(store, tmp_path, "A1")
    [item] = propose(store, clock, ["F-A1"])
    later = SetClock(clock.now() + dt.timedelta(days=3))
    import_records(store, tmp_path, [single("A1", languages=["es", "en"])], clock=later)
    # The receiver is told the rule, never when the sender's records changed.
    detail = refused(lambda: accept(store, clock, item), Conflict)
    assert "time runs forward" in detail and "records" not in detail
    assert f"{later.now():%Y-%m-%d}" not in detail
    # The sender's side is told what came later, and when.
    with pytest.raises(Conflict, match=r"records changed at .* before they existed"):
        run(store, move, item, "cancel", OFFICER, clock, reason_text="withdrawn")
    assert accept(store, later, item).to_state == "accepted"


def test_7_a_pool_dated_before_a_familys_records_changed_is_refused(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    """Found by the adversarial simulation: with the clock set back, a pool was proposed at a
    moment before a supervisor's assessment of a member, which the pool's screening read."""
    singles(store, tmp_path, "A1")
    later = SetClock(clock.now() + dt.timedelta(days=2))
    run(store, assess, "A1", "S8", "seen in person; fit for the journey", SUPERVISOR, later)
    detail = propose_refused(store, clock, "F-A1")
    assert "F-A1: its records changed at 2026-01-14 09:00 UTC" in detail
    assert "time runs forward" in detail
    assert propose(store, later, ["F-A1"])


# --- Also seen: a schedule past the term, a refusal that names who is missing ------------------


def test_a_transfer_is_never_scheduled_after_the_agreements_term(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    singles(store, tmp_path, "A1")
    item = cleared(store, clock, "F-A1", "A1")
    detail = refused(lambda: run(store, schedule, item, dt.date(2027, 1, 1), OFFICER, clock))
    assert detail == (
        f"cannot schedule item {item} for 2027-01-01: S12: the agreement's term ends on 2026-12-31"
    )
    assert run(store, schedule, item, dt.date(2026, 12, 31), OFFICER, clock).to_state == "scheduled"


def test_clearing_an_item_still_accepted_names_who_is_not_yet_served(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    load_agreement(store)
    import_records(store, tmp_path, [single("A3", counsel={"name": "Lee Counsel"})], clock=clock)
    [item] = propose(store, clock, ["F-A3"])
    accept(store, clock, item)
    serve(store, clock, item, "A3")
    clock.advance(days=11)
    with pytest.raises(IllegalTransition, match=r"not yet validly served: A3 \(counsel\)"):
        run(store, clear, item, SUPERVISOR, clock, medical_confirmed=True)


def test_a_second_rejection_with_another_reason_is_refused_not_dropped(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    """Issue 14, finding 6: rejecting again with another reason answered `repeated` and
    silently dropped the second reason. The same request again is still a harmless retry."""

    singles(store, tmp_path, "A1")
    [item] = propose(store, clock, ["F-A1"])
    first = {"reason_code": "criteria", "reason_text": "no valid travel document"}
    assert run(store, move, item, "reject", REVIEWER, clock, **first).to_state == "rejected"
    assert run(store, move, item, "reject", REVIEWER, clock, **first).repeated
    with pytest.raises(IllegalTransition, match="a decision is not changed by making it again"):
        run(
            store,
            move,
            item,
            "reject",
            REVIEWER,
            clock,
            reason_code="public_order",
            reason_text="another reason",
        )
