"""Pages of the audit log (supervisors and admins): the events, newest first, filtered by
actor, action, subject (its id and kind) and days, and paged, and the verification of the hash
chain (intact, or the first event at which it breaks).

Reads go through the read model and the verification the API reads through
(`accord.audit.views`, `accord.audit.service.verify`): the same filters, the same verification."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import TypeAdapter, ValidationError

from accord.audit.service import verify
from accord.audit.views import SUBJECT_KINDS, EventSearch, events_page
from accord.db import unit_of_work
from accord.errors import InvalidInput, Problem
from accord.records.text import FreeText
from accord.web.listing import PAGE_SIZE, fragment_only, pager
from accord.web.pages import PageCaller, is_htmx, render
from accord.web.paging import Offset, QueryDay
from accord.web.state import state_of

router = APIRouter(include_in_schema=False)


_QUERY_DAY = TypeAdapter(QueryDay)


def _day(text: str, field: str) -> dt.date | None:
    """A date field of the filter form (empty: no bound), read by the API's rule for days."""
    if not text:
        return None
    try:
        return _QUERY_DAY.validate_python(text)
    except ValidationError:
        raise InvalidInput(
            "query", [Problem(field, f"{text!r} is not a date (YYYY-MM-DD)")]
        ) from None


@router.get("/audit", name="pages.audit", response_class=HTMLResponse)
def audit(
    request: Request,
    caller: PageCaller,
    actor: Annotated[FreeText, Query(max_length=128)] = "",
    action: Annotated[FreeText, Query(max_length=64)] = "",
    entity_id: Annotated[FreeText, Query(max_length=128, description="The subject's id.")] = "",
    entity_type: Annotated[FreeText, Query(max_length=32)] = "",
    since: Annotated[FreeText, Query(max_length=10)] = "",
    until: Annotated[FreeText, Query(max_length=10)] = "",
    offset: Offset = 0,
) -> HTMLResponse:
    filters = {
        "actor": actor.strip(),
        "action": action.strip(),
        "entity_id": entity_id.strip(),
        "entity_type": entity_type.strip(),
        "since": since.strip(),
        "until": until.strip(),
    }
    search = EventSearch(
        action=filters["action"] or None,
        actor=filters["actor"] or None,
        entity_id=filters["entity_id"] or None,
        entity_type=filters["entity_type"] or None,
        since=_day(filters["since"], "since"),
        until=_day(filters["until"], "until"),
    )
    with unit_of_work(state_of(request).store.sessions) as session:
        found = events_page(session, search, limit=PAGE_SIZE, offset=offset)
    context = {
        "events": found.items,
        "filters": filters,
        "subject_kinds": SUBJECT_KINDS,
        "pager": pager("/audit", filters, offset, len(found.items), found.total),
        "nav": "audit",
    }
    template = "_audit_rows.html" if fragment_only(request) else "audit.html"
    return render(request, template, context, caller=caller)


@router.get("/audit/verify", name="pages.audit_verify", response_class=HTMLResponse)
def audit_verify(request: Request, caller: PageCaller) -> HTMLResponse:
    """Recompute the whole chain now: every event's hash from its content and its predecessor's,
    and the head's, so an edit, a deletion or a cut tail shows where it happened."""
    with unit_of_work(state_of(request).store.sessions) as session:
        result = verify(session)
    template = "_audit_verify.html" if is_htmx(request) else "audit_verify.html"
    return render(request, template, {"result": result, "nav": "audit"}, caller=caller)
