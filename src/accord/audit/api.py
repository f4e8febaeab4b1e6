"""/api/v1 audit: the log, filtered and paged, and the verification of its hash chain."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from accord.audit.service import verify
from accord.audit.views import SUBJECT_KINDS, EventSearch, events_page
from accord.db import unit_of_work
from accord.records.text import FreeText
from accord.web.auth import Caller, authorize
from accord.web.paging import Limit, Offset, Page, QueryDay
from accord.web.problems import responses
from accord.web.state import state_of

router = APIRouter(tags=["audit"], dependencies=[Depends(authorize)])


class AuditEventOut(BaseModel):
    seq: int
    at: dt.datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    data: dict[str, Any]
    hash: str


class VerificationOut(BaseModel):
    ok: bool
    events: int
    head_hash: str | None
    broken_at: int | None
    problem: str | None


@router.get(
    "/audit",
    name="audit.list",
    summary="The audit log, newest first",
    response_model=Page[AuditEventOut],
    responses=responses(401, 403),
)
def list_events(
    request: Request,
    caller: Annotated[Caller, Depends(authorize)],
    limit: Limit = 50,
    offset: Offset = 0,
    action: Annotated[FreeText | None, Query(max_length=64)] = None,
    actor: Annotated[FreeText | None, Query(max_length=128)] = None,
    entity_id: Annotated[FreeText | None, Query(max_length=128)] = None,
    entity_type: Annotated[
        FreeText | None,
        Query(
            max_length=32,
            description=f"The subject's kind ({', '.join(SUBJECT_KINDS)}): an id alone may"
            " name a pool and an item alike.",
        ),
    ] = None,
    since: Annotated[
        QueryDay | None, Query(description="Events on or after this day (UTC).")
    ] = None,
    until: Annotated[
        QueryDay | None, Query(description="Events on or before this day (UTC).")
    ] = None,
) -> Page[AuditEventOut]:
    search = EventSearch(
        action=action,
        actor=actor,
        entity_id=entity_id,
        entity_type=entity_type,
        since=since,
        until=until,
    )
    with unit_of_work(state_of(request).store.sessions) as session:
        found = events_page(session, search, limit=limit, offset=offset)
    return Page[AuditEventOut](
        items=[
            AuditEventOut(
                seq=e.seq,
                at=e.at,
                actor=e.actor,
                action=e.action,
                entity_type=e.entity_type,
                entity_id=e.entity_id,
                data=e.data,
                hash=e.hash,
            )
            for e in found.items
        ],
        total=found.total,
        limit=limit,
        offset=offset,
    )


@router.get(
    "/audit/verify",
    name="audit.verify",
    summary="Recompute the hash chain and say where it breaks, if it does",
    response_model=VerificationOut,
    responses=responses(401, 403),
)
def verify_chain(
    request: Request, caller: Annotated[Caller, Depends(authorize)]
) -> VerificationOut:
    with unit_of_work(state_of(request).store.sessions) as session:
        result = verify(session)
    return VerificationOut(
        ok=result.ok,
        events=result.events,
        head_hash=result.head_hash,
        broken_at=result.broken_at,
        problem=result.problem,
    )
