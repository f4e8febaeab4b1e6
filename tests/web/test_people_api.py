"""The people list through the API: filtered, counted and paged by the database, the same on
SQLite and PostgreSQL; only the people shown are read (and audited)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from accord.db import unit_of_work
from accord.models import AuditEvent
from tests.proposals.support import import_records, single
from tests.web.support import World


def listed(world: World, query: str) -> dict[str, Any]:
    answer = world.get(f"/people?{query}", "olga")
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def ids(found: dict[str, Any]) -> list[str]:
    return [p["case_id"] for p in found["items"]]


@pytest.fixture
def mixed(world: World, tmp_path: Path) -> World:
    """A dual national, a name with the characters LIKE patterns use, and 12 people named
    Pager."""
    import_records(
        world.store,
        tmp_path,
        [
            single("D1", family_name="Dual", nationalities=["SV", "CU"]),
            single("U1", family_name="Under_score%"),
            *(single(f"G{n:02}", family_name="Pager") for n in range(1, 13)),
        ],
    )
    return world


def test_a_nationality_is_any_whole_entry_of_the_list(mixed: World) -> None:
    assert ids(listed(mixed, "nationality=CU")) == ["D1"]
    assert ids(listed(mixed, "nationality=sv")) == ["D1"]
    assert ids(listed(mixed, "nationality=UC")) == []
    for junk in (", ", '",', "V%", "_V"):
        found = listed(mixed, f"nationality={junk}")
        assert (ids(found), found["total"]) == ([], 0), junk


def test_a_family_name_starts_with_the_text_literally(mixed: World) -> None:
    assert ids(listed(mixed, "family_name=under_")) == ["U1"]
    assert ids(listed(mixed, "family_name=Under_score%25")) == ["U1"]
    assert ids(listed(mixed, "family_name=Under%25")) == []
    assert ids(listed(mixed, "family_name=Unde_")) == []


def test_pages_hold_the_whole_ordered_list_and_its_total(mixed: World) -> None:
    whole = listed(mixed, "family_name=Pager&limit=200")
    assert ids(whole) == [f"G{n:02}" for n in range(1, 13)] and whole["total"] == 12
    pages = [listed(mixed, f"family_name=Pager&limit=5&offset={at}") for at in (0, 5, 10, 15)]
    assert [ids(p) for p in pages[:3]] == [ids(whole)[at : at + 5] for at in (0, 5, 10)]
    assert [(p["total"], p["limit"], p["offset"]) for p in pages] == [
        (12, 5, 0),
        (12, 5, 5),
        (12, 5, 10),
        (12, 5, 15),
    ]
    assert ids(pages[3]) == []


def test_only_the_people_shown_are_read(mixed: World) -> None:
    def reads() -> int:
        with unit_of_work(mixed.store.sessions) as session:
            return session.execute(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "person.read", AuditEvent.actor == "olga")
            ).scalar_one()

    before = reads()
    listed(mixed, "family_name=Pager&limit=5&offset=10")
    assert reads() == before + 2
