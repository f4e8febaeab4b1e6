"""/api/v1 pools and items: read them as the caller may (the sender's full view, the
receiver's minimized view) and make every workflow move. Thin over the service: each request
is one unit of work; the route's rule in `accord.access` is checked before anything runs."""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from anyio import from_thread
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from accord.access import Actor, may_read, may_see
from accord.agreements.service import stored_agreement, stored_agreements
from accord.cases.minimized import MinimizedPerson
from accord.clock import today
from accord.config import MOST_SOLVE_SECONDS
from accord.db import unit_of_work
from accord.errors import MalformedInput, Problem
from accord.matching.proposal import Balance
from accord.models import Proposal, ProposalItem
from accord.monitoring.moves import BINDINGS
from accord.proposals import jobs, repository, views
from accord.proposals.batch import Decision, review_pool
from accord.proposals.moves import Binding, InterviewSet, NoticeRecorded
from accord.proposals.notices import served_document
from accord.proposals.pools import (
    match,
    matcher_input,
    proposable,
    propose_pool,
    record_computed,
)
from accord.proposals.repository import PoolRow
from accord.proposals.service import Moved
from accord.records.moves import DecisionsIn
from accord.records.text import FreeText
from accord.records.vocabulary import NoticeOutcome
from accord.web.auth import Caller, authorize
from accord.web.files import pdf_response
from accord.web.idempotency import IdempotencyKey, answer_once
from accord.web.paging import Limit, Offset, Page, page
from accord.web.paths import ItemId, JobId, NoticeId, PoolId
from accord.web.problems import SERVER_BOUND, responses
from accord.web.state import state_of
from accord.workflow.audience import Audience

router = APIRouter(tags=["pools and items"], dependencies=[Depends(authorize)])
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


def _pool_out(proposal: Proposal, items: Sequence[ProposalItem | PoolRow], actor: Actor) -> PoolOut:
    """The pool as `accord.proposals.views.pool_seen` says the actor may see it."""
    return PoolOut.model_validate(views.pool_seen(proposal, items, actor), from_attributes=True)


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
    with unit_of_work(state_of(request).store.sessions) as session:
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
    with unit_of_work(state_of(request).store.sessions) as session:
        view = views.pool_view(session, pool_id, actor)
        return _pool_out(view.proposal, view.items, actor)


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
    with unit_of_work(state_of(request).store.sessions) as session:
        seen = views.item_seen(session, item_id, caller.actor)
        return ItemOut.model_validate(seen, from_attributes=True)


@router.get(
    "/items/{item_id}/notices/{notice_id}.pdf",
    name="items.notice_document",
    summary="The document a notice served (PDF), typeset again: the bytes whose SHA-256 was"
    " recorded",
    response_class=Response,
    responses={**READ, 200: {"content": {"application/pdf": {}}}},
)
def get_notice_document(
    request: Request,
    item_id: ItemId,
    notice_id: NoticeId,
    caller: Annotated[Caller, Depends(authorize)],
) -> Response:
    with unit_of_work(state_of(request).store.sessions) as session:
        copy = served_document(session, item_id, notice_id, caller.actor)
        name = f"notice-{item_id}-{copy.notice.case_id}-{notice_id}.pdf"
    return pdf_response(copy.document.pdf, name)


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
    bound = state_of(request).store.settings.max_solve_seconds
    if asked is None:
        return bound
    if asked > bound:
        raise MalformedInput(
            "the request",
            [Problem("body.time_limit", f"at most {bound:g} seconds on this server")],
        )
    return asked


class JobPoint(BaseModel):
    t: float = Field(description="Seconds since the solve began.")
    best: float = Field(description="The best plan's objective so far.")
    bound: float = Field(description="The proven bound: no plan scores more.")
    gap: float | None = Field(description="(bound - best) / bound: how far from optimal at most.")


class JobOut(BaseModel):
    """A matcher run done as a job: how far it got, and its answer when done."""

    id: int
    state: Literal["queued", "running", "done", "failed"]
    url: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    progress: list[JobPoint]
    result: PreviewOut | None
    pools: list[int] | None = Field(
        None, description="The pools a proposal job stored, once done (a preview stores none)."
    )
    error: str | None


