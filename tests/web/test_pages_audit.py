"""The audit log's pages (supervisors and admins): the events filtered and paged (htmx redraws
the rows alone), and the verification of the hash chain, intact or broken at an event."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from tests.web.pages_support import signed_in
from tests.web.support import World

HX = {"HX-Request": "true"}


def rows(page: str) -> list[tuple[int, str, str, str]]:
    """(seq, actor, action, subject) of each row shown."""
    found = re.findall(
        r'<tr data-seq="(\d+)">\s*<td class="num">\d+</td>\s*<td>[^<]*</td>\s*'
        r"<td>([^<]*)</td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>",
        page,
    )
    return [(int(seq), actor, action, subject) for seq, actor, action, subject in found]


@pytest.mark.parametrize("user", ["sam", "ada"])
def test_supervisors_and_admins_read_the_log_newest_first(world: World, user: str) -> None:
    page = signed_in(world, user).get("/audit")
    assert page.status_code == 200, page.text
    shown = rows(page.text)
    assert len(shown) == 25  # one page
    seqs = [seq for seq, *_ in shown]
    assert seqs == sorted(seqs, reverse=True)
    assert 'aria-current="page">Audit log' in page.text
    assert 'hx-get="/audit/verify" hx-target="#audit-verify"' in page.text
    assert '<label for="a-actor">' in page.text and 'id="a-actor"' in page.text
    assert 'rel="next"' in page.text


@pytest.mark.parametrize("user", ["olga", "rita", "mona"])
def test_no_one_else_reads_the_log(world: World, user: str) -> None:
    browser = signed_in(world, user)
    for path in ("/audit", "/audit/verify"):
        page = browser.get(path)
        assert page.status_code == 403, (path, page.text)
        assert "data-seq" not in page.text and "data-chain" not in page.text
    assert browser.get("/audit", headers=HX).status_code == 403


def test_signed_out_the_log_asks_to_sign_in(world: World) -> None:
    page = signed_in(world, None).get("/audit?actor=sam", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/audit%3Factor%3Dsam"


def test_filters_narrow_the_log(world: World) -> None:
    signed_in(world, "olga").get("/people/A1")  # a read of A1's record, logged
    signed_in(world, "sam").get("/people/A1")
    sam = signed_in(world, "sam")
    by_olga = rows(sam.get("/audit?actor=olga").text)
    assert by_olga and {actor for _, actor, _, _ in by_olga} == {"olga"}
    reads = rows(sam.get("/audit?action=person.read&entity_id=A1").text)
    assert {(a, s) for _, _, a, s in reads} == {("person.read", "person A1")}
    assert {actor for _, actor, _, _ in reads} == {"olga", "sam"}
    only = rows(sam.get("/audit?actor=olga&action=person.read&entity_id=A1").text)
    assert only == [r for r in reads if r[1] == "olga"]
    nothing = sam.get("/audit?actor=nobody")
    assert rows(nothing.text) == [] and "No event matches." in nothing.text


def test_the_page_filters_by_subject_kind_and_day(world: World) -> None:
    sam = signed_in(world, "sam")
    sam.get("/people/A1")
    day = world.clock.now().date()
    page = sam.get(f"/audit?entity_type=person&since={day}&until={day}")
    assert page.status_code == 200
    shown = rows(page.text)
    assert shown and all(subject.startswith("person ") for _, _, _, subject in shown)
    assert '<option value="person" selected>' in page.text
    assert sam.get("/audit?since=soon").status_code == 400


def test_the_log_pages_keeping_its_filters(world: World) -> None:
    sam, olga = signed_in(world, "sam"), signed_in(world, "olga")
    before = len(rows(sam.get("/audit?actor=olga").text))  # the seed's moves, the sign-in
    assert 0 < before < 25
    for _ in range(6):  # 5 people listed each time: 30 reads by olga
        olga.get("/people")
    first = sam.get("/audit?actor=olga")
    shown = rows(first.text)
    assert len(shown) == 25 and f"1–25 of {before + 30}" in first.text
    assert 'href="/audit?actor=olga&amp;offset=25"' in first.text
    second = sam.get("/audit?actor=olga&offset=25")
    later = rows(second.text)
    assert len(later) == before + 5 and {actor for _, actor, _, _ in later} == {"olga"}
    assert max(seq for seq, *_ in later) < min(seq for seq, *_ in shown)
    assert 'href="/audit?actor=olga" hx-get="/audit?actor=olga"' in second.text
    assert 'rel="next"' not in second.text


def test_an_htmx_filter_returns_the_rows_alone(world: World) -> None:
    signed_in(world, "olga").get("/people/A1")
    sam = signed_in(world, "sam")
    fragment = sam.get("/audit?actor=olga", headers=HX)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and "<form" not in fragment.text
    shown = rows(fragment.text)
    assert shown and {actor for _, actor, _, _ in shown} == {"olga"}
    assert len(shown) < len(rows(sam.get("/audit").text))


def test_verify_shows_an_intact_chain(world: World) -> None:
    sam = signed_in(world, "sam")
    page = sam.get("/audit/verify")
    assert page.status_code == 200
    assert "<html" in page.text and 'data-chain="intact"' in page.text
    assert re.search(r"Intact.</strong> \d+ events checked", page.text)
    fragment = sam.get("/audit/verify", headers=HX)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and 'data-chain="intact"' in fragment.text


def test_verify_shows_where_a_tampered_chain_breaks(world: World) -> None:
    with world.store.engine.begin() as connection:  # what raw database access could do
        if connection.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER audit_events_no_update"))
        connection.execute(text("update audit_events set actor = 'someone' where seq = 3"))
    page = signed_in(world, "ada").get("/audit/verify", headers=HX)
    assert page.status_code == 200
    assert 'data-chain="broken"' in page.text
    assert "Broken</strong> at event 3" in page.text
    assert "content does not match its hash" in page.text
