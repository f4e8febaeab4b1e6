"""/api/v1 people: the sender's case files. Officers and supervisors of the sender only; every
read of a person's record is an audit event naming who read which view."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from accord.cases import views
from accord.cases.protective import LiftableFact
from accord.cases.reader import Row
from accord.cases.service import sender_staff_only
from accord.clock import today
from accord.db import unit_of_work
from accord.proposals.case_facts import assess, import_case_files, lift_fact, record_case_change
from accord.records.person import PersonRecord
from accord.records.text import FreeText
from accord.records.vocabulary import CaseChange
from accord.web.auth import Caller, authorize
from accord.web.paging import Limit, Offset, Page, QueryDay
from accord.web.paths import CaseId
from accord.web.problems import responses
from accord.web.state import state_of

router = APIRouter(tags=["people"], dependencies=[Depends(authorize)])


class PersonSummary(BaseModel):
    """A row of `views.PersonRow` on the wire."""

    case_id: str
    family_id: str
    relationship: str
    given_name: str
    family_name: str
    birth_date: dt.date
    nationalities: list[str]


class CheckOut(BaseModel):
    rule: str
    text: str
    passed: bool
    reason: str
    sources: list[str]


class Explanation(BaseModel):
    case_id: str
    agreement_id: str
    on: dt.date
    eligible: bool
    checks: list[CheckOut]


@router.get(
    "/people",
    name="people.list",
    summary="People on record (names and ids only; each listing is audited)",
    response_model=Page[PersonSummary],
    responses=responses(401, 403),
)
def list_people(
    request: Request,
    caller: Annotated[Caller, Depends(authorize)],
    limit: Limit = 50,
    offset: Offset = 0,
    family_id: Annotated[FreeText | None, Query(max_length=64)] = None,
    family_name: Annotated[
        FreeText | None, Query(max_length=200, description="Starts with.")
    ] = None,
    nationality: Annotated[FreeText | None, Query(min_length=2, max_length=2)] = None,
) -> Page[PersonSummary]:
    search = views.PeopleSearch(
        family_id=family_id, family_name=family_name, nationality=nationality
    )
    with unit_of_work(state_of(request).store.sessions) as session:
        found = views.people_page(session, caller.actor, search, limit=limit, offset=offset)
    return Page[PersonSummary](
        items=[PersonSummary.model_validate(p, from_attributes=True) for p in found.items],
        total=found.total,
        limit=limit,
        offset=offset,
    )


@router.get(
    "/people/{case_id}",
    name="people.get",
    summary="A person's whole record (the read is audited)",
    response_model=PersonRecord,
    responses=responses(401, 403, 404),
)
def get_person_record(
    request: Request, case_id: CaseId, caller: Annotated[Caller, Depends(authorize)]
) -> PersonRecord:
    with unit_of_work(state_of(request).store.sessions) as session:
        return views.person_record(session, caller.actor, case_id)


@router.get(
    "/people/{case_id}/screening",
    name="people.screening",
    summary="Why a person is or is not eligible for an agreement on a day: rule by rule",
    response_model=Explanation,
    responses=responses(401, 403, 404),
)
def explain(
    request: Request,
    case_id: CaseId,
    caller: Annotated[Caller, Depends(authorize)],
    agreement_id: Annotated[FreeText, Query(max_length=64)],
    on: Annotated[QueryDay | None, Query(description="The day (default today).")] = None,
) -> Explanation:
    state = state_of(request)
    day = on or today(state.clock)
    with unit_of_work(state.store.sessions) as session:
        found = views.explanation(session, caller.actor, case_id, agreement_id, day)
    return Explanation(
        case_id=found.case_id,
        agreement_id=found.agreement_id,
        on=found.on,
        eligible=found.eligible,
        checks=[
            CheckOut(
                rule=c.rule,
                text=c.text,
                passed=c.passed,
                reason=c.reason,
                sources=list(c.sources),
            )
            for c in found.checks
        ],
    )


class CaseChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    change: CaseChange
    against: FreeText | None = Field(
        None, min_length=2, max_length=2, description="A new claim: the country it is against."
    )
    claim_type: Literal["refugee", "withholding", "cat", "temporary"] = "refugee"


class CancelledOut(BaseModel):
    item_id: int
    from_state: str | None
    to_state: str


@router.post(
    "/people/{case_id}/case-changes",
    name="people.case_change",
    summary="A court stay, a new protection claim or an appeal: recorded on the person, and"
    " every open item of the family cancelled (places released)",
    response_model=list[CancelledOut],
    responses=responses(400, 401, 403, 404, 409),
)
def case_change(
    request: Request,
    case_id: CaseId,
    body: CaseChangeIn,
    caller: Annotated[Caller, Depends(authorize)],
) -> list[CancelledOut]:
    state = state_of(request)
    with unit_of_work(state.store.sessions) as session:
        sender_staff_only(session, caller.actor)
        cancelled = record_case_change(
            session,
            case_id,
            body.change,
            caller.actor,
            state.clock,
            against=body.against.upper() if body.against else None,
            claim_type=body.claim_type,
        )
        return [
            CancelledOut(item_id=m.item_id, from_state=m.from_state, to_state=m.to_state)
            for m in cancelled
        ]


class LiftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fact: LiftableFact = Field(description="The protective fact that has ended.")
    detail: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="Which one, where there can be several: the country of a protection or fear"
        " claim, the vulnerability.",
    )
    reason: FreeText = Field(
        min_length=10, max_length=2000, description="Why it ended (the order, the decision)."
    )


@router.post(
    "/people/{case_id}/lifts",
    name="people.lift",
    summary="A supervisor ends one protective fact with a reason (a stay set aside, an appeal"
    " decided, a pending claim withdrawn or refused): the only way one goes away",
    status_code=204,
    responses=responses(400, 401, 403, 404, 409),
)
def lift(
    request: Request,
    case_id: CaseId,
    body: LiftIn,
    caller: Annotated[Caller, Depends(authorize)],
) -> None:
    state = state_of(request)
    with unit_of_work(state.store.sessions) as session:
        sender_staff_only(session, caller.actor)
        lift_fact(
            session,
            case_id,
            body.fact,
            body.reason,
            caller.actor,
            state.clock,
            detail=body.detail.upper()
            if body.fact in ("protection", "fear_claim") and body.detail
            else body.detail,
        )


class AssessmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule: Literal["S8"] = "S8"
    reason: FreeText = Field(
        min_length=10, max_length=2000, description="The assessment's reasons."
    )


class AssessmentOut(BaseModel):
    rule: str
    by: str
    date: dt.date
    reason: str


@router.post(
    "/people/{case_id}/assessments",
    name="people.assess",
    summary="A supervisor's individual assessment (S8), dated today and audited",
    response_model=AssessmentOut,
    status_code=201,
    responses=responses(400, 401, 403, 404, 409),
)
def record_assessment(
    request: Request,
    case_id: CaseId,
    body: AssessmentIn,
    caller: Annotated[Caller, Depends(authorize)],
) -> AssessmentOut:
    state = state_of(request)
    with unit_of_work(state.store.sessions) as session:
        sender_staff_only(session, caller.actor)
        done = assess(session, case_id, body.rule, body.reason, caller.actor, state.clock)
        return AssessmentOut(rule=done.rule, by=done.by, date=done.date, reason=done.reason)


class PeopleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: FreeText = Field(
        min_length=1, max_length=200, description="Where the records come from (audited)."
    )
    records: list[PersonRecord] = Field(min_length=1, max_length=2000)


class ImportOut(BaseModel):
    created: int
    updated: int
    unchanged: int
    families: int
    notes: list[str]
    kept: list[str] = Field(
        description="Protective facts the store held and the records left out: kept, since"
        " records never remove one (a supervisor lifts it, with a reason)."
    )
    rechecked: list[str] = Field(
        description="The open items of the families changed, judged again: cancelled, held or"
        " going on, one line each."
    )


@router.post(
    "/people",
    name="people.import",
    summary="Import case records: all or nothing, re-importing the same record changes nothing",
    response_model=ImportOut,
    responses=responses(400, 401, 403, 409),
)
def import_records(
    request: Request, body: PeopleIn, caller: Annotated[Caller, Depends(authorize)]
) -> ImportOut:
    """Each record is validated as it arrives (a malformed one is a 422 naming
    `body.records.N.field`); the family checks run on the families as they will be, and one
    failing family refuses the whole batch, naming it."""
    state = state_of(request)
    with unit_of_work(state.store.sessions) as session:
        sender_staff_only(session, caller.actor)
        report = import_case_files(
            session,
            [Row(f"records[{n}]", record) for n, record in enumerate(body.records)],
            source=body.source,
            actor=caller.actor,
            clock=state.clock,
        )
        return ImportOut(
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            families=report.families,
            notes=[f"{n.family_id}: {n.message}" for n in report.notes],
            kept=[str(k) for k in report.kept],
            rechecked=report.rechecked,
        )
