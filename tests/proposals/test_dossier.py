"""A pool's dossier (DESIGN §6): the PDF of what the receiving state's reviewer reads of a pool
proposed to it, through the minimized view only, refused to anyone else as the pool's JSON is,
deterministic, and listing the very families and people the JSON lists."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from accord.access import Actor
from accord.cases.minimized import HEALTH_CONSENT
from accord.db import unit_of_work
from accord.models import AuditEvent
from accord.proposals.dossier import dossier_inputs, render_dossier
from tests.proposals.support import import_records, propose
from tests.support import person
from tests.web.pages_support import signed_in
from tests.web.support import OTHER_REVIEWER, World, running

CONSENTED = "hearing aid batteries, shared with consent"
WITHHELD = "weekly physiotherapy, not consented"
COUNSEL = "Quillon Barnaby-Ortiz"
NOT_FINAL = "2018-07-23"
FINAL = "2016-03-14"


def family_of_two() -> list[dict[str, Any]]:
    """A head whose name is written in Cyrillic, with an alias, a final and a conviction that is
    not, a detention incident and a health need shared with consent; and a child."""
    return [
        person(
            "DOS-1",
            "F-DOS1",
            medical_fit=True,
            given_name="Людмила",
            family_name="Вострикова",
            aliases=["Lyudmila Vostrikova"],
            nationalities=["VE", "CO"],
            languages=["es", "ru"],
            travel_document={"type": "passport", "country": "VE", "expires": "2030-05-06"},
            convictions=[
                {"category": "property", "date": FINAL, "final": True, "jurisdiction": "US"},
                {"category": "fraud", "date": NOT_FINAL, "final": False, "jurisdiction": "US"},
            ],
            detention_incidents=[{"date": "2025-02-11", "kind": "refused a cell search"}],
            consents=[HEALTH_CONSENT],
            health_needs=[CONSENTED],
        ),
        person(
            "DOS-2",
            "F-DOS1",
            medical_fit=True,
            relationship="child",
            given_name="Pavel",
            family_name="Vostrikov",
            birth_date="2014-09-30",
            sex="M",
        ),
    ]


def protected() -> dict[str, Any]:
    """An adult whose record carries what the minimized view withholds."""
    return person(
        "DOS-3",
        "F-DOS3",
        medical_fit=True,
        given_name="Teodoro",
        family_name="Anselmi",
        protection=[
            {"type": "withholding", "status": "granted", "against": "ER", "date": "2024-05-01"}
        ],
        fear_claims=[{"country": "ER", "asserted": "2024-03-01", "outcome": "pending"}],
        health_needs=[WITHHELD],
        counsel={"name": COUNSEL, "contact": "qbo@law.example"},
    )


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    """The web tests' world (a pool of five families proposed to XK, one of them with a fear
    claim raised, one carrying protected facts), and a second pool of the families above."""
    seeded, ours = tmp_path / "world", tmp_path / "dossier"
    seeded.mkdir()
    ours.mkdir()
    with running(database_url, seeded) as world:
        import_records(world.store, ours, [*family_of_two(), protected()])
        propose(world.store, world.clock, ["F-DOS1", "F-DOS3"])
        yield world


def second_pool(world: World) -> int:
    [found] = [
        p["id"] for p in world.get("/pools", "rita").json()["items"] if p["id"] != world.pool
    ]
    return int(found)


def text_of(pdf: bytes) -> str:
    """Every page's text, each run of white space one space (a cell's lines run together)."""
    pages = PdfReader(io.BytesIO(pdf)).pages
    return " ".join(" ".join(page.extract_text().split()) for page in pages)


def dossier(world: World, pool: int, user: str | None) -> Any:
    return world.get(f"/pools/{pool}/dossier.pdf", user)


def test_the_reviewer_reads_the_minimized_records_of_a_pool_proposed_to_its_state(
    world: World,
) -> None:
    pool = second_pool(world)
    answer = dossier(world, pool, "rita")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert (
        answer.headers["content-disposition"] == f'attachment; filename="pool-{pool}-dossier.pdf"'
    )
    text = text_of(answer.content)
    for shown in (
        f"Dossier of pool {pool} · demo-xk-year",
        "Kosovo (XK)",
        "DOS-1",
        "Людмила Вострикова",
        "Lyudmila Vostrikova",
        "DOS-2",
        "Pavel Vostrikov",
        "2014-09-30",
        "Venezuela (VE), Colombia (CO)",
        "passport, Venezuela (VE), expires 2030-05-06",
        f"property, {FINAL}, United States (US)",
        "2025-02-11: refused a cell search",
        CONSENTED,
        "DOS-3",
        "Teodoro Anselmi",
    ):
        assert shown in text, shown
    assert re.search(r"Family F-DOS1 · item \d+ State proposed, since", text)
    for withheld in (NOT_FINAL, "fraud", WITHHELD, COUNSEL, "withholding", "Eritrea", "fear"):
        assert withheld.lower() not in text.lower(), withheld
    assert not re.search(r"\bER\b", text)
    assert "Health needs" in text  # the column of the family with a need shared


def test_nothing_outside_the_minimized_view_reaches_the_reviewer(world: World) -> None:
    """The seeded pool: P1's protection, fear claim, health need without consent, counsel and
    conviction that is not final stay with the sender, and A2's fear claim shows as the neutral
    state the JSON shows; the sender's own dossier reads the real state."""
    text = text_of(dossier(world, world.pool, "rita").content)
    shown = world.get(f"/items/{world.items['F-A2']}", "rita").json()["state"]
    assert f"{shown}, since" in text
    for withheld in ("withholding", "insulin-dependent diabetes", "Lee Counsel", "2019-02-01"):
        assert withheld not in text, withheld
    assert "fear" not in text.lower()
    assert "Health needs" not in text  # no one in the pool shares one
    officer = text_of(dossier(world, world.pool, "olga").content)
    assert "fear_claimed" in officer


