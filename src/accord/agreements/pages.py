"""Pages of the registry: the dashboard (every agreement the user may see, its caps and what
needs attention this week) and one agreement (status timeline with sources, caps and the
ledger over time, the instrument checklist, criteria with a what-if box, pools, outcomes).

Reads go through the read models the API's handlers call (`accord.agreements.views`, and
`accord.monitoring.views` for a monitor's aggregates), so a page shows a user what the API
would."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from accord.access import may_use, reads_aggregates_only, sees_claims, shown_state
from accord.agreements.views import agreement_seen, visible_agreements
from accord.cases.service import stored_people
from accord.clock import today
from accord.db import unit_of_work
from accord.errors import Forbidden, MalformedInput, Problem
from accord.monitoring.views import aggregates
from accord.proposals import repository
from accord.proposals.attention import attention
from accord.records.agreement import AgreementIn, CriterionIn
from accord.records.text import FreeText
from accord.reports import charts
from accord.rules.errors import RuleError
from accord.screening.batch import screen_population
from accord.screening.single import Screen
from accord.web.pages import PageCaller, render
from accord.web.paths import AgreementId
from accord.web.state import state_of
from accord.workflow.guards import agreement_open
from accord.workflow.quota import LedgerRow, held

router = APIRouter(include_in_schema=False)
INSTRUMENT = (
    ("no_onward_removal", "No onward removal to a country of risk (non-refoulement)"),
    ("return_clause", "Return clause"),
    ("admission", "Admission and lawful stay in the receiving state"),
    ("asylum_access", "Access to asylum in the receiving state"),
    ("monitor_access", "Access for independent monitors"),
    ("complaints_route", "A route for complaints"),
)


def cap_bars(agreement: AgreementIn, rows: list[LedgerRow], day: dt.date) -> list[dict[str, Any]]:
    """Each cap with a figure as used / reserved / left, for the bar."""
    bars = []
    for h in held(agreement, rows, day):
        cap = h.cap
        if cap.kind == "present_at_once":
            used, reserved = h.held, 0
        else:
            start, end = h.period or (dt.date.min, dt.date.max)
            arrived = sum(
                r.persons if cap.kind != "families_per_period" else r.families
                for r in rows
                if r.kind == "consume" and start <= r.reserved_on < end
            )
            used, reserved = min(arrived, h.held), max(0, h.held - arrived)
        limit = cap.limit or 0
        bars.append(
            {
                "kind": cap.kind,
                "limit": cap.limit,
                "lower_bound": cap.lower_bound,
                "period": (h.period[0], h.period[1] - dt.timedelta(days=1))
                if h.period and cap.period
                else None,
                "used": used,
                "reserved": reserved,
                "left": h.left,
                "used_pct": round(100 * used / limit, 1) if limit else 0,
                "reserved_pct": round(100 * reserved / limit, 1) if limit else 0,
            }
        )
    return bars


@router.get("/", name="pages.dashboard", response_class=HTMLResponse)
def dashboard(request: Request, caller: PageCaller) -> HTMLResponse:
    state = state_of(request)
    p = caller.principal
    day = today(state.clock)
    cards: list[dict[str, Any]] = []
    with unit_of_work(state.store.sessions) as session:
        for agreement in visible_agreements(session, caller.actor):
            sees_ledger = may_use(p.role, "agreements.ledger")
            rows = repository.ledger(session, agreement.id) if sees_ledger else []
            cards.append(
                {
                    "agreement": agreement,
                    "bars": cap_bars(agreement, rows, day) if sees_ledger else [],
                    "attention": attention(session, agreement, p.role, day),
                    "closed": agreement_open(
                        agreement, day, repository.suspensions(session, agreement.id)
                    )
                    if sees_claims(p.role)
                    else [],
                }
            )
    cards.sort(key=lambda c: (c["agreement"].status != "in_force", -len(c["attention"])))
    return render(request, "dashboard.html", {"cards": cards, "nav": "dashboard"}, caller=caller)


def _outcomes(session: Any, agreement_id: str) -> dict[str, Any]:
    """Review decisions, waits from notice to transfer, onward outcomes: the charts' counts."""
    accepted, rejected = 0, Counter[str]()
    notified: dict[int, dt.date] = {}
    waits: list[int] = []
    onward: Counter[str] = Counter()
    for event in repository.events_of_agreement(session, agreement_id):
        if event.action == "accept":
            accepted += 1
        elif event.action == "reject":
            rejected[event.reason_code or "none"] += 1
        elif event.action == "notify":
            notified[event.item_id] = event.day
        elif event.action == "transfer" and event.item_id in notified:
            waits.append((event.day - notified[event.item_id]).days)
        elif event.action.startswith("onward_"):
            onward[event.action.removeprefix("onward_")] += 1
    return {"accepted": accepted, "rejected": rejected, "waits": waits, "onward": onward}


