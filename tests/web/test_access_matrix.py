"""The access matrix, generated from the app's route table: every route, called by every role,
by nobody, and by a reviewer of another state, is allowed or refused exactly as written here.
A route added without an entry here fails the test (DESIGN §1).

A role a route never serves is refused (403); a reviewer of another state asking for XK's
agreement, pool or item is told exactly what it would be told of one that does not exist
(404, the same body): an id must not tell whose it is."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from accord.access import PUBLIC_ROUTES, RULES
from tests.web.support import BY_ROLE, OTHER_REVIEWER, World

SENDER = {"officer", "supervisor"}
EVERYONE = {"admin", "officer", "supervisor", "reviewer", "monitor"}
EXPECTED: dict[str, set[str]] = {
    "session.me": EVERYONE,
    "session.logout": EVERYONE,
    "users.list": {"admin"},
    "users.add": {"admin"},
    "tokens.issue": {"admin"},
    "tokens.revoke": {"admin"},
    "agreements.list": EVERYONE,
    "agreements.get": EVERYONE,
    "agreements.aggregates": {"officer", "supervisor", "reviewer", "monitor"},
    "agreements.ledger": {"officer", "supervisor", "reviewer"},
    "agreements.status": {"supervisor"},
    "people.list": SENDER,
    "people.get": SENDER,
    "people.import": SENDER,
    "people.screening": SENDER,
    "people.case_change": SENDER,
    "people.lift": {"supervisor"},
    "people.assess": {"supervisor"},
    "screening.summary": SENDER,
    "pools.list": {"officer", "supervisor", "reviewer"},
    "pools.get": {"officer", "supervisor", "reviewer"},
    "pools.propose": SENDER,
    "pools.preview": SENDER,
    "pools.job": SENDER,
    "pools.decide": {"reviewer"},
    "pools.dossier": {"officer", "supervisor", "reviewer"},
    "items.get": {"officer", "supervisor", "reviewer"},
    "items.notice_document": SENDER,
    "items.accept": {"reviewer"},
    "items.reject": {"reviewer"},
    "items.revoke": {"reviewer"},
    "items.transfer": {"reviewer"},
    "items.onward": {"reviewer"},
    "items.cancel": SENDER,
    "items.notify": SENDER,
    "items.claim_fear": SENDER,
    "items.fear_interview": SENDER,
    "items.fear_outcome": SENDER,
    "items.schedule": SENDER,
    "items.clear": {"supervisor"},
    "items.close": SENDER,
    "items.check_in": {"officer", "supervisor", "reviewer", "monitor"},
    "incidents.report": {"officer", "supervisor", "reviewer", "monitor"},
    "incidents.lift": {"supervisor"},
    "incidents.list": {"officer", "supervisor", "reviewer", "monitor"},
    "checkins.list": {"officer", "supervisor", "reviewer", "monitor"},
    "audit.list": {"supervisor", "admin"},
    "audit.verify": {"supervisor", "admin"},
    "received.list": {"reviewer"},
    "received.get": {"reviewer"},
    "received.decide": {"reviewer"},
    "received.arrive": {"reviewer"},
    "received.onward": {"reviewer"},
    "received.check_in": {"reviewer"},
    "received.incident": {"reviewer"},
    "exchange.messages": {"supervisor", "admin"},
}
BODIES: dict[str, dict[str, Any]] = {
    "items.reject": {"reason_code": "criteria", "reason_text": "the matrix"},
    "items.revoke": {"reason_code": "other", "reason_text": "the matrix"},
    "items.onward": {"outcome": "remained", "detail": "temporary protection"},
    "items.check_in": {"days": 30, "audience": "shared"},
    "incidents.report": {"kind": "other", "text": "the matrix", "audience": "shared"},
    "incidents.lift": {"reason": "the matrix lifts nothing"},
    "pools.decide": {"decisions": [{"item_id": 3, "decision": "accept"}]},
}
"""Well-formed bodies, so that a reviewer of another state meets the party check, not a 422."""
SCOPED = ("{item_id}", "{pool_id}", "{agreement_id}")
"""Routes about one agreement's data: a reviewer of another state gets 404 there."""
MISSING = {"item_id": 2**31 - 1, "pool_id": 2**31 - 2, "agreement_id": "no-such-agreement"}
"""Ids that name nothing: what a route answers for them, it answers for another state's."""