def test_a_pool_the_caller_may_not_read_is_not_found_as_in_its_json(world: World) -> None:
    pool = second_pool(world)
    for asked in (pool, 2**31 - 2):
        answer = dossier(world, asked, OTHER_REVIEWER)
        assert answer.status_code == 404
        told = world.get(f"/pools/{asked}", OTHER_REVIEWER).json()
        assert answer.json() == told | {"instance": f"/api/v1/pools/{asked}/dossier.pdf"}
    assert dossier(world, pool, "mona").status_code == 403
    assert dossier(world, pool, None).status_code == 401
    browser = signed_in(world, OTHER_REVIEWER)
    assert browser.get(f"/pools/{pool}/dossier.pdf").status_code == 404


def test_the_same_pool_gives_the_same_bytes(world: World) -> None:
    pool = second_pool(world)
    first, again = (dossier(world, pool, "rita").content for _ in range(2))
    assert first == again
    reviewer = Actor("rita", "reviewer", "XK")
    with unit_of_work(world.store.sessions) as session:
        assert render_dossier(session, pool, reviewer) == first
        assert render_dossier(session, pool, reviewer) == first


def test_the_json_pool_and_the_dossier_list_the_same_families_and_people(world: World) -> None:
    for pool in (world.pool, second_pool(world)):
        seen = world.get(f"/pools/{pool}", "rita").json()
        families = {(i["family_id"], i["id"]) for i in seen["items"]}
        cases = {
            m["case_id"]
            for i in seen["items"]
            for m in world.get(f"/items/{i['id']}", "rita").json()["members"]
        }
        text = text_of(dossier(world, pool, "rita").content)
        listed = {(f, int(i)) for f, i in re.findall(r"Family (F-[\w-]+) · item (\d+)", text)}
        assert listed == families
        reviewer = Actor("rita", "reviewer", "XK")
        with unit_of_work(world.store.sessions) as session:
            inputs = dossier_inputs(session, pool, reviewer)
        assert {m["case_id"] for f in inputs["families"] for m in f["members"]} == cases
        assert all(case in text for case in cases)


def test_the_pool_page_links_the_dossier_and_serves_it(world: World) -> None:
    pool = second_pool(world)
    browser = signed_in(world, "rita")
    page = browser.get(f"/pools/{pool}")
    assert f'href="/pools/{pool}/dossier.pdf"' in page.text
    assert "Dossier (PDF)" in page.text
    answer = browser.get(f"/pools/{pool}/dossier.pdf")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.content == dossier(world, pool, "rita").content


def test_each_member_read_for_the_dossier_is_audited(world: World) -> None:
    pool = second_pool(world)
    assert dossier(world, pool, "rita").status_code == 200
    with unit_of_work(world.store.sessions) as session:
        reads = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "person.read", AuditEvent.actor == "rita")
        ).all()
        assert {e.entity_id for e in reads} == {"DOS-1", "DOS-2", "DOS-3"}
        assert {e.data["view"] for e in reads} == {"minimized"}
