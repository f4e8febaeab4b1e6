"""/api/v1 pools and items: read them as the caller may (the sender's full view, the
receiver's minimized view) and make every workflow move. Thin over the service: each request
is one unit of work; the route's rule in `accord.access` is checked before anything runs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from accord.access import SEES_CLAIMS, Actor, may_read, may_see
from accord.agreements.service import stored_agreement, stored_agreements
from accord.cases.minimized import MinimizedPerson
from accord.clock import today
from accord.config import MOST_SOLVE_SECONDS
from accord.db import unit_of_work
from accord.errors import MalformedInput, NotFound, Problem
from accord.matching.proposal import Balance
from accord.models import Proposal, ProposalItem
from accord.proposals import repository, service, views
from accord.proposals.batch import Decision, review_batch
from accord.proposals.pools import match_stored, propose_pool, record_computed
from accord.proposals.repository import PoolRow
from accord.proposals.service import REJECTION_CODES, Moved
from accord.records.text import FreeText
from accord.web.auth import Caller, authorize
from accord.web.idempotency import IdempotencyKey, answer_once
from accord.web.paging import Limit, Offset, Page, page
from accord.web.problems import SERVER_BOUND, responses
from accord.web.state import AppState
from accord.workflow.audience import AUDIENCE_HELP, Audience

router = APIRouter(tags=["pools and items"], dependencies=[Depends(authorize)])
ItemId = Annotated[int, Path(ge=1, le=2**31 - 1, description="A proposal item (one family).")]
PoolId = Annotated[int, Path(ge=1, le=2**31 - 1, description="A pool (proposal).")]
READ = responses(401, 403, 404)
WRITE = responses(400, 401, 403, 404, 409)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- What a caller reads ----------------------------------------------------------------------


class ItemSummary(BaseModel):
    id: int
    family_id: str
    size: int
    state: str = Field(
        description="As the caller may see it: a receiver never reads a state"
        " that would tell of a fear claim (DESIGN §6)."
    )
    state_since: dt.date
    score: float | None = Field(None, description="Sender only: the matcher's score.")
    why: str | None = Field(None, description="Sender only: why the family was chosen.")


class PoolOut(BaseModel):
    id: int
    agreement_id: str
    proposed_on: dt.date
    pool_limit: int
    view: Literal["sender", "receiver"]
    method: str | None = Field(None, description="Sender only: matcher or screening.")
    objective: float | None = Field(None, description="Sender only.")
    gap: float | None = Field(None, description="Sender only: the certified gap.")
    families: int
    people: int
    items: list[ItemSummary]


class PoolSummary(BaseModel):
    id: int
    agreement_id: str
    proposed_on: dt.date
    pool_limit: int
    families: int
    people: int


class TimelineEntryOut(BaseModel):
    day: dt.date
    what: str
    who: str


class MovementOut(BaseModel):
    leg: str
    scheduled_for: dt.date | None
    happened_on: dt.date | None
    outcome: str | None
    detail: str | None


class CheckInOut(BaseModel):
    days: int
    due_on: dt.date
    done_on: dt.date | None
    by: str | None
    note: str | None = Field(
        description="Null when there is none, or when it is for the sender's staff and the"
        " caller is not (DESIGN §6)."
    )
    audience: Audience | None = Field(
        description="Sender only: who the note is for (`sender` or `shared`)."
    )


class ItemOut(BaseModel):
    id: int
    pool_id: int
    agreement_id: str
    family_id: str
    size: int
    state: str
    state_since: dt.date
    view: Literal["sender", "receiver"]
    members: list[MinimizedPerson] = Field(
        description="The family through the minimized view (DESIGN §6); the sender reads the"
        " full records under /people."
    )
    timeline: list[TimelineEntryOut]
    movements: list[MovementOut]
    check_ins: list[CheckInOut]
    next_moves: list[str] = Field(description="Sender only: the moves the table allows next.")


class MovedOut(BaseModel):
    item_id: int
    action: str
    from_state: str | None
    to_state: str
    repeated: bool = Field(description="True when the move had been made already: nothing new.")


def _check_in_out(seen: views.CheckInView) -> CheckInOut:
    return CheckInOut(
        days=seen.days,
        due_on=seen.due_on,
        done_on=seen.done_on,
        by=seen.by,
        note=seen.note,
        audience=seen.audience,
    )


def _view(actor: Actor) -> Literal["sender", "receiver"]:
    return "sender" if actor.role in SEES_CLAIMS else "receiver"


def _summary(item: ProposalItem | PoolRow, actor: Actor) -> ItemSummary:
    sender = actor.role in SEES_CLAIMS
    return ItemSummary(
        id=item.id,
        family_id=item.family_id,
        size=item.size,
        state=views.shown_state(item.state, actor),
        state_since=item.state_since if sender else item.seen_since,
        score=item.score if sender else None,
        why=item.why if sender else None,
    )


def _pool_out(proposal: Proposal, items: Sequence[ProposalItem | PoolRow], actor: Actor) -> PoolOut:
    sender = actor.role in SEES_CLAIMS
    return PoolOut(
        id=proposal.id,
        agreement_id=proposal.agreement_id,
        proposed_on=proposal.proposed_on,
        pool_limit=proposal.pool_limit,
        view=_view(actor),
        method=proposal.method if sender else None,
        objective=proposal.objective if sender else None,
        gap=proposal.gap if sender else None,
        families=len(items),
        people=sum(i.size for i in items),
        items=[_summary(i, actor) for i in items],
    )


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.accord
    return state


@router.get(
    "/pools",
    name="pools.list",
    summary="Pools the caller may see",
    response_model=Page[PoolSummary],
    responses=READ,
)
def list_pools(
    request: Request,
    caller: Annotated[Caller, Depends(authorize)],
    limit: Limit = 50,
    offset: Offset = 0,
    agreement_id: Annotated[FreeText | None, Query(max_length=64)] = None,
) -> Page[PoolSummary]:
    actor = caller.actor
    with unit_of_work(_state(request).store.sessions) as session:
        visible = {a.id for a in stored_agreements(session) if may_see(actor.role, actor.party, a)}
        rows = []
        for proposal in repository.proposals(session, agreement_id):
            if proposal.agreement_id not in visible:
                continue
            items = repository.items(session, proposal_id=proposal.id)
            rows.append(
                PoolSummary(
                    id=proposal.id,
                    agreement_id=proposal.agreement_id,
                    proposed_on=proposal.proposed_on,
                    pool_limit=proposal.pool_limit,
                    families=len(items),
                    people=sum(i.size for i in items),
                )
            )
    return page(rows, limit, offset)


@router.get(
    "/pools/{pool_id}",
    name="pools.get",
    summary="One pool with its items",
    response_model=PoolOut,
    responses=READ,
)
def get_pool(
    request: Request, pool_id: PoolId, caller: Annotated[Caller, Depends(authorize)]
) -> PoolOut:
    actor = caller.actor
    with unit_of_work(_state(request).store.sessions) as session:
        view = views.pool_view(session, pool_id, actor)
        return _pool_out(view.proposal, view.items, actor)


def _members(session: Session, item: ProposalItem | PoolRow, actor: Actor) -> list[MinimizedPerson]:
    """The family through the minimized view; each read is in the audit log."""
    return views.family_members(session, [item], actor)[item.id]


def waiting_members(
    request: Request, pool_id: int, caller: Caller, *, only: int | None = None
) -> dict[int, list[MinimizedPerson]]:
    """The families of a pool still waiting for the receiver's decision (or only one of them),
    through the minimized view, in one unit of work; each person's read is in the audit log.
    What the review page shows beside the pool: the items' timelines are not read."""
    actor = caller.actor
    with unit_of_work(_state(request).store.sessions) as session:
        view = views.pool_view(session, pool_id, actor)
        chosen = [item for item in views.waiting(view) if only in (None, item.id)]
        return views.family_members(session, chosen, actor)


