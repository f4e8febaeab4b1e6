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
from typing import Any, Literal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accord.access import SEES_CLAIMS, Actor, shown_state
from accord.agreements import repository as agreements
from accord.agreements.service import apply_status_move, to_schema
from accord.audit.service import Entry, record, record_many
from accord.cases.repository import family_changed_at, get_person
from accord.cases.service import replace_record, stored_people, to_record
from accord.clock import Clock, today
from accord.errors import Conflict, Forbidden, IllegalTransition, NotFound
from accord.models import (
    CheckIn,
    FearClaimRecord,
    Incident,
    ItemEvent,
    LedgerEntry,
    Movement,
    NoticeRecord,
    Proposal,
    ProposalItem,
)
from accord.proposals import repository
from accord.records.agreement import AgreementIn, SourceIn, Status
from accord.records.person import FearClaim, PersonRecord, ProtectionEntry
from accord.safeguards.predicates import REOPENING_DAYS
from accord.workflow.audience import Audience
from accord.workflow.disclosure import SEEN_STATE
from accord.workflow.guards import (
    INTERVIEW_NOTICE,
    MONITORING_DAYS,
    Facts,
    Recipient,
    agreement_open,
    check_ins_due,
    failures,
    family_eligible,
    last_service,
    notice_outcome,
    unserved,
)
from accord.workflow.quota import over_cap, overrun
from accord.workflow.transitions import (
    BY_ACTION,
    HOLDS_RESERVATION,
    ONWARD,
    OPEN,
    PROPOSE,
    SENDER,
    Role,
    State,
    Transition,
    releases_on,
    transition,
)

REJECTION_CODES = ("criteria", "public_order", "documents", "capacity", "other")
"""Why a receiver turns a family down; the text says the rest."""
INCIDENT_KINDS = ("onward_removal", "ill_treatment", "other")
SUSPENDING = frozenset({"onward_removal", "ill_treatment"})


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
    if actor.role in SEES_CLAIMS:
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
    if actor.role not in row.roles:
        allowed = ", ".join(sorted(row.roles))
        raise Forbidden(f"{actor.name} ({actor.role}) may not {row.action}; only {allowed} may")
    if actor.role == "reviewer" and actor.party != agreement.receiver:
        raise Forbidden(
            f"{actor.name} reviews for {actor.party or 'no party'}, not for {agreement.receiver}"
        )
    if actor.role in ("officer", "supervisor") and actor.party not in (None, agreement.sender):
        raise Forbidden(f"{actor.name} acts for {actor.party}, not for {agreement.sender}")


def _acts_for(actor: Actor, agreement: AgreementIn) -> None:
    """The actor's party is one of the agreement's: the sender's staff, the receiver's
    reviewer, or a monitor the agreement names (for steps outside the transition table)."""
    parties: dict[str, set[str | None]] = {
        "officer": {None, agreement.sender},
        "supervisor": {None, agreement.sender},
        "reviewer": {agreement.receiver},
        "monitor": {*agreement.monitors},
    }
    if actor.party not in parties.get(actor.role, set()):
        raise Forbidden(
            f"{actor.name} ({actor.role} of {actor.party or 'no party'}) does not act for"
            f" agreement {agreement.id}"
        )


def senders_staff(session: Session, actor: Actor, may: str, roles: frozenset[Role]) -> None:
    """The case files are the sender's: only its staff in `roles` act on them, and once
    agreements are registered, staff of a party that sends under none of them act on none (a
    supervisor of the receiving state is no supervisor of the sender's cases)."""
    if actor.role not in roles:
        allowed = " or ".join(sorted(roles))
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


def _forward(session: Session, item: ProposalItem, now: dt.datetime) -> None:
    """Time runs forward per item (DESIGN §4): nothing is recorded on an item at a moment
    before the last thing recorded on it, nor before the family's facts it is judged on (the
    last change to a member's record). Stamps the item with `now` when it may go on."""
    last = item.last_at
    if last is not None and now < last:
        raise Conflict(
            f"item {item.id} was last acted on at {last:%Y-%m-%d %H:%M} UTC;"
            f" {now:%Y-%m-%d %H:%M} is before it: time runs forward"
        )
    if now.date() < item.state_since:
        raise Conflict(
            f"item {item.id} last moved on {item.state_since}; {now.date()} is before it"
        )
    changed = family_changed_at(session, item.family_id)
    if changed is not None and now < changed:
        raise Conflict(
            f"family {item.family_id}'s records changed at {changed:%Y-%m-%d %H:%M} UTC;"
            f" nothing can be decided on them at {now:%Y-%m-%d %H:%M}, before they existed"
        )
    item.last_at = now


