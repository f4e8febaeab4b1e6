"""Fear claims (S5): raised by any member before transfer, interviewed and decided one by one;
an upheld claim blocks the family, a refused one opens a window to reopen it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from accord.access import Actor
from accord.audit.service import Entry, record
from accord.cases.service import stored_people
from accord.clock import Clock, today
from accord.errors import Conflict, NotFound
from accord.models import (
    FearClaimRecord,
    ProposalItem,
)
from accord.proposals import repository
from accord.proposals.service import (
    GuardFailed,
    Moved,
    _agreement,
    _authorize,
    _forward,
    _item,
    _members,
    move,
    update_person,
)
from accord.records.person import FearClaim
from accord.records.vocabulary import FearFinding
from accord.safeguards.predicates import REOPENING_DAYS
from accord.workflow.guards import (
    INTERVIEW_NOTICE,
)
from accord.workflow.transitions import (
    BY_ACTION,
    State,
)


def claim_fear(session: Session, item_id: int, case_id: str, actor: Actor, clock: Clock) -> Moved:
    """A member fears the receiver: the item stops, and the person's record carries a pending
    fear claim about the receiver, so screening blocks them for it until it is decided. Each
    member's claim is its own; the same member's claim again while it is pending is a retry."""
    item = _item(session, item_id)
    agreement = _agreement(session, item.agreement_id, lock=False)
    person = next((m for m in _members(session, item) if m.case_id == case_id), None)
    if person is None:
        raise NotFound(f"{case_id} is not a member of family {item.family_id}")
    if item.state == State.FEAR_CLAIMED.value and any(
        c.case_id == case_id for c in repository.pending_fear_claims(session, item.id)
    ):
        _authorize(actor, BY_ACTION["claim_fear"], agreement)
        return Moved(item.id, "claim_fear", item.state, item.state, repeated=True)
    moved = move(session, item.id, "claim_fear", actor, clock, data={"case": case_id})
    if moved.repeated:
        return moved  # this person's claim is recorded already
    day = today(clock)
    session.add(
        FearClaimRecord(
            item_id=item.id, case_id=case_id, receiver=agreement.receiver, asserted_on=day
        )
    )
    claims = [
        *person.fear_claims,
        FearClaim(country=agreement.receiver, asserted=day, outcome="pending"),
    ]
    update_person(
        session, person.model_copy(update={"fear_claims": claims}), actor, clock, "fear claim"
    )
    session.flush()
    return moved


def _pending_claim(session: Session, item: ProposalItem, case_id: str | None) -> FearClaimRecord:
    """The claim a step is about: the named member's, or the only one pending."""
    pending = repository.pending_fear_claims(session, item.id)
    if item.state != State.FEAR_CLAIMED.value or not pending:
        raise Conflict(f"item {item.id} has no pending fear claim (it is {item.state})")
    if case_id is None:
        if len(pending) > 1:
            names = ", ".join(c.case_id for c in pending)
            raise Conflict(f"item {item.id} has fear claims pending for {names}: name the person")
        return pending[0]
    claim = next((c for c in pending if c.case_id == case_id), None)
    if claim is None:
        names = ", ".join(c.case_id for c in pending)
        raise Conflict(f"{case_id} has no pending fear claim on item {item.id}; pending: {names}")
    return claim


def schedule_interview(
    session: Session,
    item_id: int,
    at: dt.datetime,
    actor: Actor,
    clock: Clock,
    *,
    case_id: str | None = None,
) -> FearClaimRecord:
    """The fear interview, with at least 72 hours' notice to the person and to counsel."""
    item = _item(session, item_id)
    agreement = _agreement(session, item.agreement_id, lock=False)
    _authorize(actor, BY_ACTION["fear_negative"], agreement)
    claim = _pending_claim(session, item, case_id)
    now = clock.now()
    _forward(session, item, now)
    if at < now + INTERVIEW_NOTICE:
        raise GuardFailed(
            f"S5: the interview needs at least 72 hours' notice to the person and counsel;"
            f" the earliest is {(now + INTERVIEW_NOTICE):%Y-%m-%d %H:%M} UTC"
        )
    claim.interview_at = at
    claim.interview_notice_at = now
    record(
        session,
        actor.name,
        Entry(
            "fear.interview_scheduled",
            "proposal_item",
            str(item.id),
            {"case": claim.case_id, "at": at.isoformat(), "notice_given": now.isoformat()},
        ),
        at=now,
    )
    session.flush()
    return claim


def decide_fear(
    session: Session,
    item_id: int,
    outcome: FearFinding,
    actor: Actor,
    clock: Clock,
    *,
    case_id: str | None = None,
) -> Moved:
    """Positive: the family is blocked from this receiver for good, its place released.
    Negative: once no other member's claim is pending, a reopening window of 15 days runs
    before the family can be cleared; while another is pending, the item waits for it."""
    item = _item(session, item_id)
    claim = _pending_claim(session, item, case_id)
    others = [c for c in repository.pending_fear_claims(session, item.id) if c.id != claim.id]
    action = (
        "fear_negative_others_pending" if outcome == "negative" and others else (f"fear_{outcome}")
    )
    moved = move(session, item.id, action, actor, clock, data={"case": claim.case_id})
    day = today(clock)
    claim.outcome = outcome
    claim.decided_on = day
    claim.reopening_until = (
        day + dt.timedelta(days=REOPENING_DAYS) if outcome == "negative" else None
    )
    person = next(
        m for m in stored_people(session, family_id=item.family_id) if m.case_id == claim.case_id
    )
    decided = FearClaim(
        country=claim.receiver, asserted=claim.asserted_on, outcome=outcome, decided=day
    )
    # This claim's own entry takes the decision, whatever was recorded of it since (a
    # supervisor's lift, a file): the finding is what the interview found, and an upheld one
    # is never lost. Other pending claims about the receiver take it too, as before.
    claims = [
        c
        for c in person.fear_claims
        if not (c.country == claim.receiver and c.asserted == claim.asserted_on)
    ]
    claims = [
        c.model_copy(update={"outcome": outcome, "decided": day})
        if c.country == claim.receiver and c.outcome == "pending"
        else c
        for c in claims
    ]
    claims.append(decided)
    update_person(
        session,
        person.model_copy(update={"fear_claims": claims}),
        actor,
        clock,
        f"fear claim {outcome}",
    )
    session.flush()
    return moved
