"""Reconciliation: each side's ledger against the other's latest signed statement. Equal once the
statements are carried; a step one side recorded and the other refused shows, before the refusal
is carried, as a difference on that family with the messages that explain it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from accord.db import unit_of_work
from accord.exchange import bodies, receiver
from accord.exchange import reconcile as reconcile_module
from accord.exchange.reconcile import Reconciliation, reconcile
from accord.models import ReceivedItem
from accord.records.agreement import CapIn
from tests.exchange.support import RECEIVER, SENDER, Pair, Side
from tests.proposals.support import (
    AGREEMENT,
    REVIEWER,
    load_agreement,
    propose,
    state,
)


def reconciled(side: Side, two: Pair) -> Reconciliation:
    with unit_of_work(side.store.sessions) as session:
        return reconcile(session, side.own.party, AGREEMENT, two.clock.now())


def received_ids(two: Pair) -> dict[int, int]:
    """The sender's item id -> the receiver's own id of it."""
    with unit_of_work(two.receiver.store.sessions) as session:
        return {i.item_id: i.id for i in session.scalars(select(ReceivedItem))}


def decide(two: Pair, received_id: int, decision: str, **reasons: str) -> str:
    with unit_of_work(two.receiver.store.sessions) as session:
        return receiver.decide(
            session,
            two.receiver.own,
            received_id,
            decision,  # type: ignore[arg-type]
            REVIEWER,
            two.clock.now(),
            **reasons,
        )


def test_the_ledgers_agree_once_each_statement_is_carried(two: Pair) -> None:
    a1, a2 = propose(two.sender.store, two.clock, ["F-A1", "F-A2"])
    two.to_receiver()
    ids = received_ids(two)
    decide(two, ids[a1], "accept")
    decide(two, ids[a2], "reject", reason_code="criteria", reason_text="not within the criteria")
    two.to_sender()
    assert state(two.sender.store, a1) == "accepted"

    # The receiver has the sender's statement of the pool only: both families still proposed.
    stale = reconciled(two.receiver, two)
    assert not stale.equal and stale.side == "receiver"
    assert [(d.item, d.gap) for d in stale.differences] == [(a1, "state"), (a2, "state")]
    first = stale.differences[0]
    assert first.ours is not None and first.ours.state == "accepted"
    assert first.theirs is not None and first.theirs.state == "proposed"
    assert [(m.direction, m.kind, m.state) for m in first.messages] == [
        ("in", "pool.proposed", "applied"),
        ("out", "decision", "delivered"),
    ]
    assert (stale.ours.reserved_persons, stale.theirs.reserved_persons) == (1, 0)

    two.to_receiver()  # the sender's statement after applying the decisions
    for side in (two.sender, two.receiver):
        found = reconciled(side, two)
        assert found.equal, found.differences
        assert found.differences == ()
        assert (found.ours.reserved_persons, found.ours.transferred_persons) == (1, 0)
        assert (found.theirs.reserved_persons, found.theirs.transferred_persons) == (1, 0)
        assert found.theirs.message_id is not None
    assert reconciled(two.sender, two).theirs.party == RECEIVER
    assert reconciled(two.receiver, two).theirs.party == SENDER


def test_an_acceptance_the_sender_refused_shows_with_its_messages_until_carried(
    two: Pair,
) -> None:
    """A cap of one person: the receiver accepts two families; the sender's workflow applies
    the first and refuses the second on the day it arrives (S13)."""
    load_agreement(
        two.sender.store,
        caps=[CapIn(kind="persons_per_period", limit=1, period="P1Y", anchor="term_start")],
    )
    a1, a2 = propose(two.sender.store, two.clock, ["F-A1", "F-A2"])
    two.to_receiver()
    ids = received_ids(two)
    decide(two, ids[a1], "accept")
    refused_decision = decide(two, ids[a2], "accept")
    back = two.to_sender()
    assert [o.outcome for o in back] == ["applied", "applied", "applied"]
    assert state(two.sender.store, a1) == "accepted"
    assert state(two.sender.store, a2) == "proposed"

    # At the sender, before its refusal is carried: the receiver's statement counts a2 accepted.
    found = reconciled(two.sender, two)
    assert not found.equal and found.side == "sender"
    [gap] = found.differences
    assert (gap.item, gap.family, gap.gap) == (a2, "F-A2", "state")
    assert gap.ours is not None and gap.ours.state == "proposed"
    assert gap.theirs is not None and gap.theirs.state == "accepted"
    assert (found.ours.reserved_persons, found.theirs.reserved_persons) == (1, 2)
    kinds = [(m.direction, m.kind) for m in gap.messages]
    assert kinds == [("out", "pool.proposed"), ("in", "decision"), ("out", "refusal")]
    decision = gap.messages[1]
    assert decision.message_id == refused_decision
    assert decision.outcome is not None and decision.outcome.startswith("refused by the workflow")
    assert "S13" in decision.outcome
    assert gap.messages[2].state == "queued"
    document = found.document()
    assert document["equal"] is False
    assert document["differences"][0]["messages"][1]["message"] == refused_decision

    # The refusal carried undoes the receiver's record; its next statement agrees.
    two.to_receiver()
    with unit_of_work(two.receiver.store.sessions) as session:
        item = session.get(ReceivedItem, ids[a2])
        assert item is not None and item.state == "proposed"
        assert item.refusal is not None and "S13" in item.refusal
    assert reconciled(two.receiver, two).equal
    two.to_sender()
    assert reconciled(two.sender, two).equal


def test_nothing_stated_yet_is_a_difference_on_every_family_we_count(two: Pair) -> None:
    [a1] = propose(two.sender.store, two.clock, ["F-A1"])
    assert reconciled(two.sender, two).equal  # nothing told to the peer yet: nothing counted
    two.sender.sync(two.clock)  # queued, not yet carried
    found = reconciled(two.sender, two)
    assert found.theirs.as_of is None and found.theirs.message_id is None
    [gap] = found.differences
    assert (gap.item, gap.gap) == (a1, "only ours")
    assert [(m.direction, m.kind, m.state) for m in gap.messages] == [
        ("out", "pool.proposed", "queued")
    ]


@pytest.mark.parametrize(
    ("ours", "theirs", "gap"),
    [
        ("closed", "remained", None),  # the sender closed it after the check-ins: the same family
        ("returned_home", "closed", None),
        ("closed", "accepted", "state"),
        ("remained", "returned_home", "state"),
        ("accepted", "accepted", None),
    ],
)
def test_a_closed_family_reconciles_with_its_onward_outcome(
    ours: str, theirs: str, gap: str | None
) -> None:
    def counted(state: str) -> bodies.Counted:
        return bodies.Counted(item=1, family="F-A1", persons=2, state=state)

    assert reconcile_module._gap(counted(ours), counted(theirs)) == gap