def _awaiting_notice(session: Session, item: ProposalItem, day: dt.date) -> str:
    """What keeps an accepted item from moving on: who is still to be served (S6)."""
    missing = unserved(
        _members(session, item),
        repository.notices(session, item.id),
        day,
        accepted_on=item.reserved_on,
    )
    return f"it waits for written notice, not yet validly served: {', '.join(missing)}"


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
        if actor.role not in SEES_CLAIMS:  # the state it sees, and nothing of the table behind
            raise IllegalTransition(
                f"cannot {action} item {item.id}: it is {shown_state(current.value, actor.role)}"
            ) from None
        if current == State.ACCEPTED and actor.role in SEES_CLAIMS:
            raise IllegalTransition(
                f"{refusal.detail}; {_awaiting_notice(session, item, today(clock))}"
            ) from None
        raise
    _authorize(actor, row, agreement)
    now = clock.now()
    day = now.date()
    _forward(session, item, now)
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
        signed_by=actor.name if actor.role == "supervisor" else None,
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
                **(data or {}),
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


AFTER_TRANSFER = frozenset({State.TRANSFERRED, *ONWARD, State.CLOSED})


def transferred_families(session: Session) -> dict[str, str]:
    """Families already moved to a receiver: never proposed again (they are no longer here)."""
    return {
        item.family_id: f"item {item.id} under {item.agreement_id} on {item.transferred_on}"
        for item in repository.items(session, states=[s.value for s in AFTER_TRANSFER])
    }


@dataclass(frozen=True, slots=True)
class PoolFamily:
    family_id: str
    score: float | None = None
    why: str = ""


def create_pool(
    session: Session,
    agreement_id: str,
    families: Sequence[PoolFamily],
    actor: Actor,
    clock: Clock,
    *,
    method: Literal["matcher", "screening"],
    pool_limit: int,
    objective: float | None = None,
    gap: float | None = None,
) -> Proposal:
    """A pool for an agreement in force; every family re-screened today, whole, and in no
    other open item. All or nothing: one family that fails refuses the pool, naming each."""
    agreement = _agreement(session, agreement_id, lock=True)
    _authorize(actor, PROPOSE, agreement)
    now = clock.now()
    day = now.date()
    problems = [f"S12: {reason}" for reason in agreement_problems(session, agreement, day)]
    taken = repository.open_families(session)
    gone = transferred_families(session)
    members_of: dict[str, list[PersonRecord]] = {}
    for family in families:
        members = stored_people(session, family_id=family.family_id)
        if not members:
            problems.append(f"{family.family_id}: no such family")
            continue
        if family.family_id in taken:
            problems.append(f"{family.family_id}: already in an open proposal item")
        if family.family_id in gone:
            problems.append(f"{family.family_id}: already transferred ({gone[family.family_id]})")
        changed = family_changed_at(session, family.family_id)
        if changed is not None and now < changed:
            problems.append(
                f"{family.family_id}: its records changed at {changed:%Y-%m-%d %H:%M}"
                f" UTC; nothing can be decided on them at {now:%Y-%m-%d %H:%M}, before they"
                " existed (time runs forward)"
            )
        problems += [f"{family.family_id}: {r}" for r in family_eligible(agreement, members, day)]
        members_of[family.family_id] = members
    size = sum(len(m) for m in members_of.values())
    if size > pool_limit:
        problems.append(f"the pool holds {size} people, over its limit of {pool_limit}")
    if len({f.family_id for f in families}) != len(families):
        problems.append("a family appears twice in the pool")
    if problems:
        raise GuardFailed(f"cannot propose to {agreement_id}: " + "; ".join(problems))
    proposal = Proposal(
        agreement_id=agreement_id,
        proposed_on=day,
        proposed_by=actor.name,
        method=method,
        pool_limit=pool_limit,
        objective=objective,
        gap=gap,
    )
    session.add(proposal)
    session.flush()
    created = []
    for family in families:
        item = ProposalItem(
            proposal_id=proposal.id,
            agreement_id=agreement_id,
            family_id=family.family_id,
            open_family=family.family_id,
            size=len(members_of[family.family_id]),
            members=sorted(m.case_id for m in members_of[family.family_id]),
            last_at=now,
            score=family.score,
            why=family.why,
            state=State.PROPOSED.value,
            state_since=day,
            seen_since=day,
        )
        created.append(item)
    session.add_all(created)
    try:
        session.flush()
    except IntegrityError as exc:  # another pool took one of these families meanwhile
        raise Conflict(
            f"cannot propose to {agreement_id}: a family was proposed elsewhere"
        ) from exc
    session.add_all(
        ItemEvent(
            item_id=item.id,
            action="propose",
            from_state=None,
            to_state=State.PROPOSED.value,
            day=day,
            at=now,
            actor=actor.name,
            role=actor.role,
            data={"proposal": proposal.id},
        )
        for item in created
    )
    record_many(
        session,
        actor.name,
        [
            Entry(
                "proposal.created",
                "proposal",
                str(proposal.id),
                {
                    "agreement": agreement_id,
                    "day": day.isoformat(),
                    "method": method,
                    "pool_limit": pool_limit,
                    "families": [f.family_id for f in families],
                    "objective": objective,
                    "gap": gap,
                },
            )
        ],
        at=now,
    )
    session.flush()
    return proposal


