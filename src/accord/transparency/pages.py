"""The transparency report's pages: the releases published (for the sender's staff and the
monitors), a form for the sender's staff to publish a quarter that has ended, one release shown
inside the site's frame, and its files (HTML, CSV, JSON, PDF) exactly as published.

Reads and writes go through the transparency service (`accord.transparency.service`), which the
command line calls too: publishing is refused to any other role, and a quarter is published
once it has ended. A release's HTML file is served as the self-contained document it is (inline
style, no script, nothing fetched) under a policy of its own that lets it style itself and do
nothing else; the page shows the same figures in the site's own templates (`formats.page_view`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from accord.access import Actor, may_use
from accord.agreements.views import agreement_rows
from accord.clock import today
from accord.db import unit_of_work
from accord.errors import InvalidInput, MalformedInput, NotFound, Problem
from accord.models import ReportRelease
from accord.transparency import formats, service
from accord.transparency.model import Quarter
from accord.transparency.release import ALL
from accord.web.files import pdf_response
from accord.web.pages import PageCaller, done, form_text, render
from accord.web.paths import ROW_ID
from accord.web.state import state_of

router = APIRouter(include_in_schema=False)

ReleaseId = Annotated[int, Path(ge=1, le=ROW_ID, description="A published release.")]
FileName = Annotated[
    str, Path(max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", description="A file.")
]

OFFERED = 8
"""How many of the quarters that have ended the publishing form offers, newest first."""

MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}
"""The media type of each file but the PDF (`accord.web.files.pdf_response`)."""

REPORT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none';"
    " frame-ancestors 'none'; sandbox"
)
"""The content security policy of a release's HTML file: its own inline style and nothing
else (no script, nothing fetched, no form, never framed), in a sandbox of its own."""


def ended_quarters(day: dt.date, count: int = OFFERED) -> list[Quarter]:
    """The `count` quarters that ended last before `day` (or on it), newest first."""
    quarter = Quarter.of(day)
    found: list[Quarter] = []
    while len(found) < count:
        if quarter.end <= day:
            found.append(quarter)
        quarter = (
            Quarter(quarter.year - 1, 4)
            if quarter.number == 1
            else Quarter(quarter.year, quarter.number - 1)
        )
    return found


def _scope_text(scope: str, titles: dict[str, str]) -> str:
    return "All agreements" if scope == ALL else titles.get(scope, scope)


def _row(stored: ReportRelease, titles: dict[str, str]) -> dict[str, Any]:
    """A stored release as the pages show it: plain values, read inside the session."""
    return {
        "id": stored.id,
        "period": stored.period,
        "scope": stored.scope,
        "scope_text": _scope_text(stored.scope, titles),
        "threshold": stored.threshold,
        "published_by": stored.published_by,
        "published_at": f"{stored.published_at:%Y-%m-%d %H:%M} UTC",
        "manifest_sha256": stored.manifest_sha256,
        "files": formats.file_names(stored.period, stored.scope),
    }


def _titles(session: Session, actor: Actor) -> dict[str, str]:
    """The titles of the agreements the actor may see, by id."""
    return {a.id: a.title or a.id for a in agreement_rows(session, actor)}


@router.get("/reports", name="pages.reports", response_class=HTMLResponse)
def reports(request: Request, caller: PageCaller) -> HTMLResponse:
    """The releases published, newest first, each with its files; for the sender's staff, the
    form that publishes a quarter."""
    state = state_of(request)
    actor = caller.actor
    may_publish = may_use(caller.principal.role, "reports.publish")
    with unit_of_work(state.store.sessions) as session:
        published = service.releases(session, actor)
        agreements = agreement_rows(session, actor)
        titles = {a.id: a.title or a.id for a in agreements}
        rows = [_row(r, titles) for r in published]
    return render(
        request,
        "reports.html",
        {
            "releases": rows,
            "may_publish": may_publish,
            "quarters": [str(q) for q in ended_quarters(today(state.clock))],
            "agreements": agreements,
            "threshold": state.store.settings.report_threshold,
            "nav": "reports",
        },
        caller=caller,
    )


def _quarter(text: str | None) -> Quarter:
    if text is None:
        raise MalformedInput("the form", [Problem("period", "choose a quarter")])
    try:
        return Quarter.parse(text)
    except InvalidInput as exc:
        raise MalformedInput("the form", exc.problems) from None


@router.post("/reports/publish", name="pages.reports_publish")
async def publish(request: Request, caller: PageCaller) -> Response:
    """Publish a quarter's release (of every agreement, or of one): computed and recorded the
    first time (an audit event with its manifest's SHA-256), the same release after."""
    form = await request.form()
    quarter = _quarter(form_text(form, "period"))
    agreement_id = form_text(form, "agreement_id")
    state = state_of(request)
    threshold = state.store.settings.report_threshold
    with unit_of_work(state.store.sessions) as session:
        made = service.publish(
            session,
            quarter,
            caller.actor,
            state.clock,
            threshold=threshold,
            agreement_id=agreement_id,
        )
        scope = _scope_text(made.release.scope, _titles(session, caller.actor))
    release = made.release
    if not made.new:
        return done(
            "/reports",
            f"The report {release.period} ({scope}) was already published: it is listed below,"
            " unchanged.",
            kind="warn",
        )
    return done(
        "/reports",
        f"Published the transparency report {release.period} ({scope}), manifest SHA-256"
        f" {made.manifest_sha256}: {release.primary} small counts suppressed and"
        f" {release.secondary} more so that none can be worked out.",
    )


def _files(made: service.Published) -> list[dict[str, Any]]:
    listed = json.loads(made.manifest)["files"]
    return [
        {
            "name": f["name"],
            "sha256": f["sha256"],
            "size": f["size"],
            "kind": f["name"].rsplit(".", 1)[-1],
        }
        for f in listed
    ]


@router.get("/reports/{release_id}", name="pages.report", response_class=HTMLResponse)
def report(request: Request, release_id: ReleaseId, caller: PageCaller) -> HTMLResponse:
    """One release inside the site's frame: who published it and when, its files with their
    SHA-256, and its figures as the published page shows them."""
    state = state_of(request)
    with unit_of_work(state.store.sessions) as session:
        made = service.published(session, release_id, caller.actor)
        stored = session.get(ReportRelease, release_id)
        if stored is None:  # `published` has found it: never here
            raise NotFound(f"no transparency release {release_id}")
        row = _row(stored, _titles(session, caller.actor))
    return render(
        request,
        "report.html",
        {
            "release": row,
            "files": _files(made),
            "manifest_sha256": made.manifest_sha256,
            **formats.page_view(made.release),
            "nav": "reports",
        },
        caller=caller,
    )


@router.get("/reports/{release_id}/files/{name}", name="pages.report_file")
def report_file(
    request: Request, release_id: ReleaseId, name: FileName, caller: PageCaller
) -> Response:
    """One of a release's files, byte for byte as its manifest lists it: the HTML to read in
    the browser, the others to download."""
    state = state_of(request)
    with unit_of_work(state.store.sessions) as session:
        made = service.published(session, release_id, caller.actor)
    content = made.files.get(name)
    if content is None:
        raise NotFound(f"transparency release {release_id} has no such file")
    kind = name.rsplit(".", 1)[-1]
    if kind == "pdf":
        answer = pdf_response(content, name)
        answer.headers["X-Content-Type-Options"] = "nosniff"
        return answer
    headers = {
        "Content-Disposition": f'{"inline" if kind == "html" else "attachment"}; filename="{name}"',
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "X-Document-SHA256": hashlib.sha256(content).hexdigest(),
    }
    if kind == "html":
        headers["Content-Security-Policy"] = REPORT_POLICY
    return Response(content, media_type=MEDIA_TYPES[kind], headers=headers)