@router.get(
    "/items/{item_id}",
    name="items.get",
    summary="One item: its family, timeline, movements and check-ins",
    response_model=ItemOut,
    responses=READ,
)
def get_item(
    request: Request, item_id: ItemId, caller: Annotated[Caller, Depends(authorize)]
) -> ItemOut:
    actor = caller.actor
    with unit_of_work(_state(request).store.sessions) as session:
        view = views.item_view(session, item_id, actor)
        item = view.item
        return ItemOut(
            id=item.id,
            pool_id=item.proposal_id,
            agreement_id=item.agreement_id,
            family_id=item.family_id,
            size=item.size,
            state=view.state,
            state_since=view.since,
            view=_view(actor),
            members=_members(session, item, actor),
            timeline=[TimelineEntryOut(day=e.day, what=e.what, who=e.who) for e in view.entries],
            movements=[
                MovementOut(
                    leg=m.leg,
                    scheduled_for=m.scheduled_for,
                    happened_on=m.happened_on,
                    outcome=m.outcome,
                    detail=m.detail,
                )
                for m in view.movements
            ],
            check_ins=[_check_in_out(c) for c in view.check_ins],
            next_moves=view.next_moves,
        )


# --- Proposing a pool -------------------------------------------------------------------------


SolveSeconds = Annotated[
    float | None,
    Field(
        gt=0,
        le=MOST_SOLVE_SECONDS,
        description="Seconds the matcher may take: at most this server's bound"
        " (ACCORD_MAX_SOLVE_SECONDS, 10 unless set), which is also what a request that names"
        " none gets. Each second holds one of the server's threads.",
        json_schema_extra={SERVER_BOUND: "max_solve_seconds"},
    ),
]


