"""/api/v1 agreements: the registry as each caller may see it, an agreement's ledger, the
aggregates a monitor reads (small cells suppressed), and incidents (S15)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from accord.access import acts_for_sender
from accord.agreements.service import change_status
from accord.agreements.views import agreement_rows, agreement_seen, visible_agreement
from accord.clock import today
from accord.db import unit_of_work
from accord.errors import Forbidden
from accord.monitoring import views as monitoring_views
from accord.monitoring.views import SMALL_CELL
from accord.proposals import views
from accord.proposals.screening import screen_stored
from accord.records.agreement import AgreementIn, SourceIn, Status
from accord.records.text import FreeText
from accord.web.auth import Caller, authorize
from accord.web.idempotency import IdempotencyKey, answer_once
from accord.web.paging import Limit, Offset, Page, QueryDay, page
from accord.web.paths import AgreementId
from accord.web.problems import responses
from accord.web.state import AppState, state_of

router = APIRouter(tags=["agreements"], dependencies=[Depends(authorize)])


class AgreementSummary(BaseModel):
    id: str
    title: str | None
    sender: str
    receiver: str
    kind: str
    status: str
    term_start: dt.date | None
    term_end: dt.date | None


@router.get(
    "/agreements",
    name="agreements.list",
    summary="Agreements the caller may see",
    response_model=Page[AgreementSummary],
    responses=responses(401, 403),
)
def list_agreements(
    request: Request,
    caller: Annotated[Caller, Depends(authorize)],
    limit: Limit = 50,
    offset: Offset = 0,
    status: Annotated[Status | None, Query()] = None,
    receiver: Annotated[FreeText | None, Query(max_length=16)] = None,
) -> Page[AgreementSummary]:
    with unit_of_work(state_of(request).store.sessions) as session:
        found = agreement_rows(session, caller.actor, status=status, receiver=receiver)
    return page([AgreementSummary(**asdict(row)) for row in found], limit, offset)


@router.get(
    "/agreements/{agreement_id}",
    name="agreements.get",
    summary="One agreement as recorded: status history, caps, instrument, criteria, sources",
    response_model=AgreementIn,
    responses=responses(401, 403, 404),
)
def get_agreement(
    request: Request, agreement_id: AgreementId, caller: Annotated[Caller, Depends(authorize)]
) -> AgreementIn:
    """The registry entry; the notes on its status changes are the sender's own words, read by
    the sender's staff only (the statuses, their days and their sources are shared)."""
    with unit_of_work(state_of(request).store.sessions) as session:
        return agreement_seen(session, caller.actor, agreement_id)


class CapHeld(BaseModel):
    kind: str
    limit: int | None
    period_start: dt.date | None
    period_end: dt.date | None
    held: int
    left: int | None


class LedgerRowOut(BaseModel):
    item_id: int
    kind: str
    persons: int
    families: int
    day: dt.date


class LedgerOut(BaseModel):
    agreement_id: str
    day: dt.date
    caps: list[CapHeld]
    present: int
    rows: list[LedgerRowOut]


@router.get(
    "/agreements/{agreement_id}/ledger",
    name="agreements.ledger",
    summary="The quota ledger: each cap's limit, what it holds on the day, every row (S13)",
    response_model=LedgerOut,
    responses=responses(401, 403, 404),
)
def get_ledger(
    request: Request,
    agreement_id: AgreementId,
    caller: Annotated[Caller, Depends(authorize)],
    on: Annotated[QueryDay | None, Query(description="The day (default today).")] = None,
) -> LedgerOut:
    state = state_of(request)
    with unit_of_work(state.store.sessions) as session:
        visible_agreement(session, caller.actor, agreement_id)
        view = views.ledger_view(session, agreement_id, on or today(state.clock), caller.actor)
        return LedgerOut(
            agreement_id=agreement_id,
            day=view.day,
            caps=[
                CapHeld(
                    kind=h.cap.kind,
                    limit=h.cap.limit,
                    period_start=h.period[0] if h.period else None,
                    period_end=h.period[1] if h.period else None,
                    held=h.held,
                    left=h.left,
                )
                for h in view.caps
            ],
            present=view.present,
            rows=[
                LedgerRowOut(
                    item_id=e.item_id,
                    kind=e.kind,
                    persons=e.persons,
                    families=e.families,
                    day=e.day,
                )
                for e in view.entries
            ],
        )


