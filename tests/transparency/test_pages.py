"""The transparency report's pages: the sender's staff publish a quarter that has ended from
the page and see it listed; a monitor reads the releases and downloads their files but may not
publish; a receiving state's reviewer opens none of it; the files are served as published,
each with its type, the HTML one without a script."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from accord.accounts import credentials
from accord.db import unit_of_work
from accord.models import AuditEvent, ReportRelease
from tests.proposals.support import AGREEMENT
from tests.web.pages_support import Browser, signed_in
from tests.web.support import World, running

ENDED = "2026-Q1"
"""The quarter of the seeded pool (proposed and decided in January), ended once the clock has
moved to April."""
NOT_ENDED = "2026-Q2"


@pytest.fixture(autouse=True, scope="module")
def cheap_argon2() -> Iterator[None]:
    """Six users signed up per world: hashed with the cheapest parameters, as tests/web does."""
    real = credentials._hasher
    credentials._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    credentials._decoy.cache_clear()
    try:
        yield
    finally:
        credentials._hasher = real
        credentials._decoy.cache_clear()


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    """The web tests' world (the demo agreement, a pool proposed to XK in January), its clock
    moved to April: 2026-Q1 has ended, 2026-Q2 has not."""
    with running(database_url, tmp_path) as found:
        found.clock.advance(days=85)  # 12 January -> 7 April
        yield found


def releases(world: World) -> list[tuple[str, str]]:
    with unit_of_work(world.store.sessions) as session:
        return [(r.period, r.scope) for r in session.scalars(select(ReportRelease))]


def published_events(world: World) -> int:
    with unit_of_work(world.store.sessions) as session:
        query = select(func.count()).where(AuditEvent.action == "report.published")
        return session.execute(query).scalar_one()


def publish_form(page: str) -> dict[str, Any]:
    """The publishing form as the page wrote it: its hidden fields and the quarters offered."""
    found = re.search(
        r'<form method="post" action="/reports/publish"[^>]*>(.*?)</form>', page, re.S
    )
    assert found, "the page has the publishing form"
    body = found.group(1)
    period = re.search(r'<select id="p-period" name="period"[^>]*>(.*?)</select>', body, re.S)
    assert period
    return {
        "hidden": dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', body)),
        "quarters": re.findall(r'<option value="([^"]*)"', period.group(1)),
    }


def publish(browser: Browser, period: str, agreement: str = "") -> Any:
    page = browser.get("/reports")
    assert page.status_code == 200, page.text
    form = publish_form(page.text)
    assert form["hidden"]["csrf_token"] == browser.csrf, "the form carries the session's token"
    data = {**form["hidden"], "period": period, "agreement_id": agreement}
    return browser.client.post("/reports/publish", data=data, follow_redirects=False)


def release_id(page: str, period: str) -> int:
    found = re.search(rf'<tr data-release="(\d+)">\s*<td><a href="/reports/\d+">{period}</a>', page)
    assert found, f"{period} is listed"
    return int(found.group(1))


def file_links(page: str, release: int) -> list[str]:
    return re.findall(rf'href="/reports/{release}/files/([^"]+)"', page)


@pytest.fixture
def published(world: World) -> int:
    """2026-Q1 of every agreement, published by the officer from the page: its release id."""
    olga = signed_in(world, "olga")
    answer = publish(olga, ENDED)
    assert answer.status_code == 303, answer.text
    return release_id(olga.get("/reports").text, ENDED)


def test_an_officer_publishes_a_quarter_that_has_ended_and_sees_it_listed(world: World) -> None:
    olga = signed_in(world, "olga")
    page = olga.get("/reports")
    assert page.status_code == 200
    assert 'href="/reports" aria-current="page">Reports</a>' in page.text  # in the navigation
    assert "No release has been published yet." in page.text
    quarters = publish_form(page.text)["quarters"]
    assert quarters[0] == ENDED and NOT_ENDED not in quarters  # only quarters that have ended
    assert AGREEMENT in page.text  # an agreement may be chosen

    answer = publish(olga, ENDED)
    assert answer.status_code == 303 and answer.headers["location"] == "/reports"
    listed = olga.get("/reports").text
    assert f"Published the transparency report {ENDED} (All agreements)" in listed  # the note
    assert releases(world) == [(ENDED, "all")]
    assert published_events(world) == 1
    release = release_id(listed, ENDED)
    with unit_of_work(world.store.sessions) as session:
        stored = session.get(ReportRelease, release)
        assert stored is not None
        digest, threshold = stored.manifest_sha256, stored.threshold
    row = listed[listed.index(f'<tr data-release="{release}">') :].split("</tr>")[0]
    assert digest in row and "olga" in row and "All agreements" in row
    assert f'<td class="num">{threshold}</td>' in row
    assert file_links(row, release) == [
        f"report-{ENDED}-all.{kind}" for kind in ("html", "csv", "json", "pdf")
    ]

    again = publish(olga, ENDED)  # the same release: nothing new is stored
    assert again.status_code == 303
    assert "was already published" in olga.get("/reports").text
    assert releases(world) == [(ENDED, "all")] and published_events(world) == 1

    one = publish(olga, ENDED, AGREEMENT)  # one agreement's release beside it
    assert one.status_code == 303
    assert sorted(releases(world)) == [(ENDED, "all"), (ENDED, AGREEMENT)]


def test_the_report_page_shows_the_release_inside_the_site(world: World, published: int) -> None:
    for user in ("sam", "mona"):
        page = signed_in(world, user).get(f"/reports/{published}")
        assert page.status_code == 200, page.text
        text = page.text
        assert 'href="/reports" aria-current="page">Reports</a>' in text  # the site's frame
        assert f"Transparency report {ENDED}" in text
        assert 'data-cell="families/' in text  # the figures, in the site's own table
        with unit_of_work(world.store.sessions) as session:
            stored = session.get(ReportRelease, published)
            assert stored is not None
            assert f'data-manifest="{stored.manifest_sha256}"' in text
        assert len(file_links(text, published)) == 4
        assert "<style" not in text and " style=" not in text  # the site's policy holds


def test_a_monitor_reads_and_downloads_but_may_not_publish(world: World, published: int) -> None:
    mona = signed_in(world, "mona")
    page = mona.get("/reports")
    assert page.status_code == 200
    assert release_id(page.text, ENDED) == published
    assert 'action="/reports/publish"' not in page.text  # no form to publish
    files = {name.rsplit(".", 1)[-1]: name for name in file_links(page.text, published)}

    csv_file = mona.get(f"/reports/{published}/files/{files['csv']}")
    assert csv_file.status_code == 200
    assert csv_file.headers["content-type"] == "text/csv; charset=utf-8"
    assert csv_file.headers["content-disposition"] == f'attachment; filename="{files["csv"]}"'
    assert csv_file.headers["x-content-type-options"] == "nosniff"
    assert csv_file.text.startswith("period,scope,table,")

    pdf = mona.get(f"/reports/{published}/files/{files['pdf']}")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == f'attachment; filename="{files["pdf"]}"'
    assert pdf.headers["x-content-type-options"] == "nosniff"
    assert pdf.content.startswith(b"%PDF")

    document = mona.get(f"/reports/{published}/files/{files['json']}")
    assert document.headers["content-type"] == "application/json"
    assert document.headers["content-disposition"].startswith("attachment;")
    assert json.loads(document.content)["period"] == ENDED

    refused = mona.post("/reports/publish", {"period": ENDED})
    assert refused.status_code == 403 and "may not use reports.publish" in refused.text
    assert releases(world) == [(ENDED, "all")] and published_events(world) == 1


def test_a_reviewer_opens_none_of_it(world: World, published: int) -> None:
    rita = signed_in(world, "rita")
    assert 'href="/reports"' not in rita.get("/review").text  # not in the navigation
    for path in (
        "/reports",
        f"/reports/{published}",
        f"/reports/{published}/files/report-{ENDED}-all.csv",
    ):
        answer = rita.get(path)
        assert answer.status_code == 403, path
        assert "may not use reports.read" in answer.text
    assert rita.post("/reports/publish", {"period": ENDED}).status_code == 403


def test_a_quarter_not_yet_ended_is_refused_with_the_reason(world: World) -> None:
    olga = signed_in(world, "olga")
    answer = publish(olga, NOT_ENDED)
    assert answer.status_code == 409
    assert "2026-Q2 ends on 2026-06-30: a quarter is published once it has ended" in answer.text
    assert 'href="/reports"' in answer.text  # the message in the site's frame
    assert releases(world) == [] and published_events(world) == 0

    for period, reason in (("", "choose a quarter"), ("2026-Q5", "is not a quarter")):
        answer = publish(olga, period)
        assert answer.status_code == 422 and reason in answer.text, period
    unknown = publish(olga, ENDED, "no-such-agreement")
    assert unknown.status_code == 404
    no_token = olga.client.post("/reports/publish", data={"period": ENDED}, follow_redirects=False)
    assert no_token.status_code == 403  # no CSRF token: refused, nothing written
    assert releases(world) == [] and published_events(world) == 0


def test_the_html_file_is_the_published_page_without_a_script(world: World, published: int) -> None:
    sam = signed_in(world, "sam")
    name = f"report-{ENDED}-all.html"
    answer = sam.get(f"/reports/{published}/files/{name}")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert answer.headers["content-disposition"] == f'inline; filename="{name}"'
    assert answer.headers["x-content-type-options"] == "nosniff"
    policy = answer.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy and "sandbox" in policy
    html = answer.text
    assert "<script" not in html.lower()
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing fetched from elsewhere
    assert f"Transparency report {ENDED}" in html
    manifest = sam.get(f"/reports/{published}").text
    digest = hashlib.sha256(answer.content).hexdigest()
    assert f'title="{digest}"' in manifest  # the bytes the release's manifest lists
    assert answer.headers["x-document-sha256"] == digest

    assert sam.get(f"/reports/{published}/files/manifest.json").status_code == 404
    assert sam.get(f"/reports/{published}/files/report-2025-Q4-all.csv").status_code == 404
    assert sam.get(f"/reports/{published + 1}").status_code == 404
    assert sam.get(f"/reports/{published}/files/..%2Fsecret").status_code in (404, 422)
