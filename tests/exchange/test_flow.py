"""One agreement across two deployments, messages carried by hand: the pool goes out through the
minimized view, the receiver's decisions come back and are applied by the sender's workflow."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from accord.db import unit_of_work
from accord.exchange import receiver
from accord.models import ReceivedItem, ReceivedPerson
from accord.store import Store
from tests.exchange.support import Pair, pair
from tests.proposals.support import REVIEWER, import_records, propose, single, state


@pytest.fixture
def two(store: Store, tmp_path: Path, sqlite_template: Path) -> Iterator[Pair]:
    found = pair(store, tmp_path, sqlite_template)
    import_records(store, tmp_path, [single("A1"), single("A2")])
    yield found
    found.receiver.store.close()


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
