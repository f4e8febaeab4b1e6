"""The workflow applied to the store: every move checked, written with its ledger row and its
audit event in the caller's transaction. Never commits: the command or request is the unit.

Concurrency: a move locks its item and its agreement (row locks on PostgreSQL; SQLite takes
the write lock when the transaction begins), so two moves against one agreement's quota queue
rather than both reading the same room left.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, get_args

from sqlalchemy.orm import Session

from accord.access import (
    RULES,
    Actor,
    in_scope,
    may_make,
    may_use,
    party_refusal,
    sees_claims,
    shown_state,
    signs_off,
)
from accord.agreements import repository as agreements
from accord.agreements.service import to_schema
from accord.audit.personal import Personal, family_subject
from accord.audit.service import Entry, record
from accord.cases.repository import family_changed_at
from accord.cases.service import replace_record, stored_people
from accord.clock import Clock, today
from accord.errors import Conflict, Forbidden, IllegalTransition, NotFound
from accord.models import (
    ItemEvent,
    LedgerEntry,
    ProposalItem,
)
from accord.proposals import repository
from accord.records.agreement import AgreementIn
from accord.records.person import PersonRecord
from accord.records.vocabulary import RejectionCode
from accord.workflow.disclosure import SEEN_STATE
from accord.workflow.guards import (
    Facts,
    agreement_open,
    failures,
    unserved,
)
from accord.workflow.quota import over_cap, overrun
from accord.workflow.transitions import (
    BY_ACTION,
    OPEN,
    State,
    Transition,
    releases_on,
    transition,
)

REJECTION_CODES: tuple[RejectionCode, ...] = get_args(RejectionCode)
"""Why a receiver turns a family down; the text says the rest."""


class GuardFailed(Conflict):
    title = "A safeguard stops this move"


RECEIVER_SAFE_GUARDS = frozenset({"S9", "S12", "S13", "reason", "schedule_day"})
"""Guards whose reasons a receiver may read: the family as proposed, the agreement, the caps,
its own reason, the day. The others would tell of claims, notices or health (DESIGN §6)."""
_SAFEGUARD_ID = re.compile(r"^S\d+$")
HELD_BY_SENDER = "held by the sender: a safeguard stops this family for now"


def as_seen_by(actor: Actor, problems: Sequence[str]) -> list[str]:
    """A refusal's reasons as the actor may read them: everything for the sender's staff; for
    anyone else, the safe reasons and the receiver's own criteria, the rest as one line."""
    if sees_claims(actor.role):
        return list(problems)
    shown, held = [], False
    for problem in problems:
        guard, _, rest = problem.partition(": ")
        rule = rest.partition(": ")[2].split(" ", 1)[0]
        if guard in RECEIVER_SAFE_GUARDS or (
            guard == "screening" and not _SAFEGUARD_ID.match(rule)
        ):
            shown.append(problem)
        else:
            held = True
    return [*shown, HELD_BY_SENDER] if held else shown


@dataclass(frozen=True, slots=True)
class Moved:
    item_id: int
    action: str
    from_state: str | None
    to_state: str
    repeated: bool
    """True when the request had been applied already: nothing new was written."""


def _seen(state: str | None, actor: Actor) -> str | None:
    return None if state is None else shown_state(state, actor.role)


def _authorize(actor: Actor, row: Transition, agreement: AgreementIn) -> None:
    if not may_make(actor.role, row):
        allowed = ", ".join(sorted(row.roles))
        raise Forbidden(f"{actor.name} ({actor.role}) may not {row.action}; only {allowed} may")
    refusal = party_refusal(actor, agreement)
    if refusal is not None:
        raise Forbidden(refusal)


def _acts_for(actor: Actor, agreement: AgreementIn) -> None:
    """The actor's party is one of the agreement's: the sender's staff, the receiver's
    reviewer, or a monitor the agreement names (for steps outside the transition table)."""
    if not in_scope(actor.role, actor.party, agreement):
        raise Forbidden(
            f"{actor.name} ({actor.role} of {actor.party or 'no party'}) does not act for"
            f" agreement {agreement.id}"
        )