def solve_seconds(request: Request, asked: float | None) -> float:
    """The solver time a request gets: what it asks for, within the server's bound; asking for
    more is refused, naming the field."""
    bound = _state(request).store.settings.max_solve_seconds
    if asked is None:
        return bound
    if asked > bound:
        raise MalformedInput(
            "the request",
            [Problem("body.time_limit", f"at most {bound:g} seconds on this server")],
        )
    return asked


class ProposeIn(Strict):
    agreement_id: FreeText = Field(max_length=64, examples=["demo-xk-year"])
    pin_out: list[Annotated[FreeText, Field(max_length=64)]] = Field(
        default_factory=list, max_length=10_000, description="Families a person leaves out."
    )
    time_limit: SolveSeconds = None


@router.post(
    "/pools",
    name="pools.propose",
    summary="Propose the matcher's pool for an agreement in force",
    status_code=201,
    response_model=PoolOut,
    responses=WRITE,
)
def propose(
    request: Request,
    body: ProposeIn,
    caller: Annotated[Caller, Depends(authorize)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    actor, state = caller.actor, _state(request)
    seconds = solve_seconds(request, body.time_limit)

    def work(session: Session) -> tuple[int, BaseModel]:
        agreement = stored_agreement(session, body.agreement_id)
        may_read(actor, agreement, f"no agreement {body.agreement_id!r}")
        matched = propose_pool(
            session,
            body.agreement_id,
            actor,
            state.clock,
            pinned_out=body.pin_out,
            time_limit=seconds,
        )
        items = repository.items(session, proposal_id=matched.proposal.id)
        return 201, _pool_out(matched.proposal, items, actor)

    return answer_once(request, caller.principal.name, idempotency_key, body, work)


# --- Moves ------------------------------------------------------------------------------------


def _moved(moved: Moved) -> MovedOut:
    return MovedOut(
        item_id=moved.item_id,
        action=moved.action,
        from_state=moved.from_state,
        to_state=moved.to_state,
        repeated=moved.repeated,
    )


def _move(
    request: Request,
    caller: Caller,
    item_id: int,
    key: str | None,
    body: BaseModel | None,
    step: Callable[[Session, Actor], Moved],
) -> JSONResponse:
    actor = caller.actor

    def work(session: Session) -> tuple[int, BaseModel]:
        views.readable_item(session, item_id, actor)
        return 200, _moved(step(session, actor))

    return answer_once(request, caller.principal.name, key, body, work)


ReasonCode = Literal["criteria", "public_order", "documents", "capacity", "other"]
assert set(ReasonCode.__args__) == set(REJECTION_CODES)  # type: ignore[attr-defined]


class RejectIn(Strict):
    reason_code: ReasonCode | None = Field(
        None, description="Required when the agreement requires a reason."
    )
    reason_text: FreeText | None = Field(None, max_length=2000)


class RevokeIn(Strict):
    reason_code: ReasonCode
    reason_text: FreeText = Field(min_length=1, max_length=2000)


class WithdrawIn(Strict):
    reason: FreeText = Field(min_length=1, max_length=2000)


class NoticeIn(Strict):
    case_id: FreeText = Field(max_length=64)
    recipient: Literal["person", "counsel"] = "person"
    language: FreeText = Field(min_length=2, max_length=8, examples=["es"])
    signed: bool = Field(True, description="False when the person refused to sign.")


class NoticeOut(BaseModel):
    outcome: Literal["served", "refused_to_sign", "language_not_understood"]
    moved: MovedOut | None = Field(description="The move to notified, once everyone is served.")


class FearIn(Strict):
    case_id: FreeText = Field(max_length=64)


class InterviewIn(Strict):
    at: dt.datetime = Field(description="When, with a zone; at least 72 hours from now.")
    case_id: FreeText | None = Field(None, max_length=64, description="When several are pending.")


class InterviewOut(BaseModel):
    item_id: int
    case_id: str
    at: dt.datetime


class FearOutcomeIn(Strict):
    outcome: Literal["positive", "negative"]
    case_id: FreeText | None = Field(None, max_length=64, description="When several are pending.")


class ClearIn(Strict):
    medical_fit_confirmed: bool = Field(description="The supervisor confirms fitness (S10).")


class ScheduleIn(Strict):
    on: dt.date


class OnwardIn(Strict):
    outcome: Literal["returned_home", "remained", "moved_on", "absconded", "re_transferred"]
    detail: FreeText | None = Field(None, max_length=500, examples=["temporary protection"])


class CheckInIn(Strict):
    days: Literal[30, 90, 180]
    note: FreeText = Field("", max_length=2000)
    audience: Audience = Field(description=AUDIENCE_HELP)


@router.post(
    "/items/{item_id}/accept",
    name="items.accept",
    summary="Accept a family (reserves its places)",
    response_model=MovedOut,
    responses=WRITE,
)
def accept(
    request: Request,
    item_id: ItemId,
    caller: Annotated[Caller, Depends(authorize)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    clock = _state(request).clock
    return _move(
        request,
        caller,
        item_id,
        idempotency_key,
        None,
        lambda s, a: service.move(s, item_id, "accept", a, clock),
    )


@router.post(
    "/items/{item_id}/reject",
    name="items.reject",
    summary="Reject a family, with a reason",
    response_model=MovedOut,
    responses=WRITE,
)
def reject(
    request: Request,
    item_id: ItemId,
    body: RejectIn,
    caller: Annotated[Caller, Depends(authorize)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    clock = _state(request).clock
    return _move(
        request,
        caller,
        item_id,
        idempotency_key,
        body,
        lambda s, a: service.move(
            s,
            item_id,
            "reject",
            a,
            clock,
            reason_code=body.reason_code,
            reason_text=body.reason_text,
        ),
    )


@router.post(
    "/items/{item_id}/revoke",
    name="items.revoke",
    summary="Revoke an acceptance (releases its places)",
    response_model=MovedOut,
    responses=WRITE,
)
def revoke(
    request: Request,
    item_id: ItemId,
    body: RevokeIn,
    caller: Annotated[Caller, Depends(authorize)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    clock = _state(request).clock
    return _move(
        request,
        caller,
        item_id,
        idempotency_key,
        body,
        lambda s, a: service.move(
            s,
            item_id,
            "revoke",
            a,
            clock,
            reason_code=body.reason_code,
            reason_text=body.reason_text,
        ),
    )


@router.post(
    "/items/{item_id}/withdraw",
    name="items.withdraw",
    summary="Withdraw a family before transfer (releases its places)",
    response_model=MovedOut,
    responses=WRITE,
)
def withdraw(
    request: Request,
    item_id: ItemId,
    body: WithdrawIn,
    caller: Annotated[Caller, Depends(authorize)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    clock = _state(request).clock
    return _move(
        request,
        caller,
        item_id,
        idempotency_key,
        body,
        lambda s, a: service.withdraw(s, item_id, body.reason, a, clock),
    )


@router.post(
    "/items/{item_id}/notices",
    name="items.notice",
    summary="Record an attempt to serve written notice (S6)",
    response_model=NoticeOut,
    responses=WRITE,
)
def notice(
    request: Request,
    item_id: ItemId,
    body: NoticeIn,
    caller: Annotated[Caller, Depends(authorize)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    actor, clock = caller.actor, _state(request).clock

    def work(session: Session) -> tuple[int, BaseModel]:
        views.readable_item(session, item_id, actor)
        outcome, moved = service.record_notice(
            session,
            item_id,
            body.case_id,
            body.recipient,
            body.language,
            body.signed,
            actor,
            clock,
        )
        return 200, NoticeOut(outcome=outcome, moved=_moved(moved) if moved else None)

    return answer_once(request, caller.principal.name, idempotency_key, body, work)


@router.post(
    "/items/{item_id}/fear-claims",
    name="items.fear",
    summary="Record a member's fear claim about the receiver (S5)",
    response_model=MovedOut,
    responses=WRITE,
)
def fear(
    request: Request,
    item_id: ItemId,
    body: FearIn,
    caller: Annotated[Caller, Depends(authorize)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    clock = _state(request).clock
    return _move(
        request,
        caller,
        item_id,
        idempotency_key,
        body,
        lambda s, a: service.claim_fear(s, item_id, body.case_id, a, clock),
    )


@router.post(
    "/items/{item_id}/fear-interview",
    name="items.interview",
    summary="Schedule the fear interview, at least 72 hours ahead",
    response_model=InterviewOut,
    responses=WRITE,
)
def interview(
    request: Request,
    item_id: ItemId,
    body: InterviewIn,
    caller: Annotated[Caller, Depends(authorize)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    actor, clock = caller.actor, _state(request).clock

    def work(session: Session) -> tuple[int, BaseModel]:
        views.readable_item(session, item_id, actor)
        at = body.at if body.at.tzinfo else body.at.replace(tzinfo=dt.UTC)
        claim = service.schedule_interview(session, item_id, at, actor, clock, case_id=body.case_id)
        return 200, InterviewOut(item_id=item_id, case_id=claim.case_id, at=at)

    return answer_once(request, caller.principal.name, idempotency_key, body, work)


@router.post(
    "/items/{item_id}/fear-outcome",
    name="items.fear_outcome",
    summary="Record a fear claim's outcome after its interview",
    response_model=MovedOut,
    responses=WRITE,
)
def fear_outcome(
    request: Request,
    item_id: ItemId,
    body: FearOutcomeIn,
    caller: Annotated[Caller, Depends(authorize)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    clock = _state(request).clock
    return _move(
        request,
        caller,
        item_id,
        idempotency_key,
        body,
        lambda s, a: service.decide_fear(s, item_id, body.outcome, a, clock, case_id=body.case_id),
    )


@router.post(
    "/items/{item_id}/clear",
    name="items.clear",
    summary="A supervisor's sign-off for this one family (S10, S14)",
    response_model=MovedOut,
    responses=WRITE,
)
def clear(
    request: Request,
    item_id: ItemId,
    body: ClearIn,
    caller: Annotated[Caller, Depends(authorize)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    clock = _state(request).clock
    return _move(
        request,
        caller,
        item_id,
        idempotency_key,
        body,
        lambda s, a: service.clear(
            s, item_id, a, clock, medical_confirmed=body.medical_fit_confirmed
        ),
    )


@router.post(
    "/items/{item_id}/schedule",
    name="items.schedule",
    summary="Schedule the transfer",
    response_model=MovedOut,
    responses=WRITE,
)
def schedule(
    request: Request,
    item_id: ItemId,
    body: ScheduleIn,
    caller: Annotated[Caller, Depends(authorize)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    clock = _state(request).clock
    return _move(
        request,
        caller,
        item_id,
        idempotency_key,
        body,
        lambda s, a: service.schedule(s, item_id, body.on, a, clock),
    )


@router.post(
    "/items/{item_id}/arrival",
    name="items.arrive",
    summary="Confirm arrival (consumes the reservation)",
    response_model=MovedOut,
    responses=WRITE,
)
def arrive(
    request: Request,
    item_id: ItemId,
    caller: Annotated[Caller, Depends(authorize)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    clock = _state(request).clock
    return _move(
        request,
        caller,
        item_id,
        idempotency_key,
        None,
        lambda s, a: service.confirm_arrival(s, item_id, a, clock),
    )


@router.post(
    "/items/{item_id}/onward",
    name="items.onward",
    summary="Record the onward outcome after transfer",
    response_model=MovedOut,
    responses=WRITE,
)
def onward(
    request: Request,
    item_id: ItemId,
    body: OnwardIn,
    caller: Annotated[Caller, Depends(authorize)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    clock = _state(request).clock
    return _move(
        request,
        caller,
        item_id,
        idempotency_key,
        body,
        lambda s, a: service.record_onward(s, item_id, body.outcome, a, clock, detail=body.detail),
    )


@router.post(
    "/items/{item_id}/check-ins",
    name="items.check_in",
    summary="Record a monitoring check-in (30, 90 or 180 days after transfer)",
    response_model=CheckInOut,
    responses=WRITE,
)
def check_in(
    request: Request,
    item_id: ItemId,
    body: CheckInIn,
    caller: Annotated[Caller, Depends(authorize)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    actor, clock = caller.actor, _state(request).clock

    def work(session: Session) -> tuple[int, BaseModel]:
        views.readable_item(session, item_id, actor)
        done = service.record_check_in(
            session, item_id, body.days, body.note, actor, clock, audience=body.audience
        )
        return 200, _check_in_out(views.check_in_view(done, actor))

    return answer_once(request, caller.principal.name, idempotency_key, body, work)


@router.post(
    "/items/{item_id}/close",
    name="items.close",
    summary="Close an item once its 30, 90 and 180-day check-ins are recorded",
    response_model=MovedOut,
    responses=WRITE,
)
def close(
    request: Request,
    item_id: ItemId,
    caller: Annotated[Caller, Depends(authorize)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    clock = _state(request).clock
    return _move(
        request,
        caller,
        item_id,
        idempotency_key,
        None,
        lambda s, a: service.move(s, item_id, "close", a, clock),
    )


# --- Review of a pool, several decisions at once ----------------------------------------------


class DecisionIn(Strict):
    item_id: int = Field(ge=1, le=2**31 - 1)
    decision: Literal["accept", "reject"]
    reason_code: ReasonCode | None = None
    reason_text: FreeText | None = Field(None, max_length=2000)


class DecisionsIn(Strict):
    decisions: list[DecisionIn] = Field(min_length=1, max_length=1000)


class DecisionOut(BaseModel):
    item_id: int
    decision: str
    done: bool
    repeated: bool
    refusal: str | None


@router.post(
    "/pools/{pool_id}/decisions",
    name="pools.decide",
    summary="Accept or reject several families: each decided and recorded on its own",
    response_model=list[DecisionOut],
    responses=WRITE,
)
def decide(
    request: Request,
    pool_id: PoolId,
    body: DecisionsIn,
    caller: Annotated[Caller, Depends(authorize)],
) -> list[DecisionOut]:
    """One transaction per decision: a refusal (a cap reached, a safeguard) is reported and the
    rest are still decided. A retried batch changes nothing already decided."""
    state = _state(request)
    with unit_of_work(state.store.sessions) as session:
        views.pool_view(session, pool_id, caller.actor)  # the reviewer may see this pool
        in_pool = {i.id for i in repository.items(session, proposal_id=pool_id)}
    strangers = [d.item_id for d in body.decisions if d.item_id not in in_pool]
    if strangers:
        raise NotFound(f"not in pool {pool_id}: items {', '.join(map(str, strangers))}")
    outcomes = review_batch(
        state.store.sessions,
        [Decision(d.item_id, d.decision, d.reason_code, d.reason_text) for d in body.decisions],
        caller.actor,
        state.clock,
    )
    return [
        DecisionOut(
            item_id=o.item_id,
            decision=o.decision,
            done=o.done,
            repeated=o.repeated,
            refusal=o.refusal,
        )
        for o in outcomes
    ]


# --- The matcher's proposal, computed only ----------------------------------------------------


class PinIn(Strict):
    family_id: FreeText = Field(max_length=64)
    agreement_id: FreeText = Field(max_length=64)


class PreviewIn(Strict):
    agreement_ids: list[Annotated[FreeText, Field(max_length=64)]] = Field(
        min_length=1, max_length=50
    )
    pin_in: list[PinIn] = Field(
        default_factory=list, max_length=10_000, description="A person put this family here."
    )
    pin_out: list[PinIn] = Field(
        default_factory=list, max_length=10_000, description="A person left this family out."
    )
    max_nationality_share: float = Field(1.0, gt=0, le=1)
    pace_monthly: bool = False
    time_limit: SolveSeconds = None


class PreviewFamily(BaseModel):
    family_id: str
    size: int
    score: float
    why: str


class PreviewPool(BaseModel):
    agreement_id: str
    pool_limit: int
    families: list[PreviewFamily]


class PreviewOut(BaseModel):
    """DESIGN §7's proposal format, with the matcher's certified gap."""

    objective: float
    gap: float | None
    agreements: list[PreviewPool]


@router.post(
    "/matching/preview",
    name="pools.preview",
    summary="What the matcher would propose now (nothing is stored; the run is audited)",
    response_model=PreviewOut,
    responses=WRITE,
)
def preview(
    request: Request, body: PreviewIn, caller: Annotated[Caller, Depends(authorize)]
) -> PreviewOut:
    state = _state(request)
    seconds = solve_seconds(request, body.time_limit)
    with unit_of_work(state.store.sessions) as session:
        agreements = [stored_agreement(session, a) for a in body.agreement_ids]
        for agreement in agreements:
            may_read(caller.actor, agreement, f"no agreement {agreement.id!r}")
        day = today(state.clock)
        proposal = match_stored(
            session,
            agreements,
            day,
            pinned_in=[(p.family_id, p.agreement_id) for p in body.pin_in],
            pinned_out=[(p.family_id, p.agreement_id) for p in body.pin_out],
            balance=Balance(body.max_nationality_share, body.pace_monthly),
            time_limit=seconds,
        )
        record_computed(session, caller.principal.name, proposal, day)
        document = proposal.to_json()
    return PreviewOut(
        objective=document["objective"],
        gap=proposal.solution.gap,
        agreements=document["agreements"],
    )