class Cell(BaseModel):
    label: str
    count: int | None = Field(
        description="Null when suppressed: a count from 1 to 4, or one that would give one back"
        " (DESIGN §6; docs/reports.md)."
    )


class Aggregates(BaseModel):
    agreement_id: str
    day: dt.date
    suppressed_below: int = SMALL_CELL
    families_by_state: list[Cell]
    people_transferred: Cell
    people_present: Cell
    rejections_by_reason: list[Cell]
    check_ins_done: Cell
    check_ins_overdue: Cell
    incidents: Cell


@router.get(
    "/agreements/{agreement_id}/aggregates",
    name="agreements.aggregates",
    summary="Counts for monitoring, with cells under 5 suppressed",
    response_model=Aggregates,
    responses=responses(401, 403, 404),
)
def aggregates(
    request: Request, agreement_id: AgreementId, caller: Annotated[Caller, Depends(authorize)]
) -> Aggregates:
    state = state_of(request)
    day = today(state.clock)
    with unit_of_work(state.store.sessions) as session:
        counts = monitoring_views.aggregates(session, caller.actor, agreement_id, day)
    return Aggregates(**asdict(counts))


class AgreementStatusOut(BaseModel):
    agreement_id: str
    status: str


class ScreeningSummary(BaseModel):
    agreement_id: str
    on: dt.date
    people: int
    eligible: int
    blocked: int
    blocked_by_rule: dict[str, int] = Field(
        description="People blocked per rule (a safeguard id or a criterion id); one person may"
        " be blocked by several."
    )


@router.get(
    "/agreements/{agreement_id}/screening",
    name="screening.summary",
    summary="Screen every person on record for an agreement on a day: how many are eligible,"
    " and what blocks the others",
    response_model=ScreeningSummary,
    responses=responses(401, 403, 404),
)
def screening_summary(
    request: Request,
    agreement_id: AgreementId,
    caller: Annotated[Caller, Depends(authorize)],
    on: Annotated[QueryDay | None, Query(description="The day (default today).")] = None,
) -> ScreeningSummary:
    state = state_of(request)
    day = on or today(state.clock)
    with unit_of_work(state.store.sessions) as session:
        visible_agreement(session, caller.actor, agreement_id)
        results = screen_stored(session, [agreement_id], day)
    by_rule = Counter(rule for r in results for rule in {b.rule for b in r.blocked_by})
    eligible = sum(r.eligible for r in results)
    return ScreeningSummary(
        agreement_id=agreement_id,
        on=day,
        people=len(results),
        eligible=eligible,
        blocked=len(results) - eligible,
        blocked_by_rule=dict(sorted(by_rule.items())),
    )


class StatusChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status
    date: dt.date
    source_key: FreeText = Field(
        min_length=1, max_length=64, description="A source already recorded, or the new one's key."
    )
    source: SourceIn | None = Field(
        None,
        description="A new source for this change: the registry's record of a reported fact,"
        " read by every party to the agreement (cite the public source; the `note` is the"
        " sender's own, read by its staff only).",
    )
    note: FreeText | None = Field(None, max_length=2000)


@router.post(
    "/agreements/{agreement_id}/status",
    name="agreements.status",
    summary="Move an agreement along its lifecycle (legal moves only, each with its source)",
    response_model=AgreementStatusOut,
    responses=responses(400, 401, 403, 404, 409),
)
def change_agreement_status(
    request: Request,
    agreement_id: AgreementId,
    body: StatusChangeIn,
    caller: Annotated[Caller, Depends(authorize)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    state = state_of(request)
    if not acts_for_sender(
        caller.principal.role, caller.principal.party, peek(state, caller, agreement_id)
    ):
        raise Forbidden(f"{caller.principal.name} does not act for the sender of {agreement_id}")

    def work(session: Session) -> tuple[int, BaseModel]:
        changed = change_status(
            session,
            agreement_id,
            body.status,
            date=body.date,
            actor=caller.principal.name,
            role=caller.principal.role,
            party=caller.principal.party,
            source_key=body.source_key,
            new_source=body.source,
            note=body.note,
        )
        return 200, AgreementStatusOut(agreement_id=agreement_id, status=changed.status)

    return answer_once(request, caller.principal.name, idempotency_key, body, work)


def peek(state: AppState, caller: Caller, agreement_id: str) -> AgreementIn:
    with unit_of_work(state.store.sessions) as session:
        return visible_agreement(session, caller.actor, agreement_id)
