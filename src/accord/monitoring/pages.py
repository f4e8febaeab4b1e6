"""Monitoring (S15): for every agreement the user may see, the check-ins due and done after each
transfer, the incidents reported (which suspended the agreement, who lifted the suspension and,
for the sender's staff, why), a form to report an incident or a monitor's finding with who may
read its text (`accord.workflow.audience`), and, for a supervisor, a form to lift a suspension
with a reason.

Reads and writes go through the API's own functions, so a monitor sees only the agreements that
name it and only what the API gives it, and a report suspends exactly as the API's does."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from accord.access import lifts_suspensions, may_use, reports_incidents
from accord.agreements import api as agreements_api
from accord.db import one_transaction
from accord.errors import InvalidInput, Problem
from accord.monitoring import api as monitoring_api
from accord.monitoring.service import INCIDENT_KINDS, SUSPENDING
from accord.records.text import FreeText
from accord.web.auth import Caller
from accord.web.forms import body_of
from accord.web.pages import PageCaller, done, form_text, render, state_of

router = APIRouter(include_in_schema=False)
BATCH = 200
"""Rows asked of an API list per call (its largest page)."""
KIND_TEXT = {
    "onward_removal": "Onward removal (suspends the agreement)",
    "ill_treatment": "Ill-treatment (suspends the agreement)",
    "other": "Other finding (does not suspend)",
}


def visible_agreements(request: Request, caller: Caller) -> list[agreements_api.AgreementSummary]:
    """Every agreement the user may see, as the API lists them (paged through to the end)."""
    found: list[agreements_api.AgreementSummary] = []
    while True:
        page = agreements_api.list_agreements(
            request, caller, limit=BATCH, offset=len(found), status=None, receiver=None
        )
        found += page.items
        if not page.items or len(found) >= page.total:
            return found


def _check_ins(
    request: Request, agreement_id: str, caller: Caller
) -> list[monitoring_api.CheckInDue]:
    rows: list[monitoring_api.CheckInDue] = []
    while True:
        page = monitoring_api.list_check_ins(
            request, agreement_id, caller, limit=BATCH, offset=len(rows), pending=False
        )
        rows += page.items
        if not page.items or len(rows) >= page.total:
            return rows


def _incidents(
    request: Request, agreement_id: str, caller: Caller
) -> list[monitoring_api.IncidentRecord]:
    rows: list[monitoring_api.IncidentRecord] = []
    while True:
        page = monitoring_api.list_incidents(
            request, agreement_id, caller, limit=BATCH, offset=len(rows)
        )
        rows += page.items
        if not page.items or len(rows) >= page.total:
            return rows


@router.get("/monitoring", name="pages.monitoring", response_class=HTMLResponse)
def monitoring(
    request: Request,
    caller: PageCaller,
    agreement: Annotated[FreeText | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    """Each visible agreement's check-ins and incidents (or one agreement's, when chosen)."""
    role = caller.principal.role
    every = visible_agreements(request, caller)
    chosen = [a for a in every if a.id == agreement] if agreement else every
    cards: list[dict[str, Any]] = []
    for summary in chosen:
        check_ins = _check_ins(request, summary.id, caller)
        incidents = sorted(
            _incidents(request, summary.id, caller), key=lambda i: i.id, reverse=True
        )
        cards.append(
            {
                "agreement": summary,
                "check_ins": sorted(check_ins, key=lambda c: (c.done_on is not None, c.due_on)),
                "due": sum(c.done_on is None for c in check_ins),
                "done": sum(c.done_on is not None for c in check_ins),
                "overdue": sum(c.overdue for c in check_ins),
                "incidents": incidents,
                "suspending": [i for i in incidents if i.suspends and i.lifted_on is None],
            }
        )
    return render(
        request,
        "monitoring.html",
        {
            "cards": cards,
            "every": every,
            "chosen": agreement,
            "kinds": [(k, KIND_TEXT.get(k, k)) for k in INCIDENT_KINDS],
            "may_report": reports_incidents(role),
            "may_lift": lifts_suspensions(role),
            "reads_items": may_use(role, "items.get"),
            "nav": "monitoring",
        },
        caller=caller,
    )


def _field(form: FormData, name: str) -> str:
    return form_text(form, name) or ""


@router.post("/monitoring/incidents", name="pages.incident_report")
async def report_incident(request: Request, caller: PageCaller) -> Response:
    """An incident or a finding, reported under one agreement; onward removal or ill-treatment
    suspends it at once (S15), as the API's report does."""
    form = await request.form()
    agreement_id = _field(form, "agreement_id")
    if not agreement_id:
        raise InvalidInput("the form", [Problem("agreement_id", "choose an agreement")])
    body = body_of(
        monitoring_api.IncidentIn,
        form,
        {
            "kind": _field(form, "kind"),
            "text": _field(form, "text"),
            "audience": form_text(form, "audience"),
        },
    )
    assert isinstance(body, monitoring_api.IncidentIn)
    with one_transaction(state_of(request).store.sessions):  # the report and what it did
        answer = monitoring_api.report_incident(request, agreement_id, body, caller, None)
        incident = json.loads(bytes(answer.body))
        status = agreements_api.get_agreement(request, agreement_id, caller).status
    what = "Incident" if body.kind in SUSPENDING else "Finding"
    text = f"{what} {incident['id']} reported under {agreement_id}."
    if incident["suspends"] and status == "suspended":
        text += f" {agreement_id} is suspended (S15) until a supervisor lifts it with a reason."
        return done("/monitoring", text, kind="warn")
    return done("/monitoring", text)


@router.post("/monitoring/incidents/lift", name="pages.incident_lift")
async def lift_suspension(request: Request, caller: PageCaller) -> Response:
    """A supervisor lifts an agreement's suspension, with the reason recorded."""
    form = await request.form()
    agreement_id = _field(form, "agreement_id")
    if not agreement_id:
        raise InvalidInput("the form", [Problem("agreement_id", "choose an agreement")])
    body = body_of(monitoring_api.LiftIn, form, {"reason": _field(form, "reason")})
    assert isinstance(body, monitoring_api.LiftIn)
    monitoring_api.lift_suspension(request, agreement_id, body, caller, None)
    return done("/monitoring", f"Suspension of {agreement_id} lifted: it is in force again.")
