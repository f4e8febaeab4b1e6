"""Clearance, the scheduled day, the arrival and the onward outcome: the moves that take a
family across, each re-checking what can have changed since the last one."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from accord.access import Actor
from accord.clock import Clock, today
from accord.errors import Conflict
from accord.models import (
    CheckIn,
    Movement,
)
from accord.proposals import repository
from accord.proposals.service import GuardFailed, Moved, _agreement, _item, move
from accord.records.vocabulary import OnwardOutcome
from accord.workflow.guards import (
    check_ins_due,
)


def clear(
    session: Session, item_id: int, actor: Actor, clock: Clock, *, medical_confirmed: bool
) -> Moved:
    """One supervisor's sign-off for one family (S14), with medical fitness confirmed (S10)."""
    return move(session, item_id, "clear", actor, clock, medical_confirmed=medical_confirmed)


def schedule(session: Session, item_id: int, on: dt.date, actor: Actor, clock: Clock) -> Moved:
    """A transfer day for a cleared family, on or after today and within the agreement's term:
    a transfer the agreement cannot carry on that day is refused now, not on arrival."""
    item = _item(session, item_id)
    if on < today(clock):
        raise Conflict(f"a transfer cannot be scheduled in the past ({on})")
    term = _agreement(session, item.agreement_id, lock=False).term
    if term is not None and term.end is not None and on > term.end:
        raise GuardFailed(
            f"cannot schedule item {item.id} for {on}: S12: the agreement's term ends on {term.end}"
        )
    moved = move(session, item.id, "schedule", actor, clock, data={"scheduled_for": on.isoformat()})
    if not moved.repeated:
        item.scheduled_for = on
        session.add(Movement(item_id=item.id, leg="transfer", scheduled_for=on))
    session.flush()
    return moved


def confirm_arrival(session: Session, item_id: int, actor: Actor, clock: Clock) -> Moved:
    """The receiver confirms arrival: the reservation is consumed and check-ins fall due."""
    moved = move(session, item_id, "transfer", actor, clock)
    if moved.repeated:
        return moved
    item = _item(session, item_id)
    day = today(clock)
    for movement in repository.movements(session, item.id):
        if movement.leg == "transfer" and movement.happened_on is None and not movement.outcome:
            movement.happened_on = day
    for days, due in check_ins_due(day):
        session.add(CheckIn(item_id=item.id, due_days=days, due_on=due))
    session.flush()
    return moved


def record_onward(
    session: Session,
    item_id: int,
    outcome: OnwardOutcome,
    actor: Actor,
    clock: Clock,
    *,
    detail: str | None = None,
) -> Moved:
    moved = move(session, item_id, f"onward_{outcome}", actor, clock, data={"detail": detail})
    if not moved.repeated:
        session.add(
            Movement(
                item_id=item_id,
                leg="onward",
                happened_on=today(clock),
                outcome=outcome,
                detail=detail,
            )
        )
        session.flush()
    return moved
