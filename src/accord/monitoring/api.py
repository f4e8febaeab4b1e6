"""/api/v1 monitoring: incidents under an agreement (S15) and the check-ins due after
transfer."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from accord.agreements.api import AgreementId, AgreementStatusOut, app_state, one_visible
from accord.clock import today
from accord.db import unit_of_work
from accord.monitoring import service as monitoring
from accord.proposals import repository as workflow
from accord.records.text import FreeText
from accord.web.auth import Caller, authorize
from accord.web.idempotency import IdempotencyKey, answer_once
from accord.web.paging import Limit, Offset, Page, page
from accord.web.problems import responses
from accord.workflow.audience import AUDIENCE_HELP, Audience, audience_seen, readable
from accord.workflow.disclosure import shown_author

router = APIRouter(tags=["monitoring"], dependencies=[Depends(authorize)])


# --- Incidents (S15) ---------------------------------------------------------------------------


class IncidentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(pattern="^(onward_removal|ill_treatment|other)$")
    text: FreeText = Field(min_length=1, max_length=4000)
    audience: Audience = Field(
        description=AUDIENCE_HELP
        + " A suspension's source in the agreement's status history, which every party to the"
        " agreement reads, quotes the text only when it is shared."
    )


class IncidentOut(BaseModel):
    id: int
    agreement_id: str
    kind: str
    reported_on: dt.date
    suspends: bool


class LiftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: FreeText = Field(min_length=10, max_length=4000)


@router.post(
    "/agreements/{agreement_id}/incidents",
    name="incidents.report",
    summary="Report an incident; onward removal or ill-treatment suspends the agreement",
    status_code=201,
    response_model=IncidentOut,
    responses=responses(400, 401, 403, 404, 409),
)
def report_incident(
    request: Request,
    agreement_id: AgreementId,
    body: IncidentIn,
    caller: Annotated[Caller, Depends(authorize)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    state = app_state(request)

    def work(session: Session) -> tuple[int, BaseModel]:
        one_visible(session, caller, agreement_id)
        incident = monitoring.report_incident(
            session,
            agreement_id,
            body.kind,
            body.text,
            caller.actor,
            state.clock,
            audience=body.audience,
        )
        return 201, IncidentOut(
            id=incident.id,
            agreement_id=agreement_id,
            kind=incident.kind,
            reported_on=incident.reported_on,
            suspends=incident.suspends,
        )

    return answer_once(request, caller.principal.name, idempotency_key, body, work)


@router.post(
    "/agreements/{agreement_id}/lift-suspension",
    name="incidents.lift",
    summary="A supervisor lifts a suspension, with a reason",
    response_model=AgreementStatusOut,
    responses=responses(400, 401, 403, 404, 409),
)
def lift_suspension(
    request: Request,
    agreement_id: AgreementId,
    body: LiftIn,
    caller: Annotated[Caller, Depends(authorize)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    state = app_state(request)

    def work(session: Session) -> tuple[int, BaseModel]:
        one_visible(session, caller, agreement_id)
        monitoring.lift_suspension(session, agreement_id, body.reason, caller.actor, state.clock)
        return 200, AgreementStatusOut(agreement_id=agreement_id, status="in_force")

    return answer_once(request, caller.principal.name, idempotency_key, body, work)


class IncidentRecord(IncidentOut):
    reported_by: str
    text: str | None = Field(
        description="Null when it is for the sender's staff and the caller is not (DESIGN §6)."
    )
    audience: Audience | None = Field(
        description="Sender only: who the text is for (`sender` or `shared`)."
    )
    lifted_on: dt.date | None
    lifted_by: str | None
    lift_reason: str | None = Field(
        description="Sender only: the supervisor's reason, the sender's own words."
    )


@router.get(
    "/agreements/{agreement_id}/incidents",
    name="incidents.list",
    summary="Incidents reported under an agreement, and the lifting of suspensions",
    response_model=Page[IncidentRecord],
    responses=responses(401, 403, 404),
)
def list_incidents(
    request: Request,
    agreement_id: AgreementId,
    caller: Annotated[Caller, Depends(authorize)],
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[IncidentRecord]:
    role = caller.principal.role
    with unit_of_work(app_state(request).store.sessions) as session:
        one_visible(session, caller, agreement_id)
        rows = [
            IncidentRecord(
                id=i.id,
                agreement_id=agreement_id,
                kind=i.kind,
                reported_on=i.reported_on,
                suspends=i.suspends,
                reported_by=shown_author(i.reported_by, i.reported_role, role) or "",
                text=readable(i.text, i.shared, role),
                audience=audience_seen(i.shared, role),
                lifted_on=i.lifted_on,
                lifted_by=shown_author(i.lifted_by, "supervisor", role),
                lift_reason=readable(i.lift_reason, False, role),
            )
            for i in workflow.incidents(session, agreement_id)
        ]
    return page(rows, limit, offset)


class CheckInDue(BaseModel):
    item_id: int
    days: int
    due_on: dt.date
    done_on: dt.date | None
    overdue: bool
    note: str | None = Field(
        description="Null when there is none, or when it is for the sender's staff and the"
        " caller is not (DESIGN §6)."
    )
    audience: Audience | None = Field(
        description="Sender only: who the note is for (`sender` or `shared`)."
    )


@router.get(
    "/agreements/{agreement_id}/check-ins",
    name="checkins.list",
    summary="Monitoring check-ins (30, 90, 180 days after transfer): due, done and overdue",
    response_model=Page[CheckInDue],
    responses=responses(401, 403, 404),
)
def list_check_ins(
    request: Request,
    agreement_id: AgreementId,
    caller: Annotated[Caller, Depends(authorize)],
    limit: Limit = 50,
    offset: Offset = 0,
    pending: Annotated[bool, Query(description="Only those not yet done.")] = False,
) -> Page[CheckInDue]:
    state = app_state(request)
    day = today(state.clock)
    role = caller.principal.role
    with unit_of_work(state.store.sessions) as session:
        one_visible(session, caller, agreement_id)
        rows = [
            CheckInDue(
                item_id=c.item_id,
                days=c.due_days,
                due_on=c.due_on,
                done_on=c.done_on,
                overdue=c.done_on is None and c.due_on < day,
                note=readable(c.note, c.shared, role),
                audience=audience_seen(c.shared, role) if c.done_on else None,
            )
            for item in workflow.items(session, agreement_id=agreement_id)
            for c in workflow.check_ins(session, item.id)
            if not (pending and c.done_on is not None)
        ]
    rows.sort(key=lambda c: (c.due_on, c.item_id))
    return page(rows, limit, offset)
