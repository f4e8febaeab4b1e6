"""The People pages: the sender's case files, searched, filtered and paged (with htmx redrawing
the rows alone), and one person's record with the screening explanation per agreement and the
family's whole timeline; every read is in the audit log."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from accord.db import unit_of_work
from accord.models import AuditEvent
from tests.proposals.support import import_records, single
from tests.support import person
from tests.web.pages_support import Browser, signed_in
from tests.web.support import World

HX = {"HX-Request": "true"}


def cases(page: str) -> list[str]:
    """The case ids of the list's rows, in order."""
    return re.findall(r'<tr data-case="([^"]+)"', page)


def reads(world: World, actor: str, case_id: str) -> list[dict[str, object]]:
    with unit_of_work(world.store.sessions) as session:
        events = session.execute(
            select(AuditEvent).where(
                AuditEvent.actor == actor,
                AuditEvent.action == "person.read",
                AuditEvent.entity_id == case_id,
            )
        ).scalars()
        return [dict(e.data or {}) for e in events]


@pytest.mark.parametrize("user", ["olga", "sam"])
def test_the_senders_staff_list_the_people_on_record(world: World, user: str) -> None:
    page = signed_in(world, user).get("/people")
    assert page.status_code == 200, page.text
    assert cases(page.text) == ["A1", "A2", "A3", "B1", "P1"]
    assert 'aria-current="page">People' in page.text
    assert 'hx-get="/people" hx-target="#people-rows" hx-push-url="true"' in page.text
    assert '<label for="p-q">' in page.text and 'id="p-q"' in page.text
    assert {"view": "summary", "via": "list"} in reads(world, user, "A1")


@pytest.mark.parametrize("user", ["rita", "ruth", "mona", "ada"])
def test_no_one_else_opens_the_case_files(world: World, user: str) -> None:
    browser = signed_in(world, user)
    for path in ("/people", "/people/A1"):
        page = browser.get(path)
        assert page.status_code == 403, (path, page.text)
        assert "Not allowed" in page.text
        assert "Example" not in page.text
    assert reads(world, user, "A1") == []


def test_signed_out_the_pages_ask_to_sign_in(world: World) -> None:
    browser = signed_in(world, None)
    for path in ("/people?q=Ex", "/people/A1"):
        page = browser.get(path, follow_redirects=False)
        assert page.status_code == 303
        assert page.headers["location"].startswith("/login?next=/people")


@pytest.fixture
def more(world: World, tmp_path: Path) -> World:
    """Two more families on record: a Cuban family of two named Zamora, and 26 people named
    Queue (more than a page)."""
    import_records(
        world.store,
        tmp_path,
        [
            single("Z1", family_name="Zamora", nationalities=["CU"]),
            person(
                "Z2",
                "F-Z1",
                relationship="spouse",
                family_name="Zamora",
                nationalities=["CU"],
                medical_fit=True,
            ),
            *(single(f"Q{n:02}", family_name="Queue") for n in range(1, 27)),
        ],
    )
    return world


def test_search_and_filters_narrow_the_list(more: World) -> None:
    olga = signed_in(more, "olga")
    assert cases(olga.get("/people?q=Zam").text) == ["Z1", "Z2"]
    assert cases(olga.get("/people?q=zAM").text) == ["Z1", "Z2"]  # any case, on every database
    assert cases(olga.get("/people?nationality=cu").text) == ["Z1", "Z2"]
    assert cases(olga.get("/people?family_id=F-A1").text) == ["A1"]
    assert cases(olga.get("/people?q=Example&family_id=F-P1").text) == ["P1"]
    assert cases(olga.get("/people?q=Example&nationality=VE").text) == [
        "A1",
        "A2",
        "A3",
        "B1",
        "P1",
    ]
    nobody = olga.get("/people?q=Nobody")
    assert cases(nobody.text) == [] and "No one on record matches." in nobody.text
    assert olga.get("/people?nationality=C").status_code == 200  # still typing: not a filter
    refused = olga.get("/people?nationality=C1")
    assert refused.status_code == 422
    assert "nationality" in refused.text


def test_countries_are_named_beside_their_codes(more: World) -> None:
    """The list, its filter and the record name each country: "Cuba (CU)", not "CU"."""
    olga = signed_in(more, "olga")
    listed = olga.get("/people?nationality=cu").text
    assert "· nationality Cuba (CU)" in listed
    row = re.search(r'<tr data-case="Z1">(.*?)</tr>', listed, re.S)
    assert row and "<td>Cuba (CU)</td>" in row.group(1), listed
    record = olga.get("/people/A2").text
    assert "<dt>Nationalities</dt><dd>Venezuela (VE)</dd>" in record
    assert "about Kosovo (XK), asserted" in record  # the fear claim raised in the workflow