def withdraw(session: Session, item_id: int, reason: str, actor: Actor, clock: Clock) -> Moved:
    return move(
        session, item_id, "cancel", actor, clock, reason_code="withdrawal", reason_text=reason
    )


# --- Notice (S6) ------------------------------------------------------------------------------


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


# --- Fear claims (S5) -------------------------------------------------------------------------


def _update_person(
    session: Session, record_: PersonRecord, actor: Actor, clock: Clock, what: str
) -> None:
    replace_record(session, record_, clock.now())
    record(
        session,
        actor.name,
        Entry("person.updated", "person", record_.case_id, {"change": what}),
        at=clock.now(),
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
    _update_person(
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
    outcome: Literal["positive", "negative"],
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
    _update_person(
        session,
        person.model_copy(update={"fear_claims": claims}),
        actor,
        clock,
        f"fear claim {outcome}",
    )
    session.flush()
    return moved


# --- Clearance, movement, onward, check-ins ---------------------------------------------------


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


OnwardOutcome = Literal["returned_home", "remained", "moved_on", "absconded", "re_transferred"]


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


CHECK_IN_ROLES: frozenset[Role] = frozenset({"officer", "supervisor", "reviewer", "monitor"})


def record_check_in(
    session: Session,
    item_id: int,
    days: int,
    note: str,
    actor: Actor,
    clock: Clock,
    *,
    audience: Audience,
) -> CheckIn:
    """A monitoring check-in, recorded on or after the day it falls due. Its note is read by
    the `audience` its author names (`accord.workflow.audience`)."""
    if actor.role not in CHECK_IN_ROLES:
        raise Forbidden(f"{actor.name} ({actor.role}) may not record check-ins")
    if days not in MONITORING_DAYS:
        raise Conflict(
            f"check-ins fall due at {', '.join(map(str, MONITORING_DAYS))} days, not {days}"
        )
    item = _item(session, item_id)
    _acts_for(actor, _agreement(session, item.agreement_id, lock=False))
    due = next((c for c in repository.check_ins(session, item.id) if c.due_days == days), None)
    if due is None:
        raise Conflict(f"item {item.id} has no check-ins: it has not been transferred")
    day = today(clock)
    if day < due.due_on:
        raise Conflict(f"the {days}-day check-in of item {item.id} falls due on {due.due_on}")
    if due.done_on is not None:
        return due
    _forward(session, item, clock.now())
    due.done_on, due.by, due.by_role, due.note = day, actor.name, actor.role, note
    due.shared = audience is Audience.SHARED
    record(
        session,
        actor.name,
        Entry(
            "checkin.recorded",
            "proposal_item",
            str(item.id),
            {"days": days, "day": day.isoformat(), "audience": audience.value},
        ),
        at=clock.now(),
    )
    session.flush()
    return due


# --- Claims, stays and appeals before transfer (S3) -------------------------------------------

CaseChange = Literal["stay", "new_claim", "appeal"]


def record_case_change(
    session: Session,
    case_id: str,
    change: CaseChange,
    actor: Actor,
    clock: Clock,
    *,
    against: str | None = None,
    claim_type: Literal["refugee", "withholding", "cat", "temporary"] = "refugee",
) -> list[Moved]:
    """A court stay, a new protection claim or an appeal: recorded on the person, and every
    open item of the family before transfer is cancelled, releasing its place."""
    senders_staff(session, actor, "record a case change", SENDER)
    stored = get_person(session, case_id)
    if stored is None:
        raise NotFound(f"no person {case_id!r}")
    person_row = to_record(stored)
    day = today(clock)
    if change == "stay":
        updated = person_row.model_copy(update={"stay_of_removal": True})
    elif change == "appeal":
        updated = person_row.model_copy(update={"appeal_pending": True})
    else:
        if against is None:
            raise Conflict("a new protection claim names the country it is against")
        entry = ProtectionEntry(type=claim_type, status="pending", against=against, date=day)
        updated = person_row.model_copy(update={"protection": [*person_row.protection, entry]})
    # Lock the family's open items and their agreements before the person's audit entry locks
    # the chain (the order every move takes: item, agreement, chain; another order deadlocks),
    # and look at each item again under its lock: it may have moved on meanwhile.
    found = repository.items(
        session, family_id=person_row.family_id, states=[s.value for s in OPEN]
    )
    locked = [_item(session, item.id) for item in found]
    for item in locked:
        _agreement(session, item.agreement_id, lock=True)
    _update_person(session, updated, actor, clock, change)
    cancelled = []
    for item in locked:
        if State(item.state) not in OPEN:
            continue
        cancelled.append(
            move(
                session,
                item.id,
                "cancel",
                actor,
                clock,
                reason_code=change,
                reason_text=f"{change.replace('_', ' ')} recorded for {case_id}",
            )
        )
    return cancelled


# --- Monitoring: incidents suspend (S15) ------------------------------------------------------


def report_incident(
    session: Session,
    agreement_id: str,
    kind: str,
    text: str,
    actor: Actor,
    clock: Clock,
    *,
    audience: Audience,
) -> Incident:
    """Onward removal or ill-treatment suspends the agreement at once: no new proposals,
    acceptances or transfers until a supervisor lifts the suspension with a reason.

    The text is read by the `audience` its author names. The suspension's source, which every
    party to the agreement reads in its status history, names the incident's kind and number,
    and quotes the text only when it is shared."""
    if kind not in INCIDENT_KINDS:
        raise Conflict(f"unknown incident kind {kind!r}; kinds: {', '.join(INCIDENT_KINDS)}")
    if actor.role not in ("officer", "supervisor", "monitor", "reviewer"):
        raise Forbidden(f"{actor.name} ({actor.role}) may not report incidents")
    day = today(clock)
    stored = agreements.get_agreement(session, agreement_id, for_update=True)
    if stored is None:
        raise NotFound(f"no agreement {agreement_id!r}")
    _acts_for(actor, to_schema(stored))  # no party foreign to the agreement may suspend it
    incident = Incident(
        agreement_id=agreement_id,
        kind=kind,
        reported_on=day,
        reported_by=actor.name,
        reported_role=actor.role,
        text=text,
        shared=audience is Audience.SHARED,
        suspends=kind in SUSPENDING,
    )
    session.add(incident)
    session.flush()
    record(
        session,
        actor.name,
        Entry(
            "incident.reported",
            "agreement",
            agreement_id,
            {"incident": incident.id, "kind": kind, "audience": audience.value},
        ),
        at=clock.now(),
    )
    if incident.suspends and stored.status == Status.IN_FORCE.value:
        statement = f"{kind.replace('_', ' ')} reported (incident {incident.id})"
        apply_status_move(
            session,
            agreement_id,
            Status.SUSPENDED,
            date=day,
            actor=actor.name,
            source_key=f"incident-{incident.id}",
            new_source=SourceIn(
                publisher=f"Accord incident {incident.id}",
                date=day,
                statement=f"{statement}: {text}" if incident.shared else statement,
            ),
            note="suspended by an incident (S15)",
        )
    session.flush()
    return incident


LIFTED = "suspension lifted by a supervisor of the sender"
"""The source a lifting leaves in the agreement's status history, which every party to the
agreement reads: the supervisor's reason is the sender's own words, kept on the incidents it
lifts and in the audit log."""


def lift_suspension(
    session: Session, agreement_id: str, reason: str, actor: Actor, clock: Clock
) -> None:
    if actor.role != "supervisor":
        raise Forbidden(f"{actor.name} ({actor.role}) may not lift a suspension; a supervisor may")
    if len(reason.strip()) < 10:
        raise Conflict("lifting a suspension needs a reason (at least 10 characters)")
    stored = agreements.get_agreement(session, agreement_id, for_update=True)
    if stored is None:
        raise NotFound(f"no agreement {agreement_id!r}")
    _acts_for(actor, to_schema(stored))  # only the sender's own supervisor lifts it
    if stored.status != Status.SUSPENDED.value:
        raise Conflict(f"agreement {agreement_id} is {stored.status}, not suspended")
    day = today(clock)
    open_incidents = [
        i for i in repository.incidents(session, agreement_id) if i.suspends and i.lifted_on is None
    ]
    for incident in open_incidents:
        incident.lifted_on, incident.lifted_by, incident.lift_reason = day, actor.name, reason
    key = f"lift-{open_incidents[-1].id if open_incidents else day.isoformat()}"
    record(
        session,
        actor.name,
        Entry(
            "incident.lifted",
            "agreement",
            agreement_id,
            {"incidents": [i.id for i in open_incidents], "reason": reason},
        ),
        at=clock.now(),
    )
    apply_status_move(
        session,
        agreement_id,
        Status.IN_FORCE,
        date=day,
        actor=actor.name,
        source_key=key,
        new_source=SourceIn(
            publisher="Accord: a supervisor of the sender", date=day, statement=LIFTED
        ),
        note="suspension lifted by a supervisor",
    )
    session.flush()
