"""Pages of the sender's case files: the people on record (searched, filtered and paged, as the
API lists them; each listing is in the audit log), and one person's record, with why they are or
are not eligible for each agreement in force or signed (rule by rule, with its outcome and
source) and their whole timeline: every proposal item of their family, and the changes of their
case file.

Reads go through the API's own functions, so the same scoping applies and every read of a
person's record is written to the audit log, as the API writes it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from accord.access import may_see
from accord.agreements.service import stored_agreements
from accord.audit import repository as audit_log
from accord.cases import api as cases_api
from accord.db import unit_of_work
from accord.monitoring.pages import visible_agreements
from accord.proposals import repository, views
from accord.records.text import FreeText
from accord.web.listing import PAGE_SIZE, fragment_only, pager
from accord.web.pages import PageCaller, render, state_of
from accord.web.paging import Offset

router = APIRouter(include_in_schema=False)
SCREENED = ("in_force", "signed")
"""The statuses whose screening a person's page explains."""
CASE_CHANGES = ("person.created", "person.updated")
"""Audit actions that changed a person's case file."""


@router.get("/people", name="pages.people", response_class=HTMLResponse)
def people(
    request: Request,
    caller: PageCaller,
    q: Annotated[FreeText, Query(max_length=200, description="Family name starts with.")] = "",
    nationality: Annotated[
        str, Query(pattern="^[A-Za-z]{0,2}$", description="Two letters; fewer: not yet a filter.")
    ] = "",
    family_id: Annotated[FreeText, Query(max_length=64)] = "",
    offset: Offset = 0,
) -> HTMLResponse:
    filters = {"q": q.strip(), "nationality": nationality.upper(), "family_id": family_id.strip()}
    found = cases_api.list_people(
        request,
        caller,
        limit=PAGE_SIZE,
        offset=offset,
        family_id=filters["family_id"] or None,
        family_name=filters["q"] or None,
        nationality=filters["nationality"] if len(filters["nationality"]) == 2 else None,
    )
    context = {
        "rows": found.items,
        "filters": filters,
        "pager": pager("/people", filters, offset, len(found.items), found.total),
        "nav": "people",
    }
    template = "_people_rows.html" if fragment_only(request) else "people.html"
    return render(request, template, context, caller=caller)


def _utc(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def _case_changes(request: Request, case_id: str) -> list[dict[str, Any]]:
    """The changes of a person's case file (imports, stays, claims, appeals), from the log."""
    with unit_of_work(state_of(request).store.sessions) as session:
        events = [
            e
            for action in CASE_CHANGES
            for e in audit_log.list_events(
                session, entity_id=case_id, action=action, entity_type="person", limit=200
            )
        ]
        changes = []
        for e in sorted(events, key=lambda e: e.seq):
            data = e.data or {}
            if e.action == "person.created":
                what = "case file created"
            elif "change" in data:
                what = f"case change: {str(data['change']).replace('_', ' ')}"
            else:
                what = "case file updated by an import"
            at = _utc(e.at)
            changes.append({"day": at.date(), "at": at, "what": what, "who": e.actor, "item": None})
    return changes


def _family_items(
    request: Request, caller: PageCaller, family_id: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each proposal item of the family the user may read, and its timeline entries, as the
    workflow's own view gives them (each item read is in the audit log)."""
    p = caller.principal
    items: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    with unit_of_work(state_of(request).store.sessions) as session:
        readable = {a.id for a in stored_agreements(session) if may_see(p.role, p.party, a)}
        for found in repository.items(session, family_id=family_id):
            if found.agreement_id not in readable:
                continue
            view = views.item_view(session, found.id, caller.actor)
            items.append(
                {
                    "id": found.id,
                    "pool_id": found.proposal_id,
                    "agreement_id": found.agreement_id,
                    "state": view.state,
                    "since": found.state_since,
                    "size": found.size,
                }
            )
            # Entries without a time (notices, check-ins) keep their place in the item's order.
            last = dt.datetime.min.replace(tzinfo=dt.UTC)
            for e in view.entries:
                midnight = dt.datetime.combine(e.day, dt.time(0), tzinfo=dt.UTC)
                last = max(_utc(e.at) if e.at else midnight, last if last >= midnight else midnight)
                entries.append(
                    {"day": e.day, "at": last, "what": e.what, "who": e.who, "item": found.id}
                )
    return items, entries


@router.get("/people/{case_id}", name="pages.person", response_class=HTMLResponse)
def person(request: Request, case_id: cases_api.CaseId, caller: PageCaller) -> HTMLResponse:
    record = cases_api.get_person_record(request, case_id, caller)
    explanations = [
        {
            "agreement": agreement,
            "explanation": cases_api.explain(
                request, case_id, caller, agreement_id=agreement.id, on=None
            ),
        }
        for agreement in visible_agreements(request, caller)
        if agreement.status in SCREENED
    ]
    items, item_entries = _family_items(request, caller, record.family_id)
    timeline = sorted(
        [*_case_changes(request, case_id), *item_entries], key=lambda e: (e["day"], e["at"])
    )
    return render(
        request,
        "person.html",
        {
            "person": record,
            "explanations": explanations,
            "items": items,
            "timeline": timeline,
            "nav": "people",
        },
        caller=caller,
    )