@router.get("/agreements/{agreement_id}", name="pages.agreement", response_class=HTMLResponse)
def agreement_page(request: Request, agreement_id: AgreementId, caller: PageCaller) -> HTMLResponse:
    state = state_of(request)
    p = caller.principal
    day = today(state.clock)
    monitor = reads_aggregates_only(p.role)
    with unit_of_work(state.store.sessions) as session:
        agreement = agreement_seen(session, caller.actor, agreement_id)
        counts = aggregates(session, caller.actor, agreement_id, day) if monitor else None
    context: dict[str, Any] = {"agreement": agreement, "instrument": INSTRUMENT, "nav": "dashboard"}
    if counts is not None:
        context["aggregates"] = counts
        return render(request, "agreement.html", context, caller=caller)
    with unit_of_work(state.store.sessions) as session:
        sees_ledger = may_use(p.role, "agreements.ledger")
        rows = repository.ledger(session, agreement_id) if sees_ledger else []
        outcomes = _outcomes(session, agreement_id)
        pools = []
        for proposal in repository.proposals(session, agreement_id):
            items = repository.items(session, proposal_id=proposal.id)
            pools.append(
                {
                    "proposal": proposal,
                    "families": len(items),
                    "people": sum(i.size for i in items),
                    "states": Counter(shown_state(i.state, p.role) for i in items),
                }
            )
    sender = sees_claims(p.role)
    chart_specs = {"ledger-chart": charts.ledger_chart(agreement, rows, day)}
    chart_specs["review-chart"] = charts.review_chart(outcomes["accepted"], outcomes["rejected"])
    chart_specs["onward-chart"] = charts.bar_chart("families", dict(outcomes["onward"]))
    if sender:
        chart_specs["waits-chart"] = charts.waits_chart(outcomes["waits"])
    context.update(
        {
            "bars": cap_bars(agreement, rows, day) if sees_ledger else [],
            "pools": pools,
            "outcomes": outcomes,
            "charts": chart_specs,
            "sender": sender,
        }
    )
    return render(request, "agreement.html", context, caller=caller)


@router.post(
    "/agreements/{agreement_id}/what-if", name="pages.what_if", response_class=HTMLResponse
)
def what_if(
    request: Request,
    agreement_id: AgreementId,
    caller: PageCaller,
    criterion_id: Annotated[FreeText, Form(max_length=64)],
    expr: Annotated[FreeText, Form(max_length=2000)],
) -> HTMLResponse:
    """How many people and families would be eligible today with one criterion edited (or
    added); nothing is stored. The sender's staff only (it screens the sender's case files)."""
    state = state_of(request)
    with unit_of_work(state.store.sessions) as session:
        agreement = agreement_seen(session, caller.actor, agreement_id)
    if not sees_claims(caller.principal.role):
        raise Forbidden("only the sender's staff screen the case files")
    day = today(state.clock)
    criteria = [c for c in agreement.criteria if c.id != criterion_id]
    try:
        edited = CriterionIn(id=criterion_id or "what-if", text="what-if", expr=expr)
    except ValidationError as exc:  # an id or an expression the registry would not take
        names = {"id": "criterion_id", "expr": "expr"}
        raise MalformedInput(
            "the criterion",
            [Problem(names.get(str(e["loc"][0]), "form"), e["msg"]) for e in exc.errors()],
        ) from None
    draft = agreement.model_copy(update={"criteria": [*criteria, edited]})
    try:
        screens = [Screen.of(agreement), Screen.of(draft)]
    except RuleError as exc:
        return render(request, "_what_if.html", {"error": exc.detail, "expr": expr}, caller=caller)
    with unit_of_work(state.store.sessions) as session:
        records = stored_people(session)
    now: list[int] = []
    then: list[int] = []
    for screen, out in zip(screens, (now, then), strict=True):
        results = screen_population(records, [screen], day)
        out.append(sum(r.eligible for r in results))
        out.append(len({r.family_id for r in results if r.eligible}))
    return render(
        request,
        "_what_if.html",
        {
            "error": None,
            "expr": expr,
            "people": len(records),
            "now": now,
            "then": then,
            "day": day,
            "criterion_id": criterion_id,
        },
        caller=caller,
    )