def test_the_list_pages_forward_and_back_keeping_its_filters(more: World) -> None:
    olga = signed_in(more, "olga")
    first = olga.get("/people?q=Queue")
    assert cases(first.text) == [f"Q{n:02}" for n in range(1, 26)]
    assert "1–25 of 26" in first.text
    found = re.search(r'href="([^"]+)"[^>]*rel="next"', first.text)
    assert found, first.text
    assert found.group(1) == "/people?q=Queue&amp;offset=25"
    assert 'hx-target="#people-rows" hx-push-url="true" rel="next"' in first.text
    second = olga.get("/people?q=Queue&offset=25")
    assert cases(second.text) == ["Q26"]
    assert "26–26 of 26" in second.text
    assert 'href="/people?q=Queue" hx-get="/people?q=Queue"' in second.text
    assert 'rel="next"' not in second.text


def test_an_htmx_search_returns_the_rows_alone(more: World) -> None:
    olga = signed_in(more, "olga")
    fragment = olga.get("/people?q=Zam", headers=HX)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and "<form" not in fragment.text
    assert cases(fragment.text) == ["Z1", "Z2"]
    assert "1–2 of 2" in fragment.text
    restored = olga.get("/people?q=Zam", headers={**HX, "HX-History-Restore-Request": "true"})
    assert "<html" in restored.text  # a history restore redraws the whole page
    assert cases(restored.text) == ["Z1", "Z2"]


def test_a_persons_page_explains_screening_and_the_read_is_logged(world: World) -> None:
    olga = signed_in(world, "olga")
    page = olga.get("/people/A2")
    assert page.status_code == 200, page.text
    text = page.text
    assert "Ana Example" in text and "F-A2" in text
    assert {"view": "full record"} in reads(world, "olga", "A2")
    assert {"view": "screening explanation", "agreement": "demo-xk-year"} in reads(
        world, "olga", "A2"
    )
    # A2's fear claim about the receiver blocks it (S5); every rule is listed with its outcome.
    table = text[text.index('data-agreement="demo-xk-year"') :]
    s5 = re.search(r'<tr data-rule="S5">(.*?)</tr>', table, re.S)
    s1 = re.search(r'<tr data-rule="S1">(.*?)</tr>', table, re.S)
    assert s5 and "✘ blocks" in s5.group(1), table
    assert "fear claim about Kosovo (XK) pending" in s5.group(1)  # why
    assert "Convention Against Torture art. 3" in s5.group(1)  # its source
    assert s1 and "✔ passes" in s1.group(1)
    assert '<tr data-rule="public-order">' in table  # the receiver's criteria too


def test_an_eligible_person_is_shown_eligible(world: World) -> None:
    page = signed_in(world, "sam").get("/people/A1")
    assert page.status_code == 200
    assert 'badge ok">eligible' in page.text
    assert "✘ blocks" not in page.text


def test_a_persons_timeline_shows_every_item_of_the_family_and_case_changes(
    world: World,
) -> None:
    item = world.items["F-A2"]
    page = signed_in(world, "olga").get("/people/A2")
    text = page.text
    timeline = text[text.index('id="h-timeline"') :]
    assert f'<a href="/items/{item}">item {item}</a>' in text
    assert f'<a href="/items/{item}">item {item}</a>: propose' in timeline
    assert f'<a href="/items/{item}">item {item}</a>: accept' in timeline
    assert "claim_fear" in timeline  # the sender's staff see the claim itself
    assert "case change: fear claim" in timeline
    assert "case file created" in timeline
    never = signed_in(world, "olga").get("/people/Z9")
    assert never.status_code == 404


def test_a_person_never_proposed_has_no_items(world: World, tmp_path: Path) -> None:
    import_records(world.store, tmp_path, [single("N1")])
    page = signed_in(world, "olga").get("/people/N1")
    assert page.status_code == 200
    assert "The family has never been proposed." in page.text
    assert "/items/" not in page.text


def test_the_list_and_the_record_link_to_each_other(world: World) -> None:
    """The list's case ids link to the person's page, which links back to the family."""
    olga: Browser = signed_in(world, "olga")
    listing = olga.get("/people?family_id=F-A1")
    assert 'href="/people/A1"' in listing.text
    record = olga.get("/people/A1")
    assert 'href="/people?family_id=F-A1"' in record.text
