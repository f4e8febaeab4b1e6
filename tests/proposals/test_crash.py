"""A review batch whose process is killed half-way leaves every item fully decided or untouched,
and running the batch again finishes it without repeating anything (DESIGN §3: "writes the
ledger and the audit event in the same transaction, and is idempotent under retry").

The batch runs in a child process that kills itself with SIGKILL (no clean-up, no rollback,
no exception handler) at a chosen point of one decision's transaction:

- `flush`: the item's new state, its event and (for an acceptance) its ledger row have been
  flushed to the database, its audit entry not yet written;
- `commit`: everything of the decision is written, the transaction not yet committed;
- `after_commit`: the decision is committed, the batch has not heard of it yet.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from accord.audit.repository import iter_links
from accord.audit.service import verify
from accord.clock import SetClock
from accord.db import unit_of_work
from accord.proposals import repository
from accord.proposals.batch import Decision, review_batch
from accord.store import Store
from tests.proposals.support import (
    AGREEMENT,
    REVIEWER,
    START,
    import_records,
    load_agreement,
    propose,
    single,
)

ROOT = Path(__file__).resolve().parents[2]
ITEMS = 12

CHILD = """
import datetime as dt, json, os, signal, sys

from sqlalchemy import event

from accord.config import Settings
from accord.models import ItemEvent, LedgerEntry
from accord.clock import SetClock
from accord.proposals.batch import Decision, review_batch
from accord.access import Actor
from accord.store import open_store

url, plan, kill_at, where = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
actor, clock = Actor(*json.loads(sys.argv[5])), SetClock(dt.datetime.fromisoformat(sys.argv[6]))
store = open_store(Settings(database_url=url, auto_migrate=False))
decided = []


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


@event.listens_for(store.sessions, "after_flush")
def after_flush(session, context):
    written = {type(o) for o in session.new}
    needed = {ItemEvent, LedgerEntry} if plan[kill_at]["decision"] == "accept" else {ItemEvent}
    if where == "flush" and len(decided) == kill_at and needed <= written:
        die()


@event.listens_for(store.sessions, "before_commit")
def before_commit(session):
    if where == "commit" and len(decided) == kill_at:
        die()


@event.listens_for(store.sessions, "after_commit")
def after_commit(session):
    if where == "after_commit" and len(decided) == kill_at:
        die()


review_batch(
    store.sessions,
    [Decision(**d) for d in plan],
    actor,
    clock,
    after_each=decided.append,
)
print("the batch finished", len(decided))
"""


def plan(items: list[int]) -> list[Decision]:
    """Accept the even places, reject the odd ones with a reason."""
    return [
        Decision(item, "accept")
        if n % 2 == 0
        else Decision(item, "reject", "criteria", "a final conviction for a violent offence")
        for n, item in enumerate(items)
    ]


def run_child(
    url: str, decisions: list[Decision], clock: SetClock, kill_at: int, where: str
) -> None:
    """The batch in a child process killed during decision `kill_at` (0-based) at `where`.

    The child imports only what a batch needs (not the CLI or the tests), to start quickly."""
    encoded = json.dumps(
        [
            {
                "item_id": d.item_id,
                "decision": d.decision,
                "reason_code": d.reason_code,
                "reason_text": d.reason_text,
            }
            for d in decisions
        ]
    )
    paths = [str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            url,
            encoded,
            str(kill_at),
            where,
            json.dumps([REVIEWER.name, REVIEWER.role, REVIEWER.party]),
            clock.now().isoformat(),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL, (done.returncode, done.stdout, done.stderr)
    assert "the batch finished" not in done.stdout


def trail(store: Store, item: int) -> tuple[str, list[str], list[tuple[str, int]], list[str]]:
    """An item's state, its events, its ledger rows and its audit entries."""
    with unit_of_work(store.sessions) as session:
        stored = repository.get_item(session, item)
        assert stored is not None
        events = [e.action for e in repository.events(session, item)]
        ledger = [
            (e.kind, e.persons)
            for e in repository.ledger_entries(session, AGREEMENT)
            if e.item_id == item
        ]
        audit = [
            link.action
            for link in iter_links(session)
            if link.entity_type == "proposal_item" and link.entity_id == str(item)
        ]
        return stored.state, events, ledger, audit


def decided_trail(decision: Decision) -> tuple[str, list[str], list[tuple[str, int]], list[str]]:
    if decision.decision == "accept":
        return "accepted", ["propose", "accept"], [("reserve", 1)], ["item.accept"]
    return "rejected", ["propose", "reject"], [], ["item.reject"]


UNTOUCHED: tuple[str, list[str], list[tuple[str, int]], list[str]] = (
    "proposed",
    ["propose"],
    [],
    [],
)


def chain_events(store: Store) -> int:
    with unit_of_work(store.sessions) as session:
        check = verify(session)
        assert check.ok, check.broken
        return check.events


@pytest.mark.parametrize(
    ("kill_at", "where"),
    [(6, "flush"), (7, "flush"), (9, "commit"), (4, "after_commit")],
)
def test_a_review_batch_killed_mid_way_leaves_each_item_done_or_untouched(
    store: Store, tmp_path: Path, kill_at: int, where: str
) -> None:
    clock = SetClock.on(START)
    load_agreement(store)
    import_records(store, tmp_path, [single(f"A{n:02}") for n in range(ITEMS)])
    items = propose(store, clock, [f"F-A{n:02}" for n in range(ITEMS)])
    decisions = plan(items)
    before = chain_events(store)

    run_child(store.settings.database_url, decisions, clock, kill_at, where)

    finished = kill_at + 1 if where == "after_commit" else kill_at
    for n, decision in enumerate(decisions):
        expected = decided_trail(decision) if n < finished else UNTOUCHED
        assert trail(store, decision.item_id) == expected, (n, decision)
    assert chain_events(store) == before + finished  # no entry of the lost decision survives

    outcomes = review_batch(store.sessions, decisions, REVIEWER, clock)

    assert [(o.item_id, o.done, o.refusal) for o in outcomes] == [
        (d.item_id, True, None) for d in decisions
    ]
    assert [o.repeated for o in outcomes] == [n < finished for n in range(ITEMS)]
    for decision in decisions:
        assert trail(store, decision.item_id) == decided_trail(decision)
    assert chain_events(store) == before + ITEMS
    with unit_of_work(store.sessions) as session:
        rows = repository.ledger_entries(session, AGREEMENT)
        assert sorted(e.item_id for e in rows) == sorted(
            d.item_id for d in decisions if d.decision == "accept"
        )
        assert {e.kind for e in rows} == {"reserve"}
