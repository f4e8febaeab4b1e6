"""Pages of the sender's case files: the people on record (searched, filtered and paged, as the
API lists them; each listing is in the audit log), and one person's record, with why they are or
are not eligible for each agreement in force or signed (rule by rule, with its outcome and
source) and their whole timeline: every proposal item of their family, and the changes of their
case file.

Reads go through the read models the API reads through (`accord.cases.views`), so the same
scoping applies and every read of a person's record is written to the audit log, as the API
writes it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from accord.cases import views as cases
from accord.cases.views import TimelineEntry
from accord.clock import today
from accord.db import unit_of_work
from accord.proposals import views
from accord.records.text import FreeText
from accord.web.listing import PAGE_SIZE, fragment_only, pager
from accord.web.pages import PageCaller, render
from accord.web.paging import Offset
from accord.web.paths import CaseId
from accord.web.state import state_of

router = APIRouter(include_in_schema=False)


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
    search = cases.PeopleSearch(
        family_id=filters["family_id"] or None,
        family_name=filters["q"] or None,
        nationality=filters["nationality"] if len(filters["nationality"]) == 2 else None,
    )
    with unit_of_work(state_of(request).store.sessions) as session:
        found = cases.people_page(session, caller.actor, search, limit=PAGE_SIZE, offset=offset)
    context = {
        "rows": found.items,
        "filters": filters,
        "pager": pager("/people", filters, offset, len(found.items), found.total),
        "nav": "people",
    }
    template = "_people_rows.html" if fragment_only(request) else "people.html"
    return render(request, template, context, caller=caller)


def _family_items(
    request: Request, caller: PageCaller, family_id: str
) -> tuple[list[views.FamilyItem], list[TimelineEntry]]:
    """Each proposal item of the family the user may read, and its timeline entries, as the
    workflow's own view gives them (each item read is in the audit log)."""
    with unit_of_work(state_of(request).store.sessions) as session:
        items = views.family_items(session, family_id, caller.actor)
    entries = [
        TimelineEntry(e.day, at, e.what, e.who, item=item.id)
        for item in items
        for at, e in item.moments
    ]
    return items, entries


@router.get("/people/{case_id}", name="pages.person", response_class=HTMLResponse)
def person(request: Request, case_id: CaseId, caller: PageCaller) -> HTMLResponse:
    state = state_of(request)
    with unit_of_work(state.store.sessions) as session:
        record = cases.person_record(session, caller.actor, case_id)
    with unit_of_work(state.store.sessions) as session:
        screened = cases.screened_agreements(session, caller.actor)
    day = today(state.clock)
    explanations = []
    for agreement in screened:
        with unit_of_work(state.store.sessions) as session:
            found = cases.explanation(session, caller.actor, case_id, agreement.id, day)
        explanations.append({"agreement": agreement, "explanation": found})
    items, item_entries = _family_items(request, caller, record.family_id)
    with unit_of_work(state.store.sessions) as session:
        changes = cases.case_file_changes(session, case_id)
    timeline = sorted([*changes, *item_entries], key=lambda e: (e.day, e.at))
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