@dataclass(frozen=True)
class Operation:
    name: str
    method: str
    path: str
    has_body: bool


def operations(world: World) -> list[Operation]:
    """The route table as the OpenAPI document publishes it (operation id = route name)."""
    document = world.client.get("/api/v1/openapi.json").json()
    return sorted(
        (
            Operation(op["operationId"], method.upper(), path, "requestBody" in op)
            for path, methods in document["paths"].items()
            for method, op in methods.items()
            if op["operationId"] not in PUBLIC_ROUTES
        ),
        key=lambda o: o.name,
    )


def call(world: World, route: Operation, user: str | None, *, missing: bool = False) -> Any:
    """The route with real ids from the seeded store (or, `missing`, ids that name nothing); a
    body of `{}` where one is expected (an allowed caller then gets 422, never 401 or 403)."""
    values: dict[str, Any] = {
        "item_id": world.items["F-A3"],
        "pool_id": world.pool,
        "agreement_id": "demo-xk-year",
        "case_id": "A1",
        "username": "olga",
        "token_id": 999_999,
        "notice_id": world.notices["A2"],
        "job_id": 1,  # none was queued: an allowed caller is answered 404
        "received_id": 1,  # no exchange keys here: an allowed caller is answered 409
    }
    if missing:
        values |= MISSING
    path = re.sub(r"{(\w+)}", lambda m: str(values[m.group(1)]), route.path)
    kwargs: dict[str, Any] = {"headers": world.as_(user)}
    if route.has_body:
        kwargs["json"] = BODIES.get(route.name, {}) if user == OTHER_REVIEWER else {}
    if route.name == "people.screening":
        kwargs["params"] = {"agreement_id": "demo-xk-year"}
    return world.client.request(route.method, path, **kwargs)


def test_every_route_has_a_rule_and_an_expectation(world: World) -> None:
    names = {r.name for r in operations(world)}
    assert names - set(EXPECTED) == set(), "a route without an expected row in the matrix"
    assert names - set(RULES) == set(), "a route without an access rule"
    assert set(EXPECTED) - names == set(), "an expectation for a route that does not exist"


def test_every_route_for_every_caller(world: World) -> None:
    wrong = []
    for route in operations(world):
        allowed = EXPECTED.get(route.name, set())
        anonymous = call(world, route, None).status_code
        if anonymous != 401:
            wrong.append(f"{route.name}: no login -> {anonymous}, expected 401")
        for role, user in BY_ROLE.items():
            status = call(world, route, user).status_code
            if role in allowed and status in (401, 403):
                wrong.append(f"{route.name}: {role} -> {status}, expected allowed")
            if role not in allowed and status != 403:
                wrong.append(f"{route.name}: {role} -> {status}, expected 403")
        if "reviewer" in allowed:
            response = call(world, route, OTHER_REVIEWER)
            if any(p in route.path for p in SCOPED):
                absent = call(world, route, OTHER_REVIEWER, missing=True)
                if (response.status_code, absent.status_code) != (404, 404):
                    wrong.append(
                        f"{route.name}: reviewer of AL -> {response.status_code},"
                        f" for nothing -> {absent.status_code}; expected 404 for both"
                    )
                elif told(response.json(), world) != told(absent.json(), None):
                    wrong.append(f"{route.name}: XK's {route.path} is told from a missing one")
            elif "demo-xk-year" in response.text or "F-A" in response.text:
                wrong.append(f"{route.name}: reviewer of AL reads XK's data")
    assert wrong == [], "\n".join(wrong)


def told(problem: dict[str, Any], world: World | None) -> dict[str, Any]:
    """A refusal as its reader reads it, with the ids it was asked about put back to `{name}`
    (the ids differ between the two requests; nothing else may)."""
    text = json.dumps(problem)
    real = (
        {"item_id": world.items["F-A3"], "pool_id": world.pool, "agreement_id": "demo-xk-year"}
        if world is not None
        else MISSING
    )
    for name, value in real.items():
        text = re.sub(rf"(?<![\w-]){re.escape(str(value))}(?![\w-])", "{" + name + "}", text)
    told: dict[str, Any] = json.loads(text)
    return told
