"""/api/v1 people: the sender's case files. Officers and supervisors of the sender only; every
read of a person's record is an audit event naming who read which view."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from accord.agreements.service import stored_agreement, stored_agreements
from accord.audit.service import Entry, record_many
from accord.cases.protective import LiftableFact
from accord.cases.reader import Row
from accord.cases.repository import get_person, people_page
from accord.cases.service import to_record
from accord.clock import today
from accord.db import unit_of_work
from accord.errors import Forbidden, NotFound
from accord.proposals.case_facts import assess, import_case_files, lift_fact, record_case_change
from accord.proposals.screening import explain_stored
from accord.records.person import PersonRecord
from accord.records.text import FreeText
from accord.records.vocabulary import CaseChange
from accord.web.auth import Caller, authorize
from accord.web.paging import Limit, Offset, Page, QueryDay
from accord.web.problems import responses
from accord.web.state import AppState

router = APIRouter(tags=["people"], dependencies=[Depends(authorize)])
CaseId = Annotated[FreeText, Path(max_length=64, description="A person's case id.")]


class PersonSummary(BaseModel):
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


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.accord
    return state


def _senders_staff(session: Session, caller: Caller) -> None:
    """The case files are the sender's: staff of a party that sends under no agreement here
    read none of them."""
    party = caller.principal.party
    if party is not None and party not in {a.sender for a in stored_agreements(session)}:
        raise Forbidden(f"{caller.principal.name} acts for {party}, which sends no one here")


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
    with unit_of_work(_state(request).store.sessions) as session:
        _senders_staff(session, caller)
        shown, total = people_page(
            session,
            limit=limit,
            offset=offset,
            family_id=family_id,
            family_name_prefix=family_name,
            nationality=None if nationality is None else nationality.upper(),
        )
        record_many(
            session,
            caller.principal.name,
            [
                Entry("person.read", "person", p.case_id, {"view": "summary", "via": "list"})
                for p in shown
            ],
        )
        return Page[PersonSummary](
            items=[
                PersonSummary(
                    case_id=p.case_id,
                    family_id=p.family_id,
                    relationship=p.relationship,
                    given_name=p.given_name,
                    family_name=p.family_name,
                    birth_date=p.birth_date,
                    nationalities=list(p.nationalities),
                )
                for p in shown
            ],
            total=total,
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
    with unit_of_work(_state(request).store.sessions) as session:
        _senders_staff(session, caller)
        person = get_person(session, case_id)
        if person is None:
            raise NotFound(f"no person with case id {case_id!r}")
        record_many(
            session,
            caller.principal.name,
            [Entry("person.read", "person", case_id, {"view": "full record"})],
        )
        return to_record(person)


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
    state = _state(request)
    day = on or today(state.clock)
    with unit_of_work(state.store.sessions) as session:
        _senders_staff(session, caller)
        agreement = stored_agreement(session, agreement_id)
        party = caller.principal.party
        if party is not None and agreement.sender != party:
            raise NotFound(f"no agreement {agreement_id!r}")
        _, checks = explain_stored(session, case_id, agreement_id, day, actor=caller.principal.name)
        return Explanation(
            case_id=case_id,
            agreement_id=agreement_id,
            on=day,
            eligible=all(c.passed for c in checks),
            checks=[
                CheckOut(
                    rule=c.rule,
                    text=c.text,
                    passed=c.passed,
                    reason=c.reason,
                    sources=list(c.sources),
                )
                for c in checks
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
    state = _state(request)
    with unit_of_work(state.store.sessions) as session:
        _senders_staff(session, caller)
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
    state = _state(request)
    with unit_of_work(state.store.sessions) as session:
        _senders_staff(session, caller)
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
    state = _state(request)
    with unit_of_work(state.store.sessions) as session:
        _senders_staff(session, caller)
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
    state = _state(request)
    with unit_of_work(state.store.sessions) as session:
        _senders_staff(session, caller)
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