def job_out(view: jobs.JobView) -> JobOut:
    return JobOut(
        id=view.id,
        state=view.state,
        url=f"/api/v1/matching/jobs/{view.id}",
        created_at=view.created_at,
        started_at=view.started_at,
        finished_at=view.finished_at,
        progress=[JobPoint.model_validate(p) for p in view.progress],
        result=None if view.result is None else PreviewOut.model_validate(view.result),
        pools=None if view.result is None else view.result.get("pools"),
        error=view.error,
    )


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
    description="A run over at least `ACCORD_JOB_ABOVE_PAIRS` eligible pairs is done as a job:"
    " the answer is then 202 with the job, whose `url` gives its progress and, when done, the"
    " pools it stored (`pools`).",
    responses={**WRITE, 202: {"model": JobOut, "description": "Queued as a job."}},
)
def propose(
    request: Request,
    body: ProposeIn,
    caller: Annotated[Caller, Depends(authorize)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    actor, state = caller.actor, state_of(request)
    seconds = solve_seconds(request, body.time_limit)

    def work(session: Session) -> tuple[int, BaseModel]:
        agreement = stored_agreement(session, body.agreement_id)
        may_read(actor, agreement, f"no agreement {body.agreement_id!r}")
        day = today(state.clock)
        proposable(session, agreement, actor, day)
        given = matcher_input(session, [agreement], day)
        if given.pairs >= state.store.settings.job_above_pairs:
            ask = jobs.PreviewAsk(
                (agreement.id,),
                pinned_out=tuple((f, agreement.id, "") for f in sorted(set(body.pin_out))),
                time_limit=seconds,
                store=True,
            )
            job = jobs.submit(session, ask, actor, state.clock)
            return 202, job_out(jobs.job_view(session, job.id, actor, state.clock.now()))
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

    answer = answer_once(request, caller.principal.name, idempotency_key, body, work)
    if answer.status_code == 202:  # queued as a job: a replayed answer queues nothing new
        queued = JobOut.model_validate_json(bytes(answer.body))
        from_thread.run(state.jobs.enqueue, queued.id)
        answer.headers["Location"] = queued.url
    return answer


# --- Moves ------------------------------------------------------------------------------------


class NoticeOut(BaseModel):
    outcome: NoticeOutcome
    moved: MovedOut | None = Field(description="The move to notified, once everyone is served.")
    notice_id: int = Field(description="The notice; its document is at .../notices/{id}.pdf.")
    document_sha256: str = Field(description="SHA-256 of the document served.")


class InterviewOut(BaseModel):
    item_id: int
    case_id: str
    at: dt.datetime


ANSWERS: dict[type[Any], type[BaseModel]] = {
    Moved: MovedOut,
    NoticeRecorded: NoticeOut,
    InterviewSet: InterviewOut,
    views.CheckInView: CheckInOut,
}
"""What a move's route answers, by what its command returns (read from its attributes)."""

CallerParam = Annotated[Caller, Depends(authorize)]


def _move_route(binding: Binding[Any, Any]) -> None:
    """`POST /items/{item_id}/<move>`: the move's body, checked by its model; the item, not found
    unless the caller may read it; then the move's command, once per Idempotency-Key."""
    move = binding.move
    answer = ANSWERS[binding.result]

    def endpoint(
        request: Request,
        item_id: int,
        caller: Caller,
        idempotency_key: str | None = None,
        body: BaseModel | None = None,
    ) -> JSONResponse:
        actor, clock = caller.actor, state_of(request).clock

        def work(session: Session) -> tuple[int, BaseModel]:
            views.readable_item(session, item_id, actor)
            done = binding.command(session, item_id, body, actor, clock, None)
            return 200, answer.model_validate(done, from_attributes=True)

        return answer_once(request, caller.principal.name, idempotency_key, body, work)

    keyword = inspect.Parameter.KEYWORD_ONLY
    parameters = [
        inspect.Parameter("request", keyword, annotation=Request),
        inspect.Parameter("item_id", keyword, annotation=ItemId),
        *(
            [inspect.Parameter("body", keyword, annotation=move.body)]
            if move.body is not None
            else []
        ),
        inspect.Parameter("caller", keyword, annotation=CallerParam),
        inspect.Parameter("idempotency_key", keyword, annotation=IdempotencyKey, default=None),
    ]
    endpoint.__signature__ = inspect.Signature(parameters, return_annotation=JSONResponse)  # type: ignore[attr-defined]
    endpoint.__name__ = endpoint.__qualname__ = move.name
    router.add_api_route(
        move.path(),
        endpoint,
        methods=["POST"],
        name=move.rule,
        summary=move.summary,
        response_model=answer,
        responses=WRITE,
    )


for _binding in BINDINGS.values():
    _move_route(_binding)


# --- Review of a pool, several decisions at once ----------------------------------------------


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
    state = state_of(request)
    outcomes = review_pool(
        state.store.sessions,
        pool_id,
        [Decision(d.item_id, d.decision, d.reason_code, d.reason_text) for d in body.decisions],
        caller.actor,
        state.clock,
    )
    return [DecisionOut.model_validate(o, from_attributes=True) for o in outcomes]


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
    description="A run over more eligible pairs than the server answers within a request"
    " (`ACCORD_JOB_ABOVE_PAIRS`) is done as a job: the answer is then 202 with the job, whose"
    " `url` gives its progress and, when done, the same answer.",
    response_model=PreviewOut,
    responses={**WRITE, 202: {"model": JobOut, "description": "Queued as a job."}},
)
def preview(
    request: Request, body: PreviewIn, caller: Annotated[Caller, Depends(authorize)]
) -> Any:
    state = state_of(request)
    seconds = solve_seconds(request, body.time_limit)
    pinned_in = [(p.family_id, p.agreement_id) for p in body.pin_in]
    pinned_out = [(p.family_id, p.agreement_id) for p in body.pin_out]
    balance = Balance(body.max_nationality_share, body.pace_monthly)
    with unit_of_work(state.store.sessions) as session:
        agreements = [stored_agreement(session, a) for a in body.agreement_ids]
        for agreement in agreements:
            may_read(caller.actor, agreement, f"no agreement {agreement.id!r}")
        day = today(state.clock)
        given = matcher_input(session, agreements, day)
        queued = None
        if given.pairs >= state.store.settings.job_above_pairs:
            ask = jobs.PreviewAsk(
                tuple(body.agreement_ids),
                tuple((f, a, "") for f, a in pinned_in),
                tuple((f, a, "") for f, a in pinned_out),
                balance.max_nationality_share,
                balance.pace_monthly,
                seconds,
            )
            queued = jobs.submit(session, ask, caller.actor, state.clock).id
    if queued is not None:
        from_thread.run(state.jobs.enqueue, queued)
        with unit_of_work(state.store.sessions) as session:
            view = jobs.job_view(session, queued, caller.actor, state.clock.now())
        answer = job_out(view)
        return JSONResponse(
            answer.model_dump(mode="json"), status_code=202, headers={"Location": answer.url}
        )
    proposal = match(
        given, pinned_in=pinned_in, pinned_out=pinned_out, balance=balance, time_limit=seconds
    )
    with unit_of_work(state.store.sessions) as session:
        record_computed(session, caller.principal.name, proposal, day)
    document = proposal.to_json()
    return PreviewOut(
        objective=document["objective"],
        gap=proposal.solution.gap,
        agreements=document["agreements"],
    )


@router.get(
    "/matching/jobs/{job_id}",
    name="pools.job",
    summary="A matcher run done as a job: its progress, and its answer when done",
    response_model=JobOut,
    responses=responses(401, 403, 404),
)
def matcher_job(
    request: Request,
    job_id: JobId,
    caller: Annotated[Caller, Depends(authorize)],
) -> JobOut:
    state = state_of(request)
    with unit_of_work(state.store.sessions) as session:
        return job_out(jobs.job_view(session, job_id, caller.actor, state.clock.now()))
