"""/api/v1 monitoring: incidents under an agreement (S15) and the check-ins due after
transfer."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from accord.agreements.api import AgreementStatusOut
from accord.clock import today
from accord.db import unit_of_work
from accord.monitoring import schemas, views
from accord.monitoring import service as monitoring
from accord.monitoring.schemas import IncidentIn
from accord.web.auth import Caller, authorize
from accord.web.idempotency import IdempotencyKey, answer_once
from accord.web.paging import Limit, Offset, Page, page
from accord.web.paths import AgreementId
from accord.web.problems import responses
from accord.web.state import state_of
from accord.workflow.audience import Audience

router = APIRouter(tags=["monitoring"], dependencies=[Depends(authorize)])


# The lifting body the page forms read too, under the name the API's document has given it
# (`accord__monitoring__api__LiftIn`: the cases API has a `LiftIn` of its own). No docstring: it
# would be the schema's description.
class LiftIn(schemas.LiftIn):
    pass


# --- Incidents (S15) ---------------------------------------------------------------------------


class IncidentOut(BaseModel):
    id: int
    agreement_id: str
    kind: str
    reported_on: dt.date
    suspends: bool


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
    state = state_of(request)

    def work(session: Session) -> tuple[int, BaseModel]:
        incident = monitoring.report_incident_seen(
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
    state = state_of(request)

    def work(session: Session) -> tuple[int, BaseModel]:
        monitoring.lift_suspension_seen(
            session, agreement_id, body.reason, caller.actor, state.clock
        )
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
    with unit_of_work(state_of(request).store.sessions) as session:
        seen = views.incidents_seen(session, caller.actor, agreement_id)
    rows = [IncidentRecord(**asdict(i)) for i in seen]
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
    state = state_of(request)
    with unit_of_work(state.store.sessions) as session:
        due = views.check_ins_due(
            session, caller.actor, agreement_id, today(state.clock), pending=pending
        )
    rows = [CheckInDue(**asdict(c)) for c in due]
    return page(rows, limit, offset)
