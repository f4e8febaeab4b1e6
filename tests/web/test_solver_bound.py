"""The solver time a request may ask for is bounded by the server (ACCORD_MAX_SOLVE_SECONDS,
10 unless set): a request asking for more is refused with 422 naming the field, one asking for
none gets the bound, and the pages' builder runs within it too. Each solver second holds one
of the server's threads."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from accord.config import Settings
from accord.proposals import api as proposals_api
from accord.proposals import pages as proposal_pages
from accord.web.app import create_app
from tests.web.pages_support import signed_in
from tests.web.support import World


@pytest.fixture
def solves(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The time limits the matcher is run with, by the API and by the pages."""
    asked: list[float] = []

    def recording(real: Any) -> Any:
        def match(*args: Any, time_limit: float, **kwargs: Any) -> Any:
            asked.append(time_limit)
            return real(*args, time_limit=time_limit, **kwargs)

        return match

    monkeypatch.setattr(proposals_api, "match", recording(proposals_api.match))
    monkeypatch.setattr(proposal_pages, "match", recording(proposal_pages.match))
    return asked


def preview(world: World, **body: Any) -> Any:
    return world.post("/matching/preview", "sam", {"agreement_ids": ["demo-xk-year"], **body})


def test_a_preview_asking_for_more_than_the_bound_is_refused(
    world: World, solves: list[float]
) -> None:
    refused = preview(world, time_limit=120)
    assert refused.status_code == 422
    assert refused.json()["problems"] == [
        {"place": "body.time_limit", "message": "at most 10 seconds on this server"}
    ]
    assert solves == []
    assert preview(world, time_limit=2.5).status_code == 200
    assert preview(world).status_code == 200
    assert solves == [2.5, 10.0]


def test_a_proposal_asking_for_more_than_the_bound_is_refused_and_stores_nothing(
    world: World,
) -> None:
    pools = world.get("/pools", "sam").json()["total"]
    refused = world.post("/pools", "sam", {"agreement_id": "demo-xk-year", "time_limit": 11})
    assert refused.status_code == 422
    assert refused.json()["problems"][0]["place"] == "body.time_limit"
    assert world.get("/pools", "sam").json()["total"] == pools


def test_the_bound_is_the_servers_and_its_document_says_so(world: World) -> None:
    settings = Settings(database_url=world.store.settings.database_url, max_solve_seconds=2)
    app = create_app(settings, clock=world.clock)
    with TestClient(app, base_url="https://testserver") as client:
        headers = world.as_("sam")
        body = {"agreement_ids": ["demo-xk-year"], "time_limit": 3}
        answer = client.post("/api/v1/matching/preview", json=body, headers=headers)
        assert answer.status_code == 422
        assert answer.json()["problems"][0]["message"] == "at most 2 seconds on this server"
        document = client.get("/api/v1/openapi.json").json()
    time_limit = document["components"]["schemas"]["PreviewIn"]["properties"]["time_limit"]
    assert time_limit["anyOf"][0]["maximum"] == 2


def test_the_builder_page_runs_the_matcher_within_the_bound(
    world: World, solves: list[float]
) -> None:
    sam = signed_in(world, "sam")
    answer = sam.post(
        "/pools/new/preview", {"agreement_id": "demo-xk-year"}, headers={"HX-Request": "true"}
    )
    assert answer.status_code == 200, answer.text
    assert solves == [10.0]
