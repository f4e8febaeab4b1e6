"""The workflow on the store, on SQLite and PostgreSQL: one family's whole way, and each guard
from the failing case, with its ledger rows, item events and audit chain (DESIGN §3, §4)."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import select

from accord.access import Actor
from accord.agreements import repository as agreements
from accord.audit.repository import iter_links
from accord.audit.service import verify
from accord.cases.reader import read_people
from accord.cases.service import import_people, stored_people
from accord.clock import SetClock
from accord.db import unit_of_work
from accord.errors import Conflict, Forbidden, IllegalTransition
from accord.models import NoticeRecord
from accord.monitoring.service import lift_suspension, record_check_in, report_incident
from accord.proposals import render, repository
from accord.proposals.case_facts import record_case_change
from accord.proposals.fear_claims import claim_fear, decide_fear, schedule_interview
from accord.proposals.movement import clear, confirm_arrival, record_onward, schedule
from accord.proposals.notices import record_notice
from accord.proposals.pools import PoolFamily, create_pool
from accord.proposals.service import move
from accord.proposals.views import item_view
from accord.records.agreement import CapIn, SelectionIn
from accord.store import Store
from accord.workflow.audience import Audience
from tests.proposals.support import (
    AGREEMENT,
    MONITOR,
    OFFICER,
    OTHER_REVIEWER,
    REVIEWER,
    START,
    SUPERVISOR,
    accept,
    actions,
    import_records,
    ledger,
    load_agreement,
    notified,
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


# --- The whole way -----------------------------------------------------------------------------


def test_one_family_from_proposal_to_closing(store: Store, tmp_path: Path, clock: SetClock) -> None:
    """A mother and her child: proposed, accepted, served, cleared once the ten days to raise a
    fear (the day of service not counted) have ended, moved, and
    followed up for 180 days; each step an event, a ledger row where places change, and an
    audit entry in one unbroken chain."""
    load_agreement(store)
    import_records(
        store,
        tmp_path,
        [
            person("M1", "F-M", medical_fit=True),
            person("C1", "F-M", relationship="child", birth_date="2016-03-01", medical_fit=True),
        ],
    )
    [item] = propose(store, clock, ["F-M"])
    assert state(store, item) == "proposed"
    assert ledger(store) == []

    assert accept(store, clock, item).to_state == "accepted"
    assert ledger(store) == [(item, "reserve", 2)]

    served = serve(store, clock, item, "M1")  # the child needs no personal service
    assert served.outcome == "served"
    assert served.moved is not None
    assert served.moved.to_state == "notified"

    clock.advance(days=10)  # the tenth day after service is still the person's to raise a fear
    detail = refused(lambda: run(store, clear, item, SUPERVISOR, clock, medical_confirmed=True))
    assert (
        "S6: notice served on 2026-01-12: the days to raise a fear run to the end of 2026-01-22"
        in detail
    )
    clock.advance(days=1)
    assert run(store, clear, item, SUPERVISOR, clock, medical_confirmed=True).to_state == "cleared"

    transfer_day = dt.date(2026, 1, 26)
    assert run(store, schedule, item, transfer_day, OFFICER, clock).to_state == "scheduled"
    detail = refused(lambda: run(store, confirm_arrival, item, REVIEWER, clock))
    assert "schedule_day: the transfer is scheduled for 2026-01-26" in detail
    clock.advance(days=3)
    assert run(store, confirm_arrival, item, REVIEWER, clock).to_state == "transferred"
    assert ledger(store) == [(item, "reserve", 2), (item, "consume", 2)]

    moved = run(store, record_onward, item, "remained", REVIEWER, clock, detail="temporary stay")
    assert moved.to_state == "remained"
    assert ledger(store) == [(item, "reserve", 2), (item, "consume", 2)]  # still present

    detail = refused(lambda: run(store, move, item, "close", OFFICER, clock))
    assert "check_ins: check-ins not recorded: 30 days, 90 days, 180 days" in detail
    detail = refused(
        lambda: run(
            store, record_check_in, item, 30, "ok", MONITOR, clock, audience=Audience.SHARED
        ),
        Conflict,
    )
    assert "falls due on 2026-02-25" in detail
    for days, step in ((30, 30), (90, 60), (180, 90)):
        clock.advance(days=step)
        done = run(
            store,
            record_check_in,
            item,
            days,
            "seen, well",
            MONITOR,
            clock,
            audience=Audience.SHARED,
        )
        assert done.done_on == START + dt.timedelta(days=14 + days)
    assert run(store, move, item, "close", OFFICER, clock).to_state == "closed"

    assert actions(store, item) == [
        "propose",
        "accept",
        "notify",
        "clear",
        "schedule",
        "transfer",
        "onward_remained",
        "close",
    ]
    with unit_of_work(store.sessions) as session:
        events = repository.events(session, item)
        for before, after in itertools.pairwise(events):
            assert after.from_state == before.to_state
        clearance = events[3]
        assert (clearance.actor, clearance.role, clearance.day) == (
            "sam",
            "supervisor",
            START + dt.timedelta(days=11),
        )
        legs = [
            (m.leg, m.scheduled_for, m.happened_on, m.outcome)
            for m in repository.movements(session, item)
        ]
        assert legs == [
            ("transfer", transfer_day, transfer_day, None),
            ("onward", None, transfer_day, "remained"),
        ]
        logged = [
            link.action for link in iter_links(session) if link.entity_type == "proposal_item"
        ]
        assert logged == [
            "item.accept",
            "notice.recorded",
            "item.notify",
            "item.clear",
            "item.schedule",
            "item.transfer",
            "item.onward_remained",
            "checkin.recorded",
            "checkin.recorded",
            "checkin.recorded",
            "item.close",
        ]
        check = verify(session)
        assert check.ok, check.broken
        assert check.events > len(logged)
        item_row = repository.get_item(session, item)
        assert item_row is not None
        assert item_row.open_family is None  # the family is no longer in an open item


# --- S12 and S15: a suspended agreement --------------------------------------------------------


def test_an_incident_of_onward_removal_suspends_acceptance_until_a_supervisor_lifts_it(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    singles(store, tmp_path, "A1")
    [item] = propose(store, clock, ["F-A1"])
    incident = run(
        store,
        report_incident,
        AGREEMENT,
        "onward_removal",
        "removed to VE",
        MONITOR,
        clock,
        audience=Audience.SHARED,
    )
    assert incident.suspends

    detail = refused(lambda: accept(store, clock, item))
    assert "S12: the agreement is suspended, not in force" in detail
    assert state(store, item) == "proposed"
    assert ledger(store) == []

    refused(
        lambda: run(store, lift_suspension, AGREEMENT, "reviewed and resolved", OFFICER, clock),
        Forbidden,
    )
    refused(lambda: run(store, lift_suspension, AGREEMENT, "ok", SUPERVISOR, clock), Conflict)
    run(
        store, lift_suspension, AGREEMENT, "monitor confirmed the person is safe", SUPERVISOR, clock
    )
    with unit_of_work(store.sessions) as session:
        stored = agreements.get_agreement(session, AGREEMENT)
        assert stored is not None
        assert stored.status == "in_force"
        [lifted] = repository.incidents(session, AGREEMENT)
        assert (lifted.lifted_by, lifted.lifted_on) == ("sam", START)
    assert accept(store, clock, item).to_state == "accepted"


def test_an_incident_that_is_not_removal_or_ill_treatment_does_not_suspend(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    singles(store, tmp_path, "A1")
    [item] = propose(store, clock, ["F-A1"])
    assert not run(
        store,
        report_incident,
        AGREEMENT,
        "other",
        "late paperwork",
        MONITOR,
        clock,
        audience=Audience.SHARED,
    ).suspends
    assert accept(store, clock, item).to_state == "accepted"


def test_a_suspended_agreement_takes_no_new_pool(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    singles(store, tmp_path, "A1")
    run(
        store,
        report_incident,
        AGREEMENT,
        "ill_treatment",
        "beaten in detention",
        MONITOR,
        clock,
        audience=Audience.SHARED,
    )
    detail = refused(lambda: propose(store, clock, ["F-A1"]))
    assert "S12: the agreement is suspended, not in force" in detail


# --- S13: the cap ------------------------------------------------------------------------------


def test_acceptance_over_the_cap_is_refused_until_a_place_is_released(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    one = CapIn(kind="persons_per_period", limit=1, period="P1Y", anchor="term_start")
    singles(store, tmp_path, "A1", "A2", caps=[one])
    first, second = propose(store, clock, ["F-A1", "F-A2"])
    accept(store, clock, first)
    detail = refused(lambda: accept(store, clock, second))
    assert "S13: cap of 1 people per P1Y holds 1 in 2026-01-01 to 2026-12-31" in detail
    assert state(store, second) == "proposed"
    assert ledger(store) == [(first, "reserve", 1)]

    run(
        store,
        move,
        first,
        "revoke",
        REVIEWER,
        clock,
        reason_code="public_order",
        reason_text="new facts",
    )
    assert ledger(store) == [(first, "reserve", 1), (first, "release", 1)]
    assert accept(store, clock, second).to_state == "accepted"


def test_arrival_over_the_present_at_once_cap_waits_for_a_departure(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    caps = [
        CapIn(kind="persons_per_period", limit=50, period="P1Y", anchor="term_start"),
        CapIn(kind="present_at_once", limit=1),
    ]
    singles(store, tmp_path, "A1", "A2", caps=caps)
    items = propose(store, clock, ["F-A1", "F-A2"])
    for item, case_id in zip(items, ("A1", "A2"), strict=True):
        accept(store, clock, item)
        serve(store, clock, item, case_id)
    clock.advance(days=11)
    for item in items:
        run(store, clear, item, SUPERVISOR, clock, medical_confirmed=True)
        run(store, schedule, item, clock.now().date(), OFFICER, clock)
    first, second = items
    run(store, confirm_arrival, first, REVIEWER, clock)
    detail = refused(lambda: run(store, confirm_arrival, second, REVIEWER, clock))
    assert "S13: present-at-once cap of 1 holds 1; 1 more would exceed it" in detail
    run(store, record_onward, first, "returned_home", REVIEWER, clock)
    assert run(store, confirm_arrival, second, REVIEWER, clock).to_state == "transferred"
    kinds = [(i, k) for i, k, _ in ledger(store)]
    assert kinds == [
        (first, "reserve"),
        (second, "reserve"),
        (first, "consume"),
        (first, "depart"),
        (second, "consume"),
    ]


# --- Reasons and who may move ------------------------------------------------------------------


def test_a_rejection_needs_a_known_reason_code_and_a_text(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    singles(store, tmp_path, "A1")
    [item] = propose(store, clock, ["F-A1"])
    detail = refused(lambda: run(store, move, item, "reject", REVIEWER, clock))
    assert "reason: a reason code and a reason text are required" in detail
    detail = refused(
        lambda: run(
            store, move, item, "reject", REVIEWER, clock, reason_code="dislike", reason_text="no"
        )
    )
    assert "reason: unknown code 'dislike'" in detail
    assert state(store, item) == "proposed"
    moved = run(
        store, move, item, "reject", REVIEWER, clock, reason_code="criteria", reason_text="rule 2"
    )
    assert moved.to_state == "rejected"
    assert ledger(store) == []  # nothing was reserved, nothing to release
    with unit_of_work(store.sessions) as session:
        rejection = repository.events(session, item)[-1]
        assert (rejection.reason_code, rejection.reason_text) == ("criteria", "rule 2")


def test_a_rejection_without_reason_where_the_agreement_does_not_require_one(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    lax = SelectionIn(mode="pool", pool_factor=Decimal("1.5"), reason_required=False)
    singles(store, tmp_path, "A1", selection=lax)
    [item] = propose(store, clock, ["F-A1"])
    assert run(store, move, item, "reject", REVIEWER, clock).to_state == "rejected"


@pytest.mark.parametrize(
    ("actor", "words"),
    [
        (OTHER_REVIEWER, "ruth reviews for AL, not for XK"),
        (OFFICER, "olga (officer) may not accept; only reviewer may"),
        (MONITOR, "mona (monitor) may not accept"),
    ],
)
def test_only_the_receivers_reviewer_may_accept(
    store: Store, tmp_path: Path, clock: SetClock, actor: Actor, words: str
) -> None:
    singles(store, tmp_path, "A1")
    [item] = propose(store, clock, ["F-A1"])
    assert words in refused(lambda: accept(store, clock, item, actor), Forbidden)
    assert state(store, item) == "proposed"
    assert ledger(store) == []


def test_a_reviewer_of_another_party_is_forbidden_even_on_an_accepted_item(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    """A retry short-cut must not let someone who may not make the move see it 'succeed'."""
    singles(store, tmp_path, "A1")
    [item] = propose(store, clock, ["F-A1"])
    accept(store, clock, item)
    detail = refused(lambda: accept(store, clock, item, OTHER_REVIEWER), Forbidden)
    assert "ruth reviews for AL, not for XK" in detail


def test_an_officer_cannot_clear(store: Store, tmp_path: Path, clock: SetClock) -> None:
    """S14: clearance is a supervisor's individual sign-off."""
    singles(store, tmp_path, "A1")
    item = notified(store, clock)
    clock.advance(days=11)
    detail = refused(
        lambda: run(store, clear, item, OFFICER, clock, medical_confirmed=True), Forbidden
    )
    assert "olga (officer) may not clear; only supervisor may" in detail
    assert run(store, clear, item, SUPERVISOR, clock, medical_confirmed=True).to_state == "cleared"


