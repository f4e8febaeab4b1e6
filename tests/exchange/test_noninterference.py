"""What the sender's deployment sends is a function of what the receiver may know (DESIGN §6):
two worlds that differ only in the sender's own steps — a notice served, a fear claim raised,
interviewed and decided, why a family left the pool — send the receiver the very same
messages (their ids and moments aside)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from accord.config import Settings
from accord.db import unit_of_work
from accord.exchange import receiver
from accord.models import ExchangeMessage, ReceivedItem
from accord.proposals.fear_claims import claim_fear, decide_fear, schedule_interview
from accord.proposals.service import withdraw
from accord.store import Store, open_store
from tests.exchange.support import Pair, pair
from tests.proposals.support import (
    OFFICER,
    REVIEWER,
    import_records,
    propose,
    run,
    serve,
    single,
)

World = Callable[[Pair, int, int], None]


def quiet(two: Pair, a1: int, a2: int) -> None:
    """The sender withdraws A2 (the family asked to stay) and does nothing else."""
    two.clock.advance(days=3, hours=1)
    run(two.sender.store, withdraw, a2, "the family asked to stay", OFFICER, two.clock)


def busy(two: Pair, a1: int, a2: int) -> None:
    """Notice on A1, whose fear claim is heard and refused; A2's claim is upheld, which ends
    its item: the receiver must not be able to tell this world from `quiet`."""
    store, clock = two.sender.store, two.clock
    serve(store, clock, a1, "A1")
    run(store, claim_fear, a1, "A1", OFFICER, clock)
    run(store, schedule_interview, a1, clock.now() + dt.timedelta(hours=72), OFFICER, clock)
    run(store, claim_fear, a2, "A2", OFFICER, clock)
    run(store, schedule_interview, a2, clock.now() + dt.timedelta(hours=72), OFFICER, clock)
    clock.advance(days=3, hours=1)
    run(store, decide_fear, a1, "negative", OFFICER, clock)
    run(store, decide_fear, a2, "positive", OFFICER, clock)


def sent(store: Store) -> list[tuple[str, int, dict[str, Any]]]:
    """Every message the sender queued, as the receiver reads it: kind, number, body (the
    moment a statement was made aside)."""
    with unit_of_work(store.sessions) as session:
        rows = session.scalars(
            select(ExchangeMessage)
            .where(ExchangeMessage.direction == "out")
            .order_by(ExchangeMessage.seq)
        )
        return [(r.kind, r.seq, {k: v for k, v in r.body.items() if k != "as_of"}) for r in rows]


@pytest.fixture
def worlds(
    tmp_path: Path, sqlite_template: Path
) -> Iterator[Callable[[World], list[tuple[str, int, dict[str, Any]]]]]:
    opened: list[Pair] = []

    def play(world: World) -> list[tuple[str, int, dict[str, Any]]]:
        # Each world on its own pair of databases, the sender's a new SQLite copy.
        folder = tmp_path / world.__name__
        folder.mkdir()
        sender_db = folder / "sender.db"
        sender_db.write_bytes(sqlite_template.read_bytes())
        two = pair(
            open_store(Settings(database_url=f"sqlite:///{sender_db}")), folder, sqlite_template
        )
        opened.append(two)
        import_records(two.sender.store, folder, [single("A1"), single("A2")])
        a1, a2 = propose(two.sender.store, two.clock, ["F-A1", "F-A2"])
        two.to_receiver()
        with unit_of_work(two.receiver.store.sessions) as session:
            for item in session.scalars(select(ReceivedItem).order_by(ReceivedItem.item_id)):
                receiver.decide(
                    session, two.receiver.own, item.id, "accept", REVIEWER, two.clock.now()
                )
        two.to_sender()
        world(two, a1, a2)
        two.clock.advance(hours=1)
        two.to_receiver()
        return sent(two.sender.store)

    yield play
    for two in opened:
        two.sender.store.close()
        two.receiver.store.close()


def test_the_sender_s_own_steps_send_nothing_the_receiver_could_tell_apart(
    worlds: Callable[[World], list[tuple[str, int, dict[str, Any]]]],
) -> None:
    seen_quiet, seen_busy = worlds(quiet), worlds(busy)
    assert [kind for kind, _, _ in seen_quiet] == [
        "pool.proposed",
        "ledger.statement",
        "family.withdrawn",
        "ledger.statement",
    ]
    assert seen_busy == seen_quiet
