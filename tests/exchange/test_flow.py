"""One agreement across two deployments, messages carried by hand: the pool goes out through the
minimized view, the receiver's decisions come back and are applied by the sender's workflow."""

from __future__ import annotations

import hashlib
import json

from joserfc import jws
from joserfc.jwk import OKPKey
from sqlalchemy import select

from accord.db import unit_of_work
from accord.exchange import receiver
from accord.models import Agreement, CheckIn, ExchangeMessage, ReceivedItem, ReceivedPerson
from accord.proposals.movement import schedule
from tests.exchange.support import Pair
from tests.proposals.support import (
    AGREEMENT,
    OFFICER,
    REVIEWER,
    propose,
    run,
    state,
)
from tests.proposals.test_promise import cleared


def received(two: Pair) -> dict[int, ReceivedItem]:
    with unit_of_work(two.receiver.store.sessions) as session:
        items = list(session.scalars(select(ReceivedItem)))
        session.expunge_all()
        return {i.item_id: i for i in items}


def test_a_pool_out_and_a_decision_back(two: Pair) -> None:
    a1, a2 = propose(two.sender.store, two.clock, ["F-A1", "F-A2"])
    outcomes = two.to_receiver()
    assert [o.outcome for o in outcomes] == ["applied", "applied"]  # the pool, the statement
    got = received(two)
    assert set(got) == {a1, a2}
    with unit_of_work(two.receiver.store.sessions) as session:
        people = {p.case_id: p.record for p in session.scalars(select(ReceivedPerson))}
        assert set(people) == {"A1", "A2"}
        assert "sender_status" not in people["A1"] and "removal_order" not in people["A1"]
        receiver.decide(session, two.receiver.own, got[a1].id, "accept", REVIEWER, two.clock.now())
        receiver.decide(
            session,
            two.receiver.own,
            got[a2].id,
            "reject",
            REVIEWER,
            two.clock.now(),
            reason_code="criteria",
            reason_text="not within the criteria",
        )
    back = two.to_sender()
    assert [o.outcome for o in back] == ["applied", "applied", "applied"], back
    assert state(two.sender.store, a1) == "accepted"
    assert state(two.sender.store, a2) == "rejected"


def test_the_receiver_keeps_the_sender_s_signature_on_what_it_applied(two: Pair) -> None:
    """Proof for a third party: the inbox keeps the JWS, verifiable with the sender's public
    key alone, over the very bytes whose hash the channel chains."""
    propose(two.sender.store, two.clock, ["F-A1"])
    two.to_receiver()
    public = OKPKey.import_key(two.sender.own.public_set()["keys"][0])
    with unit_of_work(two.receiver.store.sessions) as session:
        rows = list(session.scalars(select(ExchangeMessage).order_by(ExchangeMessage.seq)))
    assert [r.kind for r in rows] == ["pool.proposed", "ledger.statement"]
    for row in rows:
        assert row.direction == "in" and row.token is not None
        verified = jws.deserialize_compact(row.token, public, algorithms=["Ed25519"])
        assert hashlib.sha256(verified.payload).hexdigest() == row.digest
        assert json.loads(verified.payload)["id"] == row.message_id


def test_a_check_in_and_an_incident_from_the_receiver_are_recorded_by_the_sender(
    two: Pair,
) -> None:
    """After the arrival, the receiver's check-in is recorded against the sender's due day
    (one not yet due comes back refused, with the sender's reason), and an ill-treatment report
    suspends the agreement at the sender (S15)."""
    store = two.sender.store
    item = cleared(store, two.clock, "F-A1", "A1")
    run(store, schedule, item, two.clock.now().date(), OFFICER, two.clock)
    two.to_receiver()
    got = received(two)[item]
    assert got.state == "scheduled"
    with unit_of_work(two.receiver.store.sessions) as session:
        receiver.arrive(session, two.receiver.own, got.id, REVIEWER, two.clock.now())
        receiver.check_in(
            session, two.receiver.own, got.id, 30, REVIEWER, two.clock.now(), note="early"
        )
    arrival, early = two.to_sender()[:2]
    assert arrival.detail == "applied" and state(store, item) == "transferred"
    assert early.detail.startswith("refused by the workflow") and "falls due" in early.detail
    two.to_receiver()
    assert "falls due" in (received(two)[item].refusal or "")
    two.clock.advance(days=30)
    with unit_of_work(two.receiver.store.sessions) as session:
        receiver.check_in(
            session, two.receiver.own, got.id, 30, REVIEWER, two.clock.now(), note="settled"
        )
        receiver.report_incident(
            session,
            two.receiver.own,
            AGREEMENT,
            "ill_treatment",
            "reported by the person",
            REVIEWER,
            two.clock.now(),
        )
    outcomes = two.to_sender()
    assert [o.detail for o in outcomes[:2]] == ["applied", "applied"], outcomes
    with unit_of_work(store.sessions) as session:
        done = session.scalars(
            select(CheckIn).where(CheckIn.item_id == item, CheckIn.due_days == 30)
        ).one()
        assert done.done_on == two.clock.now().date() and done.note == "settled"
        agreement = session.get(Agreement, AGREEMENT)
        assert agreement is not None and agreement.status == "suspended"
