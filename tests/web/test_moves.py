"""The API's item routes and the pages' move routes are built from the moves' declarations
(`accord.workflow.moves`): exactly the declared set, at the declared paths, under the declared
names, taking the declared bodies."""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute

from accord.config import Settings
from accord.web.app import API, PAGE_ROUTERS, create_app
from accord.workflow.moves import MOVES

DOCUMENT: dict[str, Any] = create_app(Settings(database_url="sqlite://")).openapi()


def test_the_item_routes_of_the_api_are_exactly_the_moves() -> None:
    posted = {
        operation["operationId"]: path
        for path, methods in DOCUMENT["paths"].items()
        if path.startswith(f"{API}/items/")
        for method, operation in methods.items()
        if method == "post"
    }
    assert posted == {m.rule: API + m.path() for m in MOVES}


def test_each_route_takes_the_moves_body_and_says_what_it_does() -> None:
    for move in MOVES:
        operation = DOCUMENT["paths"][API + move.path()]["post"]
        assert operation["operationId"] == move.rule
        assert operation["summary"] == move.summary
        body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
        if move.body is None:
            assert body == {}, move.name
        else:
            assert body["schema"] == {"$ref": f"#/components/schemas/{move.body.__name__}"}


def test_the_move_pages_are_exactly_the_moves() -> None:
    pages = {
        route.name: route.path
        for router in PAGE_ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        and route.name.startswith("pages.items.")
        and "POST" in route.methods
    }
    assert pages == {m.page: m.path() for m in MOVES}