def senders_staff(session: Session, actor: Actor, may: str, rule: str) -> None:
    """The case files are the sender's: only its staff whom the access rule `rule` allows act
    on them, and once agreements are registered, staff of a party that sends under none of them
    act on none (a supervisor of the receiving state is no supervisor of the sender's cases)."""
    if not may_use(actor.role, rule):
        allowed = " or ".join(sorted(RULES[rule].roles))
        raise Forbidden(f"{actor.name} ({actor.role}) may not {may}; a {allowed} may")
    senders = agreements.sender_codes(session)
    if actor.party is not None and senders and actor.party not in senders:
        raise Forbidden(f"{actor.name} acts for {actor.party}, which sends no one here")


def _agreement(session: Session, agreement_id: str, *, lock: bool) -> AgreementIn:
    stored = agreements.get_agreement(session, agreement_id, for_update=lock)
    if stored is None:
        raise NotFound(f"no agreement {agreement_id!r}")
    return to_schema(stored)


def _item(session: Session, item_id: int) -> ProposalItem:
    item = repository.get_item(session, item_id, for_update=True)
    if item is None:
        raise NotFound(f"no proposal item {item_id}")
    return item


def lock_item(session: Session, item_id: int) -> ProposalItem:
    """The item, locked for the unit of work: take it before its agreement and the audit chain."""
    return _item(session, item_id)


def lock_agreement(session: Session, agreement_id: str) -> AgreementIn:
    """The agreement, locked for the unit of work: take it after its items, before the chain."""
    return _agreement(session, agreement_id, lock=True)


def _members(session: Session, item: ProposalItem) -> tuple[PersonRecord, ...]:
    """The family as stored now; the S9 guard compares it with the family as proposed, on the
    moves that take it closer to transfer (leaving a process never waits on it)."""
    return tuple(stored_people(session, family_id=item.family_id))


def _forward(
    session: Session, item: ProposalItem, now: dt.datetime, *, sender_side: bool = True
) -> None:
    """Time runs forward per item (DESIGN §4): nothing is recorded on an item at a moment
    before the last thing recorded on it, nor before the family's facts it is judged on (the
    last change to a member's record). Stamps the item with `now` when it may go on.

    The moments it compares are the sender's (a claim recorded, a record changed), so a
    refusal names them only to the sender's side; a receiver or monitor is told the rule."""
    last = item.last_at
    if last is not None and now < last:
        refused = (
            f"item {item.id} was last acted on at {last:%Y-%m-%d %H:%M} UTC;"
            f" {now:%Y-%m-%d %H:%M} is before it: time runs forward"
        )
    elif now.date() < item.state_since:
        refused = f"item {item.id} last moved on {item.state_since}; {now.date()} is before it"
    elif (changed := family_changed_at(session, item.family_id)) is not None and now < changed:
        refused = (
            f"family {item.family_id}'s records changed at {changed:%Y-%m-%d %H:%M} UTC;"
            f" nothing can be decided on them at {now:%Y-%m-%d %H:%M}, before they existed"
        )
    else:
        item.last_at = now
        return
    if not sender_side:
        refused = (
            f"item {item.id} cannot be moved at {now:%Y-%m-%d %H:%M} UTC: something is recorded"
            " on it later than that, and time runs forward"
        )
    raise Conflict(refused)


def _awaiting_notice(session: Session, item: ProposalItem, day: dt.date) -> str:
    """What keeps an accepted item from moving on: who is still to be served (S6)."""
    missing = unserved(
        _members(session, item),
        repository.notices(session, item.id),
        day,
        accepted_on=item.reserved_on,
    )
    return f"it waits for written notice, not yet validly served: {', '.join(missing)}"


FREE_TEXT_KEYS = frozenset({"detail"})
"""Keys of a move's data that hold words written about the family (an onward outcome's
detail): the audit log holds them as personal values, so an erasure removes them."""


def _audited(data: dict[str, Any], family_id: str) -> dict[str, Any]:
    return {
        key: Personal(family_subject(family_id), value)
        if key in FREE_TEXT_KEYS and value is not None
        else value
        for key, value in data.items()
    }


def update_person(
    session: Session, record_: PersonRecord, actor: Actor, clock: Clock, what: str
) -> None:
    replace_record(session, record_, clock.now())
    record(
        session,
        actor.name,
        Entry("person.updated", "person", record_.case_id, {"change": what}),
        at=clock.now(),
    )


