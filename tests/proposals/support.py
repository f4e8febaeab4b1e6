"""A store holding the workflow demo agreement and hand-built families, and the actors."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pytest

from accord.access import Actor
from accord.agreements.loader import load_registry_file
from accord.agreements.service import load
from accord.cases.reader import read_people
from accord.cases.service import ImportReport
from accord.clock import Clock, SetClock
from accord.db import unit_of_work
from accord.errors import AccordError
from accord.proposals import repository
from accord.proposals.case_facts import import_case_files
from accord.proposals.notices import Served, record_notice
from accord.proposals.pools import PoolFamily, create_pool
from accord.proposals.service import GuardFailed, Moved, move
from accord.scenarios import workflow_agreement_path
from accord.store import Store
from tests.support import person

AGREEMENT = "demo-xk-year"
START = dt.date(2026, 1, 12)
"""A Monday inside the demo agreement's term (2026), with its safety assessment current."""

OFFICER = Actor("olga", "officer", "US")
SUPERVISOR = Actor("sam", "supervisor", "US")
REVIEWER = Actor("rita", "reviewer", "XK")
OTHER_REVIEWER = Actor("ruth", "reviewer", "AL")
MONITOR = Actor("mona", "monitor", "MON-XK")


T = TypeVar("T")


def run(store: Store, service: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """One service call in its own transaction, as a command or request would make it."""
    with unit_of_work(store.sessions) as session:
        return service(session, *args, **kwargs)


def load_agreement(store: Store, **changes: Any) -> None:
    """The demo agreement, with top-level fields changed (e.g. caps) for a test."""
    registry = load_registry_file(workflow_agreement_path())
    if changes:
        spec = registry.agreements[0].model_copy(update=changes)
        registry = registry.model_copy(update={"agreements": [spec]})
    with unit_of_work(store.sessions) as session:
        load(session, registry, "test")


IMPORTED_AT = SetClock.on(dt.date(2026, 1, 1))
"""The moment case records are imported at unless a test gives its own clock: before the
workflow's first day, so no move is dated before the facts it stands on."""


def import_records(
    store: Store,
    tmp_path: Path,
    records: Sequence[dict[str, Any]],
    *,
    clock: Clock = IMPORTED_AT,
    actor: Actor | None = None,
) -> ImportReport:
    """Case records imported the way a command imports them: by a sender's account (a
    supervisor unless given), the open items of changed families judged again."""
    path = tmp_path / f"people-{len(list(tmp_path.iterdir()))}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    with unit_of_work(store.sessions) as session:
        return import_case_files(
            session,
            read_people(path),
            source=str(path),
            actor=actor or SUPERVISOR,
            clock=clock,
        )


def single(case_id: str, **overrides: Any) -> dict[str, Any]:
    """An adult alone, eligible under the demo agreement, medically fit, speaking Spanish."""
    return person(case_id, f"F-{case_id}", medical_fit=True, **overrides)


def propose(
    store: Store, clock: SetClock, families: Sequence[str], *, limit: int = 75
) -> list[int]:
    """A pool of these families; returns the item ids in the order given."""
    with unit_of_work(store.sessions) as session:
        proposal = create_pool(
            session,
            AGREEMENT,
            [PoolFamily(f) for f in families],
            OFFICER,
            clock,
            method="screening",
            pool_limit=limit,
        )
        by_family = {i.family_id: i.id for i in repository.items(session, proposal_id=proposal.id)}
    return [by_family[f] for f in families]


def state(store: Store, item_id: int) -> str:
    with unit_of_work(store.sessions) as session:
        item = repository.get_item(session, item_id)
        assert item is not None
        return item.state


def ledger(store: Store) -> list[tuple[int, str, int]]:
    """(item, kind, persons) of every ledger row of the agreement, in order."""
    with unit_of_work(store.sessions) as session:
        return [
            (e.item_id, e.kind, e.persons) for e in repository.ledger_entries(session, AGREEMENT)
        ]


def actions(store: Store, item_id: int) -> list[str]:
    with unit_of_work(store.sessions) as session:
        return [e.action for e in repository.events(session, item_id)]


def singles(store: Store, tmp_path: Path, *case_ids: str, **changes: Any) -> None:
    """The demo agreement (with `changes`) and eligible adults, each a family of one."""
    load_agreement(store, **changes)
    import_records(store, tmp_path, [single(c) for c in case_ids])


def accept(store: Store, clock: SetClock, item_id: int, actor: Actor = REVIEWER) -> Moved:
    return run(store, move, item_id, "accept", actor, clock)


def serve(store: Store, clock: SetClock, item_id: int, case_id: str) -> Served:
    """Valid notice on the person: in Spanish, which they speak, and signed."""
    return run(store, record_notice, item_id, case_id, "person", "es", True, OFFICER, clock)


def notified(store: Store, clock: SetClock, case_id: str = "A1") -> int:
    """An accepted single adult, validly served today."""
    [item] = propose(store, clock, [f"F-{case_id}"])
    accept(store, clock, item)
    serve(store, clock, item, case_id)
    assert state(store, item) == "notified"
    return item


def refused(call: Callable[[], object], error: type[AccordError] = GuardFailed) -> str:
    """The detail of the error a refused call raises (a safeguard's refusal by default)."""
    with pytest.raises(error) as info:
        call()
    return info.value.detail
