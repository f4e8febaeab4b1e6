"""Monitoring (S15): for every agreement the user may see, the check-ins due and done after each
transfer, the incidents reported (which suspended the agreement, who lifted the suspension and,
for the sender's staff, why), a form to report an incident or a monitor's finding with who may
read its text (`accord.workflow.audience`), and, for a supervisor, a form to lift a suspension
with a reason.

Reads and writes go through the read models and commands the API's handlers call
(`accord.monitoring.views`, `accord.agreements.views`, `accord.monitoring.service`), so a monitor
sees only the agreements that name it and only what the API gives it, and a report suspends
exactly as the API's does."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from accord.access import lifts_suspensions, may_use, reports_incidents
from accord.agreements.views import agreement_rows, agreement_seen
from accord.clock import today
from accord.db import unit_of_work
from accord.errors import InvalidInput, Problem
from accord.monitoring import views
from accord.monitoring.schemas import IncidentIn, LiftIn
from accord.monitoring.service import (
    INCIDENT_KINDS,
    SUSPENDING,
    lift_suspension_seen,
    report_incident_seen,
)
from accord.records.text import FreeText
from accord.records.vocabulary import INCIDENT_KIND_NAMES, IncidentKind
from accord.web.forms import body_of
from accord.web.pages import PageCaller, done, form_text, render
from accord.web.state import state_of

router = APIRouter(include_in_schema=False)


def kind_text(kind: IncidentKind) -> str:
    """An incident kind as the form offers it: its name, and whether it suspends."""
    if kind in SUSPENDING:
        return f"{INCIDENT_KIND_NAMES[kind]} (suspends the agreement)"
    return f"{INCIDENT_KIND_NAMES[kind]} (does not suspend)"


@router.get("/monitoring", name="pages.monitoring", response_class=HTMLResponse)
def monitoring(
    request: Request,
    caller: PageCaller,
    agreement: Annotated[FreeText | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    """Each visible agreement's check-ins and incidents (or one agreement's, when chosen)."""
    state = state_of(request)
    role = caller.principal.role
    actor = caller.actor
    day = today(state.clock)
    cards: list[dict[str, Any]] = []
    with unit_of_work(state.store.sessions) as session:
        every = agreement_rows(session, actor)
        chosen = [a for a in every if a.id == agreement] if agreement else every
        for summary in chosen:
            check_ins = views.check_ins_due(session, actor, summary.id, day)
            incidents = sorted(
                views.incidents_seen(session, actor, summary.id), key=lambda i: i.id, reverse=True
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
            "kinds": [(k, kind_text(k)) for k in INCIDENT_KINDS],
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
        IncidentIn,
        form,
        {
            "kind": _field(form, "kind"),
            "text": _field(form, "text"),
            "audience": form_text(form, "audience"),
        },
    )
    state = state_of(request)
    with unit_of_work(state.store.sessions) as session:  # the report and what it did
        incident = report_incident_seen(
            session,
            agreement_id,
            body.kind,
            body.text,
            caller.actor,
            state.clock,
            audience=body.audience,
        )
        number, suspends = incident.id, incident.suspends
        status = agreement_seen(session, caller.actor, agreement_id).status
    what = "Incident" if body.kind in SUSPENDING else "Finding"
    text = f"{what} {number} reported under {agreement_id}."
    if suspends and status == "suspended":
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
    body = body_of(LiftIn, form, {"reason": _field(form, "reason")})
    state = state_of(request)
    with unit_of_work(state.store.sessions) as session:
        lift_suspension_seen(session, agreement_id, body.reason, caller.actor, state.clock)
    return done("/monitoring", f"Suspension of {agreement_id} lifted: it is in force again.")