def agreement_problems(session: Session, agreement: AgreementIn, day: dt.date) -> list[str]:
    """Why no proposal, clearance or transfer may go ahead under the agreement today (S12, with
    its unlifted suspending incidents, S15): the one reading of the agreement's openness."""
    return agreement_open(agreement, day, repository.suspensions(session, agreement.id))


def move(
    session: Session,
    item_id: int,
    action: str,
    actor: Actor,
    clock: Clock,
    *,
    request_id: str | None = None,
    reason_code: str | None = None,
    reason_text: str | None = None,
    medical_confirmed: bool = False,
    data: dict[str, Any] | None = None,
) -> Moved:
    """Apply one move to one item, or refuse it with every reason; retries are no-ops."""
    if request_id is not None and (done := repository.event_by_request(session, request_id)):
        if done.item_id != item_id or done.action != action or done.actor != actor.name:
            raise Conflict(f"request {request_id} was already used for another move")
        return Moved(
            item_id,
            action,
            _seen(done.from_state, actor),
            shown_state(done.to_state, actor.role),
            repeated=True,
        )
    item = _item(session, item_id)
    agreement = _agreement(session, item.agreement_id, lock=True)
    current = State(item.state)
    row = BY_ACTION.get(action)
    if row is not None:  # who may act comes first: a stranger learns nothing of the item's state
        _authorize(actor, row, agreement)
    if row is not None and request_id is None and current == row.target:
        history = repository.events(session, item.id)
        if history and history[-1].action == action and history[-1].data == (data or {}):
            _authorize(actor, row, agreement)  # a retry is no way round who may make the move
            last = history[-1]
            if "reason" in row.guards and (last.reason_code, last.reason_text) != (
                reason_code,
                reason_text,
            ):
                raise IllegalTransition(
                    f"cannot {action} item {item.id} again: it was moved by {action} on"
                    f" {last.day}, with reason {last.reason_code}; a decision is not changed by"
                    " making it again"
                )
            return Moved(
                item_id,
                action,
                _seen(last.from_state, actor),
                shown_state(last.to_state, actor.role),
                repeated=True,
            )
    try:
        row = transition(action, current)
    except IllegalTransition as refusal:
        if not sees_claims(actor.role):  # the state it sees, and nothing of the table behind
            raise IllegalTransition(
                f"cannot {action} item {item.id}: it is {shown_state(current.value, actor.role)}"
            ) from None
        if current == State.ACCEPTED and sees_claims(actor.role):
            raise IllegalTransition(
                f"{refusal.detail}; {_awaiting_notice(session, item, today(clock))}"
            ) from None
        raise
    _authorize(actor, row, agreement)
    now = clock.now()
    day = now.date()
    _forward(session, item, now, sender_side=sees_claims(actor.role))
    members = _members(session, item)
    claim = repository.open_fear_claim(session, item.id, case_id=(data or {}).get("case"))
    facts = Facts(
        day=day,
        now=now,
        agreement=agreement,
        members=members,
        proposed=tuple(item.members or ()),
        accepted_on=item.reserved_on,
        suspensions=tuple(repository.suspensions(session, agreement.id)),
        notices=tuple(repository.notices(session, item.id)),
        interview_at=claim.interview_at if claim else None,
        scheduled_for=item.scheduled_for,
        reason_code=reason_code,
        reason_text=reason_text,
        signed_by=actor.name if signs_off(actor.role) else None,
        medical_confirmed=medical_confirmed,
        transferred_on=item.transferred_on,
        check_ins_done=tuple(
            c.due_days for c in repository.check_ins(session, item.id) if c.done_on
        ),
    )
    required = agreement.selection.reason_required if action == "reject" else True
    problems = failures(row, facts, reason_required=required)
    if reason_code is not None and action == "reject" and reason_code not in REJECTION_CODES:
        problems.append(
            f"reason: unknown code {reason_code!r}; codes: {', '.join(REJECTION_CODES)}"
        )
    if "S13" in row.guards:
        problems += _quota_problems(session, agreement, item, row, day)
    if problems:
        raise GuardFailed(
            f"cannot {action} item {item.id} (family {item.family_id}, {agreement.id}): "
            + "; ".join(as_seen_by(actor, problems))
        )
    _write_ledger(session, item, row, current, day, now)
    event = ItemEvent(
        item_id=item.id,
        action=action,
        from_state=current.value,
        to_state=row.target.value,
        day=day,
        at=now,
        actor=actor.name,
        role=actor.role,
        reason_code=reason_code,
        reason_text=reason_text,
        data=data or {},
        request_id=request_id,
    )
    session.add(event)
    if SEEN_STATE[current] != SEEN_STATE[row.target]:
        item.seen_since = day
    item.state = row.target.value
    item.state_since = day
    item.version += 1
    item.open_family = item.family_id if row.target in OPEN else None
    if row.target == State.TRANSFERRED:
        item.transferred_on = day
    elif current == State.SCHEDULED:
        _call_off_transfer(session, item, day)
    record(
        session,
        actor.name,
        Entry(
            f"item.{action}",
            "proposal_item",
            str(item.id),
            {
                "agreement": agreement.id,
                "family": item.family_id,
                "from": current.value,
                "to": row.target.value,
                "day": day.isoformat(),
                "role": actor.role,
                "reason_code": reason_code,
                "guards": list(row.guards),
                **_audited(data or {}, item.family_id),
            },
        ),
        at=now,
    )
    session.flush()
    return Moved(
        item.id,
        action,
        shown_state(current.value, actor.role),
        shown_state(row.target.value, actor.role),
        repeated=False,
    )


