"""Faults on the way: the peer down while the outbox delivers (retried after its backoff, the
channel kept in order, applied once), a crash in the middle of applying a pool (nothing of it
stays; the same token applies later, once), and the receiving process killed while it applies
(SQLite's transaction leaves nothing half-written; the same token applies later, once)."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from accord.db import Base, unit_of_work
from accord.exchange import receiver, service
from accord.models import AuditEvent, ExchangeMessage, ReceivedItem, ReceivedPerson
from tests.exchange.support import Pair, Side, register
from tests.proposals.support import propose

INBOX = "https://xk.example/api/v1/exchange/inbox"


def counts(side: Side) -> dict[str, int]:
    """Rows of every table at `side`."""
    with unit_of_work(side.store.sessions) as session:
        return {
            t.name: session.scalar(select(func.count()).select_from(t)) or 0
            for t in Base.metadata.sorted_tables
        }


def outbox(side: Side) -> list[ExchangeMessage]:
    with unit_of_work(side.store.sessions) as session:
        rows = list(
            session.scalars(
                select(ExchangeMessage)
                .where(ExchangeMessage.direction == "out")
                .order_by(ExchangeMessage.seq)
            )
        )
        session.expunge_all()
        return rows


def inbox(side: Side) -> list[tuple[int, str, str]]:
    """(seq, kind, state) of every message `side` stored as received."""
    with unit_of_work(side.store.sessions) as session:
        rows = session.scalars(
            select(ExchangeMessage)
            .where(ExchangeMessage.direction == "in")
            .order_by(ExchangeMessage.seq)
        )
        return [(r.seq, r.kind, r.state) for r in rows]


def stored(side: Side) -> tuple[list[int], list[str]]:
    """The received items' sender ids and the received people's case ids."""
    with unit_of_work(side.store.sessions) as session:
        items = sorted(session.scalars(select(ReceivedItem.item_id)))
        people = sorted(session.scalars(select(ReceivedPerson.case_id)))
        return items, people


def actions(side: Side, action: str) -> int:
    with unit_of_work(side.store.sessions) as session:
        found = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
        )
        return found or 0


def pool_queued(two: Pair) -> list[int]:
    """F-A1 and F-A2 proposed; the pool and the ledger statement queued for the receiver,
    whose inbox the sender knows by URL."""
    items = propose(two.sender.store, two.clock, ["F-A1", "F-A2"])
    two.sender.sync(two.clock)
    return items


# --- The peer down -----------------------------------------------------------------------------


class Inbox:
    """The receiver's inbox as `service.deliver` posts to it: down (connection refused), or up
    (the token handed to the receiver's `service.receive`, its answer as JSON), or taking the
    message and losing the answer."""

    def __init__(self, side: Side) -> None:
        self.side = side
        self.mode = "down"
        self.posted: list[str] = []
        self.answers: list[str] = []
        self.now = dt.datetime.min.replace(tzinfo=dt.UTC)

    def post(self, url: str, token: str) -> tuple[int, str]:
        assert url == INBOX
        self.posted.append(token)
        if self.mode == "down":
            raise ConnectionRefusedError(111, "Connection refused")
        got = service.receive(self.side.store.sessions, self.side.own, token, self.now)
        self.answers.append(got.outcome)
        if self.mode == "answer lost":
            raise ConnectionResetError(104, "Connection reset by peer")
        return 200, json.dumps({"outcome": got.outcome, "detail": got.detail})

    def deliver(self, sender: Side, now: dt.datetime) -> service.Delivery:
        self.now = now
        return service.deliver(sender.store.sessions, sender.own, self.post, now)


def test_a_peer_down_is_retried_after_the_backoff_in_channel_order_and_applied_once(
    two: Pair, tmp_path: Path
) -> None:
    register(two.sender, two.receiver.own, tmp_path, two.clock, url="https://xk.example")
    items = pool_queued(two)
    start = two.clock.now()
    peer = Inbox(two.receiver)
    pool, statement = outbox(two.sender)
    assert (pool.kind, statement.kind) == ("pool.proposed", "ledger.statement")

    down = peer.deliver(two.sender, start)

    refused = "could not reach XK: [Errno 111] Connection refused"
    assert down == service.Delivery(0, 2, (refused,))
    assert peer.posted == [pool.token]  # the channel stops at its first failure
    pool, statement = outbox(two.sender)
    assert (pool.state, pool.attempts, pool.last_error) == ("queued", 1, refused)
    assert pool.next_attempt_at == start + dt.timedelta(seconds=2)
    assert (statement.state, statement.attempts, statement.last_error) == ("queued", 0, None)

    # Before the backoff: nothing of the channel goes, not even the message after the failed one.
    peer.mode = "up"
    early = peer.deliver(two.sender, start + dt.timedelta(seconds=1))
    assert early == service.Delivery(0, 2, ())
    assert peer.posted == [pool.token]
    assert [r.attempts for r in outbox(two.sender)] == [1, 0]

    up = peer.deliver(two.sender, start + dt.timedelta(seconds=2))

    assert up == service.Delivery(2, 0, ())
    assert peer.posted == [pool.token, pool.token, statement.token]
    assert peer.answers == ["applied", "applied"]
    pool, statement = outbox(two.sender)
    assert (pool.state, pool.attempts, pool.last_error) == ("delivered", 2, None)
    assert (statement.state, statement.attempts) == ("delivered", 1)
    assert pool.done_at == start + dt.timedelta(seconds=2)
    assert inbox(two.receiver) == [
        (1, "pool.proposed", "applied"),
        (2, "ledger.statement", "applied"),
    ]
    assert stored(two.receiver) == (sorted(items), ["A1", "A2"])
    assert actions(two.sender, "exchange.delivered") == 2

    # A third round: everything was delivered, nothing is posted.
    again = peer.deliver(two.sender, start + dt.timedelta(hours=1))
    assert again == service.Delivery(0, 0, ())
    assert len(peer.posted) == 3
    assert actions(two.receiver, "exchange.applied") == 2


def test_a_message_taken_whose_answer_was_lost_is_posted_again_and_applied_once(
    two: Pair, tmp_path: Path
) -> None:
    register(two.sender, two.receiver.own, tmp_path, two.clock, url="https://xk.example")
    items = pool_queued(two)
    start = two.clock.now()
    peer = Inbox(two.receiver)
    peer.mode = "answer lost"

    lost = peer.deliver(two.sender, start)

    assert lost.delivered == 0 and lost.waiting == 2
    assert peer.answers == ["applied"]
    assert [(r.state, r.attempts) for r in outbox(two.sender)] == [("queued", 1), ("queued", 0)]

    peer.mode = "up"
    assert peer.deliver(two.sender, start + dt.timedelta(seconds=2)) == service.Delivery(2, 0, ())
    assert peer.answers == ["applied", "replay", "applied"]
    assert inbox(two.receiver) == [
        (1, "pool.proposed", "applied"),
        (2, "ledger.statement", "applied"),
    ]
    assert stored(two.receiver) == (sorted(items), ["A1", "A2"])
    assert actions(two.receiver, "exchange.applied") == 2
    assert actions(two.receiver, "exchange.replayed") == 1


# --- A crash while applying --------------------------------------------------------------------


def test_a_crash_in_the_middle_of_applying_a_pool_leaves_nothing_of_it(
    two: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = pool_queued(two)
    pool, statement = two.sender.outbox()
    before = counts(two.receiver)
    real = ReceivedPerson
    made: list[dict[str, Any]] = []

    def crashing(**fields: Any) -> Any:
        made.append(fields)
        if len(made) == 2:  # the first family written (and flushed with the second's item)
            raise RuntimeError("the process fell over")
        return real(**fields)

    monkeypatch.setattr(receiver, "ReceivedPerson", crashing)
    with pytest.raises(RuntimeError, match="the process fell over"):
        two.receiver.receive(pool, two.clock)
    assert [m["case_id"] for m in made] == ["A1", "A2"]

    monkeypatch.undo()
    nothing_half_applied_then_applied_once(two, before, pool, statement, items)


def nothing_half_applied_then_applied_once(
    two: Pair, before: dict[str, int], pool: str, statement: str, items: list[int]
) -> None:
    """After a failed apply: nothing of the message is stored; then it applies once."""
    assert counts(two.receiver) == before
    assert inbox(two.receiver) == []
    assert stored(two.receiver) == ([], [])
    assert two.receiver.receive(pool, two.clock).outcome == "applied"
    assert two.receiver.receive(pool, two.clock).outcome == "replay"
    assert two.receiver.receive(statement, two.clock).outcome == "applied"
    assert inbox(two.receiver) == [
        (1, "pool.proposed", "applied"),
        (2, "ledger.statement", "applied"),
    ]
    assert stored(two.receiver) == (sorted(items), ["A1", "A2"])
    assert actions(two.receiver, "exchange.applied") == 2


KILLED_RECEIVER = """
import datetime as dt
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from accord.config import Settings
from accord.exchange import keys, receiver, service
from accord.models import ReceivedItem, ReceivedPerson
from accord.store import open_store

database, keys_file, token_file, marker, now = sys.argv[1:]
real_pool, real_person = receiver.Receiver.pool, receiver.ReceivedPerson
sessions = []
made = []


def pool(self, session, *args):
    sessions.append(session)
    return real_pool(self, session, *args)


def slow(**fields):
    made.append(fields)
    if len(made) == 2:  # the first family is written, in the transaction still open
        session = sessions[0]
        items = session.scalar(select(func.count()).select_from(ReceivedItem))
        people = session.scalar(select(func.count()).select_from(ReceivedPerson))
        Path(marker).write_text(f"{items} {people}")
        time.sleep(60)
    return real_person(**fields)


receiver.Receiver.pool, receiver.ReceivedPerson = pool, slow
store = open_store(Settings(database_url=database))
own = keys.load(Path(keys_file))
service.receive(store.sessions, own, Path(token_file).read_text(), dt.datetime.fromisoformat(now))
print("not killed")
"""


def test_a_receiver_killed_while_applying_leaves_nothing_half_written(
    two: Pair, tmp_path: Path
) -> None:
    items = pool_queued(two)
    pool, statement = two.sender.outbox()
    before = counts(two.receiver)
    token, marker = tmp_path / "pool.accord-message", tmp_path / "applying"
    token.write_text(pool)
    database = two.receiver.store.settings.database_url
    assert database.startswith("sqlite:///")
    args = [database, str(two.receiver.keys_file), str(token), str(marker)]
    with (tmp_path / "killed.out").open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", KILLED_RECEIVER, *args, two.clock.now().isoformat()],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        try:
            deadline = time.monotonic() + 30
            while not marker.exists() or not marker.read_text():
                assert process.poll() is None, (tmp_path / "killed.out").read_text()
                assert time.monotonic() < deadline, "the receiving process never began applying"
                time.sleep(0.02)
            process.send_signal(signal.SIGKILL)
        finally:
            process.kill()
            process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL
    assert marker.read_text() == "2 1"  # two items and the first family's person, written

    nothing_half_applied_then_applied_once(two, before, pool, statement, items)
