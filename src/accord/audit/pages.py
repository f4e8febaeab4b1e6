"""Pages of the audit log (supervisors and admins): the events, newest first, filtered by
actor, action and subject and paged, and the verification of the hash chain (intact, or the
first event at which it breaks).

Reads go through the API's own functions: the same filters, the same verification."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from accord.audit import api as audit_api
from accord.web.listing import PAGE_SIZE, fragment_only, pager
from accord.web.pages import PageCaller, is_htmx, render
from accord.web.paging import Offset

router = APIRouter(include_in_schema=False)


@router.get("/audit", name="pages.audit", response_class=HTMLResponse)
def audit(
    request: Request,
    caller: PageCaller,
    actor: Annotated[str, Query(max_length=128)] = "",
    action: Annotated[str, Query(max_length=64)] = "",
    entity_id: Annotated[str, Query(max_length=128, description="The subject's id.")] = "",
    offset: Offset = 0,
) -> HTMLResponse:
    filters = {"actor": actor.strip(), "action": action.strip(), "entity_id": entity_id.strip()}
    found = audit_api.list_events(
        request,
        caller,
        limit=PAGE_SIZE,
        offset=offset,
        action=filters["action"] or None,
        actor=filters["actor"] or None,
        entity_id=filters["entity_id"] or None,
    )
    context = {
        "events": found.items,
        "filters": filters,
        "pager": pager("/audit", filters, offset, len(found.items), found.total),
        "nav": "audit",
    }
    template = "_audit_rows.html" if fragment_only(request) else "audit.html"
    return render(request, template, context, caller=caller)


@router.get("/audit/verify", name="pages.audit_verify", response_class=HTMLResponse)
def audit_verify(request: Request, caller: PageCaller) -> HTMLResponse:
    """Recompute the whole chain now: every event's hash from its content and its predecessor's,
    and the head's, so an edit, a deletion or a cut tail shows where it happened."""
    result = audit_api.verify_chain(request, caller)
    template = "_audit_verify.html" if is_htmx(request) else "audit_verify.html"
    return render(request, template, {"result": result, "nav": "audit"}, caller=caller)
