"""Written notice (S6): each adult member and their counsel served, in a language they read,
a set number of days before any transfer."""

from __future__ import annotations

from sqlalchemy.orm import Session

from accord.access import Actor
from accord.audit.service import Entry, record
from accord.clock import Clock, today
from accord.errors import Conflict, NotFound
from accord.models import (
    NoticeRecord,
)
from accord.proposals import repository
from accord.proposals.service import Moved, _agreement, _authorize, _forward, _item, _members, move
from accord.workflow.guards import (
    Recipient,
    last_service,
    notice_outcome,
)
from accord.workflow.transitions import (
    BY_ACTION,
    HOLDS_RESERVATION,
    State,
)


def record_notice(
    session: Session,
    item_id: int,
    case_id: str,
    recipient: Recipient,
    language: str,
    signed: bool,
    actor: Actor,
    clock: Clock,
) -> tuple[str, Moved | None]:
    """Record an attempt to serve notice; when every adult and counsel is validly served, an
    accepted item becomes `notified`. Notice may be served while the item holds its place (a
    child who turns 18, counsel instructed later, a claim raised before notice): clearance,
    scheduling and transfer check the notice period again. Returns the attempt's outcome and
    the move, if any."""
    item = _item(session, item_id)
    # Lock the agreement now, before the notice's audit entry locks the chain: every move takes
    # item, agreement, then chain, and another order deadlocks against a concurrent move.
    agreement = _agreement(session, item.agreement_id, lock=True)
    _authorize(actor, BY_ACTION["notify"], agreement)
    if State(item.state) not in HOLDS_RESERVATION:
        raise Conflict(
            f"notice is served on items holding a place (accepted to scheduled);"
            f" item {item.id} is {item.state}"
        )
    members = _members(session, item)
    person = next((m for m in members if m.case_id == case_id), None)
    if person is None:
        raise NotFound(f"{case_id} is not a member of family {item.family_id}")
    if recipient == "counsel" and person.counsel is None:
        raise Conflict(f"{case_id} has no counsel on record")
    _forward(session, item, clock.now())
    day = today(clock)
    outcome = notice_outcome(person, recipient, language, signed)
    session.add(
        NoticeRecord(
            item_id=item.id,
            case_id=case_id,
            recipient=recipient,
            served_on=day,
            language=language,
            outcome=outcome,
            by=actor.name,
        )
    )
    record(
        session,
        actor.name,
        Entry(
            "notice.recorded",
            "proposal_item",
            str(item.id),
            {"case": case_id, "recipient": recipient, "language": language, "outcome": outcome},
        ),
        at=clock.now(),
    )
    session.flush()
    served = last_service(
        members, repository.notices(session, item.id), day, accepted_on=item.reserved_on
    )
    if item.state != State.ACCEPTED.value or served is None:
        return outcome, None
    return outcome, move(session, item.id, "notify", actor, clock)
