"""S13 under concurrency, on SQLite and PostgreSQL: many users acting at the same instant never
push the ledger over a cap, and the service's locks make their moves queue, never crash
(DESIGN §2 "Quota ledger", §3, §4 S13).

Each racer is a thread with its own engine and connection, as a separate worker process would
have, and makes its move in its own transaction once every racer is ready (a barrier), so the
moves really run at once. A racer that meets a database error (a deadlock, a serialization
failure, "database is locked", a broken unique sequence) rather than a refusal by the workflow
fails the test.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy.orm import Session

from accord.agreements import repository as agreements
from accord.agreements.service import to_schema
from accord.audit.repository import iter_links
from accord.audit.service import verify
from accord.cases.service import stored_people
from accord.clock import SetClock
from accord.config import Settings
from accord.db import unit_of_work
from accord.errors import AccordError, IllegalTransition
from accord.proposals import repository
from accord.proposals.case_facts import record_case_change
from accord.proposals.movement import clear, confirm_arrival, schedule
from accord.proposals.notices import record_notice
from accord.proposals.service import GuardFailed, Moved, move
from accord.records.agreement import CapIn
from accord.store import Store, open_store
from accord.workflow.quota import Held, held, present
from tests.proposals.support import (
    AGREEMENT,
    OFFICER,
    REVIEWER,
    START,
    SUPERVISOR,
    import_records,
    load_agreement,
    propose,
    single,
)
from tests.support import person

RACERS = 50
PLACES = 10

Outcome = Moved | BaseException


def race(
    store: Store, keys: Sequence[int], act: Callable[[Session, int], Moved]
) -> dict[int, Outcome]:
    """Run `act` for every key at once, each in its own thread, engine and transaction; the
    result of each, or the exception it raised."""
    racers = [
        open_store(Settings(database_url=store.settings.database_url, auto_migrate=False))
        for _ in keys
    ]
    for racer in racers:  # connect before the start, so that the moves themselves race
        with racer.engine.connect():
            pass
    barrier = threading.Barrier(len(keys), timeout=60)

    def run(racer: Store, key: int) -> Outcome:
        barrier.wait()
        try:
            with unit_of_work(racer.sessions) as session:
                return act(session, key)
        except BaseException as exc:  # kept, and judged by the test
            return exc

    try:
        with ThreadPoolExecutor(max_workers=len(keys)) as pool:
            futures = [pool.submit(run, r, k) for r, k in zip(racers, keys, strict=True)]
            return {k: f.result(timeout=300) for k, f in zip(keys, futures, strict=True)}
    finally:
        for racer in racers:
            racer.close()


def judged(
    outcomes: dict[int, Outcome], refusal: type[AccordError] = GuardFailed
) -> tuple[list[int], dict[int, AccordError]]:
    """The keys whose move went through and those refused; any other error fails the test."""
    unexpected = {
        key: f"{type(o).__name__}: {str(o).splitlines()[0][:200]}"
        for key, o in outcomes.items()
        if not isinstance(o, Moved | refusal)
    }
    assert not unexpected, f"racers failed with errors other than a refusal: {unexpected}"
    moved = sorted(key for key, o in outcomes.items() if isinstance(o, Moved))
    refused = {key: o for key, o in outcomes.items() if isinstance(o, AccordError)}
    return moved, refused


def states(store: Store) -> Counter[str]:
    with unit_of_work(store.sessions) as session:
        return Counter(i.state for i in repository.items(session, agreement_id=AGREEMENT))


def caps_held(session: Session, day: dt.date) -> dict[str, Held]:
    stored = agreements.get_agreement(session, AGREEMENT)
    assert stored is not None
    rows = repository.ledger(session, AGREEMENT)
    return {h.cap.kind: h for h in held(to_schema(stored), rows, day)}


def chain_ok(store: Store) -> list[str]:
    """The audit chain verifies; returns the action of every proposal item entry, in order."""
    with unit_of_work(store.sessions) as session:
        check = verify(session)
        assert check.ok, check.broken
        return [link.action for link in iter_links(session) if link.entity_type == "proposal_item"]


def singles(store: Store, tmp_path: Path, count: int, **changes: object) -> dict[int, str]:
    """The demo agreement and `count` eligible single adults proposed: item id -> case id."""
    load_agreement(store, **changes)
    import_records(store, tmp_path, [single(f"A{n:02}") for n in range(count)])
    clock = SetClock.on(START)
    items = propose(store, clock, [f"F-A{n:02}" for n in range(count)])
    return {item: f"A{n:02}" for n, item in enumerate(items)}


def scheduled(store: Store, case_of: dict[int, str], clock: SetClock) -> None:
    """Every item accepted, served, cleared once the ten days to raise a fear have ended (the
    eleventh day) by the supervisor (each on its own, S14) and scheduled for that day."""
    with unit_of_work(store.sessions) as session:
        for item, case_id in case_of.items():
            move(session, item, "accept", REVIEWER, clock)
            served = record_notice(session, item, case_id, "person", "es", True, OFFICER, clock)
            assert (served.outcome, served.moved is not None) == ("served", True)
    clock.advance(days=11)
    for item in case_of:
        with unit_of_work(store.sessions) as session:
            clear(session, item, SUPERVISOR, clock, medical_confirmed=True)
            schedule(session, item, clock.now().date(), OFFICER, clock)
    assert states(store) == Counter({"scheduled": len(case_of)})


def test_parallel_acceptances_for_the_last_places_never_exceed_the_cap(
    store: Store, tmp_path: Path
) -> None:
    """A cap of 20 a year with 10 places taken by five couples; 50 reviewers accept 50 single
    people at once for the last 10 places: 10 accepted, 40 refused under S13, naming the cap."""
    clock = SetClock.on(START)
    cap = CapIn(kind="persons_per_period", limit=2 * PLACES, period="P1Y", anchor="term_start")
    couples = [
        record
        for n in range(PLACES // 2)
        for record in (
            person(f"H{n}", f"F-C{n}", medical_fit=True),
            person(f"S{n}", f"F-C{n}", relationship="spouse", medical_fit=True),
        )
    ]
    case_of = singles(store, tmp_path, RACERS, caps=[cap])
    import_records(store, tmp_path, couples)
    taken = propose(store, clock, [f"F-C{n}" for n in range(PLACES // 2)])
    with unit_of_work(store.sessions) as session:
        for item in taken:
            move(session, item, "accept", REVIEWER, clock)
    items = list(case_of)

    outcomes = race(store, items, lambda s, item: move(s, item, "accept", REVIEWER, clock))

    accepted, refused = judged(outcomes)
    assert len(accepted) == PLACES
    assert len(refused) == RACERS - PLACES
    assert {o.to_state for o in outcomes.values() if isinstance(o, Moved)} == {"accepted"}
    for item, error in refused.items():
        assert error.detail == (
            f"cannot accept item {item} (family F-{case_of[item]}, {AGREEMENT}): "
            "S13: cap of 20 people per P1Y holds 20 in 2026-01-01 to 2026-12-31;"
            " 1 more would exceed it"
        )
    assert states(store) == Counter({"accepted": PLACES // 2 + PLACES, "proposed": RACERS - PLACES})
    with unit_of_work(store.sessions) as session:
        entries = repository.ledger_entries(session, AGREEMENT)
        assert [(e.kind, e.persons) for e in entries] == [("reserve", 2)] * (PLACES // 2) + [
            ("reserve", 1)
        ] * PLACES
        assert sorted(e.item_id for e in entries[PLACES // 2 :]) == accepted
        cap_now = caps_held(session, START)["persons_per_period"]
        assert (cap_now.held, cap_now.left) == (2 * PLACES, 0)
        for item in items:
            done = [e.action for e in repository.events(session, item)]
            assert done == (["propose", "accept"] if item in accepted else ["propose"])
    assert chain_ok(store).count("item.accept") == PLACES // 2 + PLACES


def test_parallel_arrivals_never_exceed_the_present_at_once_cap(
    store: Store, tmp_path: Path
) -> None:
    """50 families cleared and scheduled, a present-at-once cap of 10: 50 reviewers confirm
    arrival at once; 10 are transferred, 40 refused under S13 and still scheduled."""
    clock = SetClock.on(START)
    caps = [
        CapIn(kind="persons_per_period", limit=100, period="P1Y", anchor="term_start"),
        CapIn(kind="present_at_once", limit=PLACES),
    ]
    case_of = singles(store, tmp_path, RACERS, caps=caps)
    scheduled(store, case_of, clock)
    day = clock.now().date()
    items = list(case_of)

    outcomes = race(store, items, lambda s, item: confirm_arrival(s, item, REVIEWER, clock))

    transferred, refused = judged(outcomes)
    assert len(transferred) == PLACES
    assert len(refused) == RACERS - PLACES
    for item, error in refused.items():
        assert error.detail == (
            f"cannot transfer item {item} (family F-{case_of[item]}, {AGREEMENT}): "
            f"S13: present-at-once cap of {PLACES} holds {PLACES}; 1 more would exceed it"
        )
    assert states(store) == Counter({"transferred": PLACES, "scheduled": RACERS - PLACES})
    with unit_of_work(store.sessions) as session:
        rows = repository.ledger(session, AGREEMENT)
        assert Counter(r.kind for r in rows) == Counter({"reserve": RACERS, "consume": PLACES})
        assert sorted(int(r.item_id) for r in rows if r.kind == "consume") == transferred
        assert present(rows) == PLACES
        by_kind = caps_held(session, day)
        assert (by_kind["present_at_once"].held, by_kind["present_at_once"].left) == (PLACES, 0)
        assert by_kind["persons_per_period"].held == RACERS  # arrivals use reserved places
        for item in items:
            arrived = item in transferred
            done = [e.action for e in repository.events(session, item)]
            assert done[-1] == ("transfer" if arrived else "schedule")
            assert done.count("transfer") == (1 if arrived else 0)
            legs = [m.happened_on for m in repository.movements(session, item)]
            assert legs == [day if arrived else None]
            assert len(repository.check_ins(session, item)) == (3 if arrived else 0)
            stored = repository.get_item(session, item)
            assert stored is not None
            assert stored.transferred_on == (day if arrived else None)
            assert stored.open_family == (None if arrived else f"F-{case_of[item]}")
    assert chain_ok(store).count("item.transfer") == PLACES


def test_notices_served_while_other_items_are_accepted_queue_without_deadlock(
    store: Store, tmp_path: Path
) -> None:
    """Serving notice (which notifies the item once everyone is served) on 25 items while 25
    other items of the same agreement are accepted, all at once: every move goes through.

    Found a deadlock on PostgreSQL: the notice's audit entry locked the chain before the
    notification locked the agreement, while an acceptance locks the agreement, then the chain.
    """
    clock = SetClock.on(START)
    case_of = singles(store, tmp_path, RACERS)
    items = list(case_of)
    served = set(items[: RACERS // 2])
    with unit_of_work(store.sessions) as session:
        for item in served:
            move(session, item, "accept", REVIEWER, clock)

    def act(session: Session, item: int) -> Moved:
        if item not in served:
            return move(session, item, "accept", REVIEWER, clock)
        notified = record_notice(
            session, item, case_of[item], "person", "es", True, OFFICER, clock
        ).moved
        assert notified is not None
        return notified

    outcomes = race(store, items, act)

    moved, refused = judged(outcomes)
    assert (moved, refused) == (items, {})
    assert states(store) == Counter({"notified": len(served), "accepted": RACERS - len(served)})
    logged = chain_ok(store)
    assert logged.count("notice.recorded") == logged.count("item.notify") == len(served)
    assert logged.count("item.accept") == RACERS


def test_a_stay_racing_the_arrival_either_cancels_the_item_or_comes_after_the_transfer(
    store: Store, tmp_path: Path
) -> None:
    """For each of 25 scheduled families, a court stay is recorded at the very moment the
    receiver confirms arrival. Either the stay comes first (the item is cancelled, its place
    released, the arrival refused as illegal) or the arrival does (the family is transferred and
    the stay finds no open item): never both, never a database error.

    Found on PostgreSQL: a deadlock (the stay's audit entry locked the chain before the
    cancellation locked the item and agreement), and, once that was fixed, a transferred item
    cancelled as well, its place released (the item read before the lock was trusted after it).
    """
    clock = SetClock.on(START)
    case_of = singles(store, tmp_path, RACERS // 2)
    scheduled(store, case_of, clock)
    items = list(case_of)
    not_open = Moved(0, "cancel", None, "no open item", repeated=True)

    def act(session: Session, key: int) -> Moved:
        """A positive key confirms that item's arrival; a negative one records its stay."""
        if key > 0:
            return confirm_arrival(session, key, REVIEWER, clock)
        cancelled = record_case_change(session, case_of[-key], "stay", OFFICER, clock)
        return cancelled[0] if cancelled else not_open

    outcomes = race(store, [*items, *(-item for item in items)], act)

    judged(outcomes, IllegalTransition)
    with unit_of_work(store.sessions) as session:
        for item in items:
            arrival, stay = outcomes[item], outcomes[-item]
            kinds = [
                e.kind for e in repository.ledger_entries(session, AGREEMENT) if e.item_id == item
            ]
            done = [e.action for e in repository.events(session, item)]
            stored = repository.get_item(session, item)
            assert stored is not None
            if isinstance(arrival, Moved):
                assert stay == not_open
                assert (stored.state, kinds, done[-1]) == (
                    "transferred",
                    ["reserve", "consume"],
                    "transfer",
                )
            else:
                assert isinstance(stay, Moved)
                assert stay.to_state == "cancelled"
                assert "it is withdrawn by the sender" in str(arrival)  # as the receiver sees it
                assert (stored.state, kinds, done[-1]) == (
                    "cancelled",
                    ["reserve", "release"],
                    "cancel",
                )
            assert done.count("cancel") + done.count("transfer") == 1
            [member] = stored_people(session, family_id=f"F-{case_of[item]}")
            assert member.stay_of_removal is True
    logged = chain_ok(store)
    assert logged.count("item.cancel") + logged.count("item.transfer") == len(items)