def test_a_supervisor_of_another_sender_cannot_clear(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    singles(store, tmp_path, "A1")
    item = notified(store, clock)
    clock.advance(days=11)
    elsewhere = Actor("sue", "supervisor", "GB")
    detail = refused(
        lambda: run(store, clear, item, elsewhere, clock, medical_confirmed=True), Forbidden
    )
    assert "sue acts for GB, not for US" in detail


# --- Clearance: S6 and S10 ---------------------------------------------------------------------


def notices_written(store: Store, item: int) -> tuple[list[tuple[str, str, str]], int]:
    """The notices recorded on an item (case, language, outcome), and its `notice.recorded`
    audit events."""
    with unit_of_work(store.sessions) as session:
        rows = [(n.case_id, n.language, n.outcome) for n in repository.notices(session, item)]
        logged = [
            link
            for link in iter_links(session)
            if link.action == "notice.recorded" and link.entity_id == str(item)
        ]
    return rows, len(logged)


def test_clearance_waits_ten_days_after_valid_notice(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    """Ten whole days to raise a fear after the first valid service, the day of service not
    counted: clearance on the eleventh."""
    singles(store, tmp_path, "A1")
    [item] = propose(store, clock, ["F-A1"])
    accept(store, clock, item)
    unsigned = run(store, record_notice, item, "A1", "person", "es", False, OFFICER, clock)
    assert (unsigned.outcome, unsigned.moved) == ("refused_to_sign", None)
    clock.advance(days=2)
    detail = refused(
        lambda: run(store, record_notice, item, "A1", "person", "en", True, OFFICER, clock),
        Conflict,
    )
    assert "A1 is not recorded as understanding 'en' (recorded: es): no service in it" in detail
    assert notices_written(store, item) == ([("A1", "es", "refused_to_sign")], 1)
    assert state(store, item) == "accepted"
    clock.advance(days=1)
    serve(store, clock, item, "A1")  # day 3: the first valid service
    clock.advance(days=10)
    detail = refused(lambda: run(store, clear, item, SUPERVISOR, clock, medical_confirmed=True))
    assert "the days to raise a fear run to the end of 2026-01-25" in detail
    clock.advance(days=1)
    assert run(store, clear, item, SUPERVISOR, clock, medical_confirmed=True).to_state == "cleared"


def test_a_notice_in_a_language_not_understood_is_refused_and_writes_nothing(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    """S6: no service in a language the person does not read, and no record of an attempt
    either; the refusal names the approved template they read."""
    singles(store, tmp_path, "A1")
    [item] = propose(store, clock, ["F-A1"])
    accept(store, clock, item)
    for language in ("en", "ru", "ar"):
        detail = refused(
            lambda language=language: run(
                store, record_notice, item, "A1", "person", language, True, OFFICER, clock
            ),
            Conflict,
        )
        assert f"A1 is not recorded as understanding {language!r}" in detail
        assert "serve it in es, which A1 reads" in detail
    assert notices_written(store, item) == ([], 0)
    assert state(store, item) == "accepted"
    clock.advance(days=11)
    detail = refused(lambda: run(store, move, item, "notify", OFFICER, clock))
    assert "served: no valid written notice served on A1 (person)" in detail


def test_a_notice_read_by_a_named_interpreter_in_a_language_understood_is_service(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    """No approved template in the person's language (Arabic is a draft): the refusal says an
    approved template may be read by an interpreter, and that reading is service."""
    load_agreement(store)
    import_records(store, tmp_path, [single("B1", languages=["ar"])])
    [item] = propose(store, clock, ["F-B1"])
    accept(store, clock, item)
    detail = refused(
        lambda: run(store, record_notice, item, "B1", "person", "ar", True, OFFICER, clock),
        Conflict,
    )
    assert "no approved notice template in 'ar': no service in it" in detail
    assert "may be read to B1 by a named interpreter into ar" in detail
    detail = refused(
        lambda: run(
            store,
            record_notice,
            item,
            "B1",
            "person",
            "en",
            True,
            OFFICER,
            clock,
            interpreter="K. Haddad",
            read_in="fr",
        ),
        Conflict,
    )
    assert "B1 is not recorded as understanding 'fr'" in detail
    assert notices_written(store, item) == ([], 0)

    served = run(
        store,
        record_notice,
        item,
        "B1",
        "person",
        "en",
        True,
        OFFICER,
        clock,
        interpreter="K. Haddad",
        read_in="ar",
    )
    assert served.outcome == "served"
    assert served.moved is not None
    assert served.moved.to_state == "notified"
    assert served.document.sha256
    assert notices_written(store, item) == ([("B1", "en", "served")], 1)
    with unit_of_work(store.sessions) as session:
        [notice] = session.scalars(select(NoticeRecord).where(NoticeRecord.item_id == item))
        assert (notice.id, notice.interpreter, notice.read_in) == (
            served.notice_id,
            "K. Haddad",
            "ar",
        )
        assert notice.document_sha256 == served.document.sha256


def test_counsel_must_be_served_before_the_family_is_notified(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    load_agreement(store)
    import_records(store, tmp_path, [single("A1", counsel={"name": "Lee Counsel"})])
    [item] = propose(store, clock, ["F-A1"])
    accept(store, clock, item)
    first = serve(store, clock, item, "A1")
    assert (first.outcome, first.moved) == ("served", None)
    clock.advance(days=2)
    counsel = run(store, record_notice, item, "A1", "counsel", "en", False, OFFICER, clock)
    assert counsel.outcome == "served"
    assert counsel.moved is not None
    assert counsel.moved.to_state == "notified"
    clock.advance(days=10)  # ten days after the last required service (counsel's), not the first
    detail = refused(lambda: run(store, clear, item, SUPERVISOR, clock, medical_confirmed=True))
    assert "notice served on 2026-01-14: the days to raise a fear run to the end of 2026-01-24" in (
        detail
    )
    clock.advance(days=1)
    assert run(store, clear, item, SUPERVISOR, clock, medical_confirmed=True).to_state == "cleared"


def test_clearance_needs_medical_fitness_confirmed(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    singles(store, tmp_path, "A1")
    item = notified(store, clock)
    clock.advance(days=11)
    detail = refused(lambda: run(store, clear, item, SUPERVISOR, clock, medical_confirmed=False))
    assert "S10: the sign-off does not confirm medical fitness to travel" in detail
    assert state(store, item) == "notified"


def test_clearance_needs_every_member_fit_to_travel(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    load_agreement(store)
    import_records(
        store,
        tmp_path,
        [
            person("H1", "F-H", medical_fit=True),
            person("H2", "F-H", relationship="spouse", medical_fit=None),
        ],
    )
    [item] = propose(store, clock, ["F-H"])
    accept(store, clock, item)
    serve(store, clock, item, "H1")
    assert state(store, item) == "accepted"  # the spouse is an adult: served in their own right
    serve(store, clock, item, "H2")
    clock.advance(days=11)
    detail = refused(lambda: run(store, clear, item, SUPERVISOR, clock, medical_confirmed=True))
    assert "S10: medical fitness to travel not confirmed for H2" in detail


# --- S5: fear claims ---------------------------------------------------------------------------


def fear_claimed(store: Store, tmp_path: Path, clock: SetClock) -> int:
    singles(store, tmp_path, "A1")
    item = notified(store, clock)
    assert run(store, claim_fear, item, "A1", OFFICER, clock).to_state == "fear_claimed"
    return item


def test_the_timeline_keeps_the_order_moves_were_made_in(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    """Accepted, served, notified and a fear claim all on one day (the clock stands still):
    the notice comes just before the move it allowed, the claim after both."""
    item = fear_claimed(store, tmp_path, clock)
    with unit_of_work(store.sessions) as session:
        whats = [e.what.split(":")[0] for e in item_view(session, item, OFFICER).entries]
    assert whats == ["propose", "accept", "notice to A1 (person) in es", "notify", "claim_fear"]


def test_a_fear_claim_stops_the_item_and_marks_the_person(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    item = fear_claimed(store, tmp_path, clock)
    with unit_of_work(store.sessions) as session:
        [record] = stored_people(session, family_id="F-A1")
        assert [(c.country, c.outcome) for c in record.fear_claims] == [("XK", "pending")]
    clock.advance(days=10)
    refused(
        lambda: run(store, clear, item, SUPERVISOR, clock, medical_confirmed=True),
        IllegalTransition,
    )


def test_a_fear_interview_needs_72_hours_notice(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    item = fear_claimed(store, tmp_path, clock)
    too_soon = clock.now() + dt.timedelta(hours=71)
    detail = refused(lambda: run(store, schedule_interview, item, too_soon, OFFICER, clock))
    assert "at least 72 hours' notice" in detail
    claim = run(store, schedule_interview, item, too_soon + dt.timedelta(hours=1), OFFICER, clock)
    assert claim.interview_at == clock.now() + dt.timedelta(hours=72)


def test_a_fear_claim_is_not_decided_before_its_interview(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    item = fear_claimed(store, tmp_path, clock)
    detail = refused(lambda: run(store, decide_fear, item, "negative", OFFICER, clock))
    assert "interview: no fear interview has been scheduled" in detail
    run(store, schedule_interview, item, clock.now() + dt.timedelta(hours=72), OFFICER, clock)
    detail = refused(lambda: run(store, decide_fear, item, "negative", OFFICER, clock))
    assert "interview: the fear interview is scheduled for 2026-01-15 09:00 UTC" in detail
    assert state(store, item) == "fear_claimed"


def test_a_positive_fear_claim_releases_the_place_and_blocks_the_receiver_for_good(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    item = fear_claimed(store, tmp_path, clock)
    run(store, schedule_interview, item, clock.now() + dt.timedelta(hours=72), OFFICER, clock)
    clock.advance(hours=72)
    assert (
        run(store, decide_fear, item, "positive", OFFICER, clock).to_state == "blocked_protection"
    )
    assert ledger(store) == [(item, "reserve", 1), (item, "release", 1)]
    with unit_of_work(store.sessions) as session:
        [claim] = repository.fear_claims(session, item)
        assert (claim.outcome, claim.decided_on, claim.reopening_until) == (
            "positive",
            START + dt.timedelta(days=3),
            None,
        )
    clock.advance(days=200)
    detail = refused(lambda: propose(store, clock, ["F-A1"]))
    assert "F-A1: A1: S5 fear claim about Kosovo (XK) upheld on 2026-01-15" in detail
    assert "already in an open proposal item" not in detail


def test_a_negative_fear_claim_reopens_and_clears_only_after_15_days(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    item = fear_claimed(store, tmp_path, clock)
    run(store, schedule_interview, item, clock.now() + dt.timedelta(hours=72), OFFICER, clock)
    clock.advance(hours=72)
    assert run(store, decide_fear, item, "negative", OFFICER, clock).to_state == "reopening"
    assert ledger(store) == [(item, "reserve", 1)]  # the place is still held
    with unit_of_work(store.sessions) as session:
        [claim] = repository.fear_claims(session, item)
        assert claim.reopening_until == dt.date(2026, 1, 30)
    clock.advance(days=14)
    detail = refused(lambda: run(store, clear, item, SUPERVISOR, clock, medical_confirmed=True))
    assert "reopening window open until 2026-01-30" in detail
    clock.advance(days=1)
    assert run(store, clear, item, SUPERVISOR, clock, medical_confirmed=True).to_state == "cleared"


# --- S3: stays, new claims and appeals before transfer ----------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [("stay", "stay_of_removal"), ("appeal", "appeal_pending"), ("new_claim", "protection")],
)
def test_a_case_change_cancels_open_items_and_releases_their_places(
    store: Store, tmp_path: Path, clock: SetClock, change: str, field: str
) -> None:
    singles(store, tmp_path, "A1", "A2")
    accepted, proposed = propose(store, clock, ["F-A1", "F-A2"])
    accept(store, clock, accepted)
    against = {"against": "VE"} if change == "new_claim" else {}
    cancelled = run(store, record_case_change, "A1", change, OFFICER, clock, **against)
    assert [(m.item_id, m.to_state) for m in cancelled] == [(accepted, "cancelled")]
    assert ledger(store) == [(accepted, "reserve", 1), (accepted, "release", 1)]
    with unit_of_work(store.sessions) as session:
        [record] = stored_people(session, family_id="F-A1")
        assert getattr(record, field)
        [event] = repository.events(session, accepted)[-1:]
        assert (event.reason_code, event.actor) == (change, "olga")

    # a proposed item holds no place: cancelled without a release row
    run(store, record_case_change, "A2", change, OFFICER, clock, **against)
    assert state(store, proposed) == "cancelled"
    assert len(ledger(store)) == 2
    assert "S3" in refused(lambda: propose(store, clock, ["F-A1"]))


def test_a_new_claim_names_its_country(store: Store, tmp_path: Path, clock: SetClock) -> None:
    singles(store, tmp_path, "A1")
    [item] = propose(store, clock, ["F-A1"])
    refused(lambda: run(store, record_case_change, "A1", "new_claim", OFFICER, clock), Conflict)
    refused(lambda: run(store, record_case_change, "A1", "stay", REVIEWER, clock), Forbidden)
    assert state(store, item) == "proposed"


def test_a_transferred_item_cannot_be_cancelled(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    singles(store, tmp_path, "A1")
    item = notified(store, clock)
    clock.advance(days=11)
    run(store, clear, item, SUPERVISOR, clock, medical_confirmed=True)
    run(store, schedule, item, clock.now().date(), OFFICER, clock)
    run(store, confirm_arrival, item, REVIEWER, clock)
    detail = refused(
        lambda: run(
            store, move, item, "cancel", OFFICER, clock, reason_code="withdrawal", reason_text="x"
        ),
        IllegalTransition,
    )
    assert "cannot cancel an item that is transferred" in detail
    assert run(store, record_case_change, "A1", "stay", OFFICER, clock) == []


# --- Idempotency -------------------------------------------------------------------------------


def test_the_same_move_twice_is_applied_once(store: Store, tmp_path: Path, clock: SetClock) -> None:
    singles(store, tmp_path, "A1")
    [item] = propose(store, clock, ["F-A1"])
    first, again = accept(store, clock, item), accept(store, clock, item)
    assert (first.repeated, again.repeated) == (False, True)
    assert (again.from_state, again.to_state) == ("proposed", "accepted")
    assert ledger(store) == [(item, "reserve", 1)]
    assert actions(store, item) == ["propose", "accept"]


def test_a_retried_request_id_is_a_no_op(store: Store, tmp_path: Path, clock: SetClock) -> None:
    singles(store, tmp_path, "A1")
    [item] = propose(store, clock, ["F-A1"])
    first = run(store, move, item, "accept", REVIEWER, clock, request_id="req-1")
    again = run(store, move, item, "accept", REVIEWER, clock, request_id="req-1")
    assert (first.repeated, again.repeated) == (False, True)
    assert ledger(store) == [(item, "reserve", 1)]
    with unit_of_work(store.sessions) as session:
        assert [e.request_id for e in repository.events(session, item)] == [None, "req-1"]


def test_a_request_id_reused_for_another_move_is_a_conflict(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    singles(store, tmp_path, "A1", "A2")
    first, second = propose(store, clock, ["F-A1", "F-A2"])
    run(store, move, first, "accept", REVIEWER, clock, request_id="req-1")
    detail = refused(
        lambda: run(store, move, second, "accept", REVIEWER, clock, request_id="req-1"), Conflict
    )
    assert "request req-1 was already used for another move" in detail
    refused(
        lambda: run(
            store,
            move,
            first,
            "revoke",
            REVIEWER,
            clock,
            request_id="req-1",
            reason_code="other",
            reason_text="x",
        ),
        Conflict,
    )
    assert state(store, second) == "proposed"
    assert ledger(store) == [(first, "reserve", 1)]


def test_a_request_id_replayed_by_someone_else_is_a_conflict(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    """A request id names one user's request: another user cannot pass off its result."""
    singles(store, tmp_path, "A1")
    [item] = propose(store, clock, ["F-A1"])
    run(store, move, item, "accept", REVIEWER, clock, request_id="req-1")
    detail = refused(
        lambda: run(store, move, item, "accept", OTHER_REVIEWER, clock, request_id="req-1"),
        Conflict,
    )
    assert "req-1" in detail
    with unit_of_work(store.sessions) as session:
        assert len(repository.ledger(session, AGREEMENT)) == 1


def test_a_fear_claim_recorded_twice_is_one_claim(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    """Retrying a fear claim must not record a second claim on the person."""
    item = fear_claimed(store, tmp_path, clock)
    assert run(store, claim_fear, item, "A1", OFFICER, clock).repeated
    with unit_of_work(store.sessions) as session:
        assert len(repository.fear_claims(session, item)) == 1
        [record] = stored_people(session, family_id="F-A1")
        assert len(record.fear_claims) == 1


def test_a_second_members_fear_claim_is_recorded_while_the_item_is_stopped(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    """The retry short-cut must not swallow another person's claim: it blocks them too (S5)."""
    load_agreement(store)
    import_records(
        store,
        tmp_path,
        [
            person("H1", "F-H", medical_fit=True),
            person("H2", "F-H", relationship="spouse", medical_fit=True),
        ],
    )
    [item] = propose(store, clock, ["F-H"])
    accept(store, clock, item)
    run(store, claim_fear, item, "H1", OFFICER, clock)
    run(store, claim_fear, item, "H2", OFFICER, clock)
    with unit_of_work(store.sessions) as session:
        claims = repository.fear_claims(session, item)
        assert sorted((c.case_id, c.outcome) for c in claims) == [
            ("H1", "pending"),
            ("H2", "pending"),
        ]
        pending = {
            r.case_id: [c.outcome for c in r.fear_claims]
            for r in stored_people(session, family_id="F-H")
        }
        assert pending == {"H1": ["pending"], "H2": ["pending"]}


# --- S9: the family as proposed ----------------------------------------------------------------


def change_records_behind_the_workflow(
    store: Store, tmp_path: Path, clock: SetClock, records: list[dict[str, object]]
) -> None:
    """The store's records changed without the import's judging of open items (as another
    tool writing to the store would): the moves' own guards must still stop the family."""
    path = tmp_path / f"behind-{len(list(tmp_path.iterdir()))}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    with unit_of_work(store.sessions) as session:
        import_people(
            session, read_people(path), source="x", actor="x", role="officer", at=clock.now()
        )


def test_a_family_whose_membership_changed_since_proposal_cannot_move(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    singles(store, tmp_path, "A1")
    [item] = propose(store, clock, ["F-A1"])
    spouse = person("A2", "F-A1", relationship="spouse", medical_fit=True)
    change_records_behind_the_workflow(store, tmp_path, clock, [spouse])
    detail = refused(lambda: accept(store, clock, item))
    assert "S9: A2 in the family but never proposed" in detail
    assert state(store, item) == "proposed"
    assert ledger(store) == []


def test_an_import_that_changes_a_family_cancels_its_open_item_at_once(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    """The import judges the open items of the families it changed: the place is released
    now, with the reason for the sender, not at the next move."""
    singles(store, tmp_path, "A1")
    [item] = propose(store, clock, ["F-A1"])
    accept(store, clock, item)
    spouse = person("A2", "F-A1", relationship="spouse", medical_fit=True)
    report = import_records(store, tmp_path, [spouse], clock=clock)
    assert report.rechecked == [
        f"item {item} (family F-A1) cancelled: S9: A2 in the family but never proposed;"
        " a family moves as the people proposed, whole, or not at all"
    ]
    assert state(store, item) == "cancelled"
    assert ledger(store) == [(item, "reserve", 1), (item, "release", 1)]


@pytest.mark.parametrize("exit_by", ["revoke", "cancel"])
def test_a_family_whose_membership_changed_can_still_leave_the_process(
    store: Store, tmp_path: Path, clock: SetClock, exit_by: str
) -> None:
    """S9 stops moves towards transfer; revoking or cancelling never waits on it, and gives
    the place back."""
    singles(store, tmp_path, "A1")
    [item] = propose(store, clock, ["F-A1"])
    accept(store, clock, item)
    spouse = person("A2", "F-A1", relationship="spouse", medical_fit=True)
    change_records_behind_the_workflow(store, tmp_path, clock, [spouse])
    served = serve(store, clock, item, "A1")
    assert (served.outcome, served.moved) == ("served", None)  # A2 is an adult to serve too
    detail = refused(lambda: serve(store, clock, item, "A2"))
    assert "S9: A2 in the family but never proposed" in detail
    actor = REVIEWER if exit_by == "revoke" else OFFICER
    moved = run(
        store, move, item, exit_by, actor, clock, reason_code="other", reason_text="family changed"
    )
    assert moved.to_state == {"revoke": "revoked", "cancel": "cancelled"}[exit_by]
    assert ledger(store) == [(item, "reserve", 1), (item, "release", 1)]


# --- Notice served late, fear claims of several members, schedules called off -----------------


def test_a_fear_claim_raised_before_notice_clears_once_notice_is_served_and_runs(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    """A claim raised before notice, refused: notice is served during the reopening window and
    clearance waits for both the window and the notice period."""
    singles(store, tmp_path, "A1")
    [item] = propose(store, clock, ["F-A1"])
    accept(store, clock, item)
    run(store, claim_fear, item, "A1", OFFICER, clock)
    run(store, schedule_interview, item, clock.now() + dt.timedelta(hours=72), OFFICER, clock)
    clock.advance(days=3)
    assert run(store, decide_fear, item, "negative", OFFICER, clock).to_state == "reopening"
    clock.advance(days=15)  # the window has passed; no notice yet
    detail = refused(lambda: run(store, clear, item, SUPERVISOR, clock, medical_confirmed=True))
    assert "S6: no valid written notice served on A1 (person)" in detail
    served = serve(store, clock, item, "A1")
    assert (served.outcome, served.moved, state(store, item)) == ("served", None, "reopening")
    clock.advance(days=10)
    detail = refused(lambda: run(store, clear, item, SUPERVISOR, clock, medical_confirmed=True))
    assert "the days to raise a fear run to the end of 2026-02-09" in detail
    clock.advance(days=1)
    assert run(store, clear, item, SUPERVISOR, clock, medical_confirmed=True).to_state == "cleared"


def test_a_child_who_turns_18_after_notice_is_served_before_clearance(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    """Notice goes to every adult on the day of each move: a new adult is served on the
    notified item, and the notice period runs again from that service."""
    load_agreement(store)
    import_records(
        store,
        tmp_path,
        [
            person("M1", "F-M", medical_fit=True, languages=["es"]),
            person(
                "C1",
                "F-M",
                relationship="child",
                birth_date="2008-01-20",
                medical_fit=True,
                languages=["es"],
            ),
        ],
    )
    [item] = propose(store, clock, ["F-M"])
    accept(store, clock, item)
    serve(store, clock, item, "M1")
    assert state(store, item) == "notified"
    clock.advance(days=10)  # C1 is 18 since 2026-01-20
    detail = refused(lambda: run(store, clear, item, SUPERVISOR, clock, medical_confirmed=True))
    assert "S6: no valid written notice served on C1 (person)" in detail
    served = serve(store, clock, item, "C1")
    assert (served.outcome, served.moved) == ("served", None)
    clock.advance(days=10)
    detail = refused(lambda: run(store, clear, item, SUPERVISOR, clock, medical_confirmed=True))
    assert "notice served on 2026-01-22: the days to raise a fear run to the end of 2026-02-01" in (
        detail
    )
    clock.advance(days=1)
    assert run(store, clear, item, SUPERVISOR, clock, medical_confirmed=True).to_state == "cleared"


def two_adults_claiming(store: Store, tmp_path: Path, clock: SetClock) -> int:
    """A couple, notified; both fear the receiver; both interviews held."""
    load_agreement(store)
    import_records(
        store,
        tmp_path,
        [
            person("H1", "F-H", medical_fit=True, languages=["es"]),
            person("H2", "F-H", relationship="spouse", medical_fit=True, languages=["es"]),
        ],
    )
    [item] = propose(store, clock, ["F-H"])
    accept(store, clock, item)
    serve(store, clock, item, "H1")
    serve(store, clock, item, "H2")
    run(store, claim_fear, item, "H1", OFFICER, clock)
    moved = run(store, claim_fear, item, "H2", OFFICER, clock)
    assert (moved.from_state, moved.to_state, moved.repeated) == (
        "fear_claimed",
        "fear_claimed",
        False,
    )
    at = clock.now() + dt.timedelta(hours=72)
    detail = refused(lambda: run(store, schedule_interview, item, at, OFFICER, clock), Conflict)
    assert "fear claims pending for H1, H2: name the person" in detail
    for case_id in ("H1", "H2"):
        run(store, schedule_interview, item, at, OFFICER, clock, case_id=case_id)
    clock.advance(hours=72)
    return item


def test_each_members_fear_claim_is_decided_and_the_window_opens_after_the_last(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    item = two_adults_claiming(store, tmp_path, clock)
    first = run(store, decide_fear, item, "negative", OFFICER, clock, case_id="H1")
    assert (first.action, first.to_state) == ("fear_negative_others_pending", "fear_claimed")
    clock.advance(days=2)
    last = run(store, decide_fear, item, "negative", OFFICER, clock, case_id="H2")
    assert (last.action, last.to_state) == ("fear_negative", "reopening")
    with unit_of_work(store.sessions) as session:
        decided = {(c.case_id, c.outcome) for c in repository.fear_claims(session, item)}
        assert decided == {("H1", "negative"), ("H2", "negative")}
    clock.advance(days=14)  # H2's window runs until 2026-02-01
    detail = refused(lambda: run(store, clear, item, SUPERVISOR, clock, medical_confirmed=True))
    assert "H2: S5 fear claim about Kosovo (XK) refused on 2026-01-17" in detail
    assert "H1:" not in detail
    clock.advance(days=1)
    assert run(store, clear, item, SUPERVISOR, clock, medical_confirmed=True).to_state == "cleared"


def receiver_reads(store: Store, item: int) -> str:
    """Everything the receiver's reviewer reads of an item, rendered as text."""
    console = Console(file=io.StringIO(), width=200, color_system=None)
    with unit_of_work(store.sessions) as session:
        console.print(render.item_renderable(item_view(session, item, REVIEWER)))
    return console.file.getvalue()


def test_the_receiver_reads_nothing_of_several_members_claims(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    item = two_adults_claiming(store, tmp_path, clock)
    run(store, decide_fear, item, "negative", OFFICER, clock, case_id="H1")
    seen = receiver_reads(store, item)
    assert "state: accepted" in seen and "held" not in seen
    assert not {"fear", "claim", "interview", "H1", "H2"} & set(seen.replace(",", " ").split())


def test_one_members_upheld_fear_claim_blocks_the_whole_family(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    item = two_adults_claiming(store, tmp_path, clock)
    run(store, decide_fear, item, "negative", OFFICER, clock, case_id="H2")
    moved = run(store, decide_fear, item, "positive", OFFICER, clock, case_id="H1")
    assert moved.to_state == "blocked_protection"
    assert ledger(store) == [(item, "reserve", 2), (item, "release", 2)]


def test_a_fear_claim_voids_the_schedule_and_arrival_follows_the_new_one(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    """The planned leg of a voided schedule stays on record as called off; only the new one
    is marked as happened on arrival."""
    singles(store, tmp_path, "A1")
    item = notified(store, clock)
    clock.advance(days=11)
    run(store, clear, item, SUPERVISOR, clock, medical_confirmed=True)
    run(store, schedule, item, clock.now().date() + dt.timedelta(days=5), OFFICER, clock)
    run(store, claim_fear, item, "A1", OFFICER, clock)
    run(store, schedule_interview, item, clock.now() + dt.timedelta(hours=72), OFFICER, clock)
    clock.advance(days=3)
    run(store, decide_fear, item, "negative", OFFICER, clock)
    clock.advance(days=15)
    run(store, clear, item, SUPERVISOR, clock, medical_confirmed=True)
    on = clock.now().date() + dt.timedelta(days=2)
    run(store, schedule, item, on, OFFICER, clock)
    clock.advance(days=2)
    run(store, confirm_arrival, item, REVIEWER, clock)
    with unit_of_work(store.sessions) as session:
        legs = [
            (m.scheduled_for, m.happened_on, m.outcome) for m in repository.movements(session, item)
        ]
    assert legs == [
        (dt.date(2026, 1, 28), None, "called_off"),
        (on, on, None),
    ]
    seen = receiver_reads(store, item)
    assert "transfer scheduled for 2026-01-28, called off on 2026-01-23" in seen
    assert "fear" not in seen and "claim" not in seen


# --- Pools -------------------------------------------------------------------------------------


def pool(store: Store, clock: SetClock, families: Sequence[str], limit: int = 75) -> Any:
    return run(
        store,
        create_pool,
        AGREEMENT,
        [PoolFamily(f) for f in families],
        OFFICER,
        clock,
        method="screening",
        pool_limit=limit,
    )


def test_a_family_in_an_open_item_cannot_be_proposed_again(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    singles(store, tmp_path, "A1")
    [item] = propose(store, clock, ["F-A1"])
    detail = refused(lambda: pool(store, clock, ["F-A1"]))
    assert "F-A1: already in an open proposal item" in detail
    run(store, move, item, "reject", REVIEWER, clock, reason_code="criteria", reason_text="rule")
    assert len(propose(store, clock, ["F-A1"])) == 1  # a rejected item is closed


def test_a_pool_is_all_or_nothing(store: Store, tmp_path: Path, clock: SetClock) -> None:
    """One ineligible family refuses the pool, naming every problem; nothing is written."""
    load_agreement(store)
    import_records(store, tmp_path, [single("A1"), single("B1", stay_of_removal=True)])
    detail = refused(lambda: pool(store, clock, ["F-A1", "F-B1", "F-none"]))
    assert "F-B1: B1: S3 court stay of removal" in detail
    assert "F-none: no such family" in detail
    assert "F-A1" not in detail  # the eligible family is not a problem, yet it is not proposed
    with unit_of_work(store.sessions) as session:
        assert repository.items(session, agreement_id=AGREEMENT) == []
        assert repository.proposals(session) == []
    assert len(propose(store, clock, ["F-A1"])) == 1


def test_a_pool_over_its_limit_or_with_a_family_twice_is_refused(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    singles(store, tmp_path, "A1", "A2")
    assert "over its limit of 1" in refused(lambda: pool(store, clock, ["F-A1", "F-A2"], limit=1))
    assert "a family appears twice" in refused(lambda: pool(store, clock, ["F-A1", "F-A1"]))


def test_only_the_sender_proposes(store: Store, tmp_path: Path, clock: SetClock) -> None:
    singles(store, tmp_path, "A1")
    detail = refused(
        lambda: run(
            store,
            create_pool,
            AGREEMENT,
            [PoolFamily("F-A1")],
            REVIEWER,
            clock,
            method="screening",
            pool_limit=5,
        ),
        Forbidden,
    )
    assert "rita (reviewer) may not propose" in detail
