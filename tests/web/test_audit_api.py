"""The audit log's list through the API: filtered by the subject's kind and by days."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.web.support import World


def events(world: World, query: str) -> dict[str, Any]:
    answer = world.get(f"/audit?limit=200&{query}", "sam")
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def test_the_subjects_kind_tells_a_pool_from_an_item_of_the_same_id(world: World) -> None:
    item = world.pool
    assert item in world.items.values()  # the seed's pool 1 holds item 1
    mixed = {e["entity_type"] for e in events(world, f"entity_id={item}")["items"]}
    assert {"proposal", "proposal_item"} <= mixed
    only = events(world, f"entity_id={item}&entity_type=proposal_item")["items"]
    assert only and {e["entity_type"] for e in only} == {"proposal_item"}
    assert {e["entity_id"] for e in only} == {str(item)}
    people = events(world, "entity_type=person")["items"]
    assert people and {e["entity_type"] for e in people} == {"person"}


def test_days_bound_the_log_and_split_it_without_loss(world: World) -> None:
    day = world.clock.now().date()
    everything = events(world, "")["total"]
    on_or_before = events(world, f"until={day}")
    after = events(world, f"since={day + dt.timedelta(days=1)}")
    assert on_or_before["total"] > 0
    assert on_or_before["total"] + after["total"] == everything
    assert all(dt.datetime.fromisoformat(e["at"]).date() <= day for e in on_or_before["items"])
    that_day = events(world, f"since={day}&until={day}")["items"]
    assert that_day and all(dt.datetime.fromisoformat(e["at"]).date() == day for e in that_day)


def test_a_day_is_written_as_a_date(world: World) -> None:
    for written in ("soon", "0", "20260101"):
        answer = world.get(f"/audit?since={written}", "sam")
        assert answer.status_code == 422, written
        assert answer.json()["problems"][0]["place"] == "query.since"
    assert events(world, "since=2026-02-01&until=2026-01-01")["total"] == 0  # an empty range