def _call_off_transfer(session: Session, item: ProposalItem, day: dt.date) -> None:
    """A schedule voided (fear claim, cancellation, revocation): the planned leg stays on
    record as called off, and a new schedule plans a new one. The leg does not say why: a
    receiver reads it, and the why may be a fear claim."""
    item.scheduled_for = None
    for movement in repository.movements(session, item.id):
        if movement.leg == "transfer" and movement.happened_on is None and not movement.outcome:
            movement.outcome, movement.detail = "called_off", f"called off on {day}"


def _write_ledger(
    session: Session,
    item: ProposalItem,
    row: Transition,
    current: State,
    day: dt.date,
    now: dt.datetime,
) -> None:
    kind = row.ledger
    if kind is None or (kind == "release" and not releases_on(row, current)):
        return
    if kind == "reserve":
        item.reserved_on = day
    if item.reserved_on is None:
        raise Conflict(f"item {item.id} has no reservation to {kind}")
    session.add(
        LedgerEntry(
            agreement_id=item.agreement_id,
            item_id=item.id,
            kind=kind,
            persons=item.size,
            families=1,
            day=day,
            reserved_on=item.reserved_on,
            at=now,
        )
    )


def _quota_problems(
    session: Session, agreement: AgreementIn, item: ProposalItem, row: Transition, day: dt.date
) -> list[str]:
    """S13 for a move: a reservation must fit its period's caps; a move that holds a
    reservation already (schedule, transfer) finds its period still within every cap (a cap
    lowered since cannot be overrun), and an arrival fits the present-at-once cap."""
    ledger = repository.ledger(session, agreement.id)
    problems = []
    if row.ledger is not None:
        latest = max((r.day for r in ledger), default=None)
        if latest is not None and day < latest:
            problems.append(f"the ledger already holds {latest}; it does not go back in time")
    if row.ledger == "reserve":
        problems += over_cap(agreement, ledger, day, persons=item.size, families=1, step="reserve")
    else:
        if item.reserved_on is not None:
            problems += overrun(agreement, ledger, item.reserved_on)
        if row.ledger == "consume":
            problems += over_cap(
                agreement, ledger, day, persons=item.size, families=1, step="consume"
            )
    return [f"S13: {reason}" for reason in problems]


# --- Proposals ------------------------------------------------------------------------------


def withdraw(session: Session, item_id: int, reason: str, actor: Actor, clock: Clock) -> Moved:
    return move(
        session, item_id, "cancel", actor, clock, reason_code="withdrawal", reason_text=reason
    )


# --- Notice (S6) ------------------------------------------------------------------------------


# --- Fear claims (S5) -------------------------------------------------------------------------


# --- Clearance, movement, onward, check-ins ---------------------------------------------------


# --- Claims, stays and appeals before transfer (S3) -------------------------------------------


# --- Monitoring: incidents suspend (S15) ------------------------------------------------------
