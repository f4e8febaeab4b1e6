"""A receiver's review of many items at once: each decision in its own transaction.

A review round may hold hundreds of decisions. Each is applied and committed on its own, so a
process that dies in the middle leaves every item either fully decided (state, ledger row,
event and audit entry) or untouched, and running the same batch again finishes the rest
(decisions already applied are no-ops).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session, sessionmaker

from accord.access import Actor
from accord.clock import Clock
from accord.db import unit_of_work
from accord.errors import AccordError, NotFound
from accord.proposals import views
from accord.proposals.service import move


@dataclass(frozen=True, slots=True)
class Decision:
    item_id: int
    decision: Literal["accept", "reject"]
    reason_code: str | None = None
    reason_text: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    item_id: int
    decision: str
    done: bool
    repeated: bool = False
    refusal: str | None = None


def review_batch(
    sessions: sessionmaker[Session],
    decisions: Sequence[Decision],
    actor: Actor,
    clock: Clock,
    *,
    after_each: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Apply decisions in order, one transaction each; a refused decision is reported and the
    batch goes on (an acceptance over the cap is refused, the rest still decided)."""
    outcomes = []
    for decision in decisions:
        try:
            with unit_of_work(sessions) as session:
                moved = move(
                    session,
                    decision.item_id,
                    decision.decision,
                    actor,
                    clock,
                    reason_code=decision.reason_code,
                    reason_text=decision.reason_text,
                )
            outcome = Outcome(decision.item_id, decision.decision, True, moved.repeated)
        except AccordError as exc:
            outcome = Outcome(decision.item_id, decision.decision, False, refusal=exc.detail)
        outcomes.append(outcome)
        if after_each is not None:
            after_each(outcome)
    return outcomes


def review_pool(
    sessions: sessionmaker[Session],
    pool_id: int,
    decisions: Sequence[Decision],
    actor: Actor,
    clock: Clock,
) -> list[Outcome]:
    """A receiver's decisions on families of one pool it may see, each in its own transaction
    (`review_batch`); an item of another pool is not found, and nothing is decided."""
    with unit_of_work(sessions) as session:
        view = views.pool_view(session, pool_id, actor)  # the reviewer may see this pool
        in_pool = {item.id for item in view.items}
    strangers = [d.item_id for d in decisions if d.item_id not in in_pool]
    if strangers:
        raise NotFound(f"not in pool {pool_id}: items {', '.join(map(str, strangers))}")
    return review_batch(sessions, decisions, actor, clock)
