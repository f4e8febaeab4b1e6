"""`accord serve --demo` seeds a database with history behind the server's day and room to work
on it: the demo agreement open, places left, a pool the officer can propose and the XK
reviewer (only) can review."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from accord.agreements.service import stored_agreement
from accord.clock import SetClock
from accord.config import Settings
from accord.db import unit_of_work
from accord.proposals import repository
from accord.scenarios.demo_server import (
    DEMO_DAY,
    DEMO_USERS,
    DemoLogin,
    demo_clock,
    demo_day_problems,
    seed_demo_server,
)
from accord.scenarios.workflow_demo import AGREEMENT
from accord.store import open_store
from accord.web.app import create_app
from accord.workflow.quota import held


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[DemoLogin]]:
    """One seeding for the module (it takes seconds); each test works on its own copy."""
    database = tmp_path_factory.mktemp("serve-demo") / "seeded.db"
    logins = seed_demo_server(Settings(database_url=f"sqlite:///{database}"), demo_clock())
    return database, logins


@pytest.fixture
def demo(seeded: tuple[Path, list[DemoLogin]], tmp_path: Path) -> tuple[Settings, SetClock]:
    """A copy of the seeded database, so a test that proposes a pool changes no other test's."""
    source, _ = seeded
    copy = tmp_path / "demo.db"
    with closing(sqlite3.connect(source)) as old, closing(sqlite3.connect(copy)) as new:
        old.backup(new)
    return Settings(database_url=f"sqlite:///{copy}"), demo_clock()


@pytest.fixture
def logins(seeded: tuple[Path, list[DemoLogin]]) -> dict[str, DemoLogin]:
    return {login.username: login for login in seeded[1]}


@contextmanager
def signed_in(settings: Settings, clock: SetClock, login: DemoLogin) -> Iterator[Client]:
    """The app as one user's browser: its own cookie jar, signed in with the demo password."""
    with TestClient(create_app(settings, clock=clock), base_url="https://testserver") as client:
        out = client.post(
            "/api/v1/session", json={"username": login.username, "password": login.password}
        )
        assert out.status_code == 200, out.text
        yield Client(client, out.json())


class Client:
    def __init__(self, client: TestClient, me: dict[str, Any]) -> None:
        self.client = client
        self.me = me

    def get(self, path: str) -> Any:
        return self.client.get(f"/api/v1{path}")

    def post(self, path: str, json: Any = None) -> Any:
        return self.client.post(
            f"/api/v1{path}", json=json, headers={"X-CSRF-Token": self.me["csrf_token"]}
        )


def test_the_demo_day_has_history_behind_it_and_room_ahead(
    demo: tuple[Settings, SetClock],
) -> None:
    settings, clock = demo
    assert clock.now().date() == DEMO_DAY
    store = open_store(settings)
    try:
        with unit_of_work(store.sessions) as session:
            agreement = stored_agreement(session, AGREEMENT)
            assert agreement.status == "in_force"
            assert demo_day_problems(session, DEMO_DAY) == []
            [per_year] = [
                h
                for h in held(agreement, repository.ledger(session, AGREEMENT), DEMO_DAY)
                if h.cap.kind == "persons_per_period"
            ]
            assert per_year.left is not None
            assert per_year.left > 0
            # History: pools, decisions, transfers, check-ins, an incident and its lifting.
            assert len(repository.proposals(session, AGREEMENT)) >= 2
            states = Counter(i.state for i in repository.items(session, agreement_id=AGREEMENT))
            assert states["rejected"] > 0
            assert states["returned_home"] + states["remained"] > 0
            assert any(h.status == "suspended" for h in agreement.status_history)
            assert agreement.status_history[-1].status == "in_force"
            assert any(row.kind == "consume" for row in repository.ledger(session, AGREEMENT))
            items = repository.items(session, agreement_id=AGREEMENT)
            done = [c for i in items for c in repository.check_ins(session, i.id) if c.done_on]
            assert done
            assert len(repository.incidents(session, AGREEMENT)) == 1
            # Nothing of the server's day or after has been played (play_year's `until`).
            last = repository.last_ledger_day(session, AGREEMENT)
            assert last is not None
            assert last < DEMO_DAY
            assert max(p.proposed_on for p in repository.proposals(session, AGREEMENT)) < DEMO_DAY
    finally:
        store.close()


def test_there_is_one_login_per_role_and_each_signs_in(
    demo: tuple[Settings, SetClock], logins: dict[str, DemoLogin]
) -> None:
    settings, clock = demo
    assert [(u, r, p) for u, r, p in DEMO_USERS] == [
        (login.username, login.role, login.party) for login in logins.values()
    ]
    assert {login.role for login in logins.values()} == {
        "admin",
        "officer",
        "supervisor",
        "reviewer",
        "monitor",
    }
    assert len({login.password for login in logins.values()}) == len(logins)
    for login in logins.values():
        with signed_in(settings, clock, login) as user:
            assert (user.me["username"], user.me["role"], user.me["party"]) == (
                login.username,
                login.role,
                login.party,
            )


def test_each_seeding_makes_up_new_passwords(tmp_path: Path) -> None:
    """Passwords are never fixed in the code: a demo server is not a known door."""
    first = seed_demo_server(
        Settings(database_url=f"sqlite:///{tmp_path / 'a.db'}"), demo_clock(), people=200
    )
    second = seed_demo_server(
        Settings(database_url=f"sqlite:///{tmp_path / 'b.db'}"), demo_clock(), people=200
    )
    assert {a.password for a in first}.isdisjoint(b.password for b in second)
    assert all(len(login.password) >= 12 for login in first)


def test_the_officer_proposes_a_pool_that_only_the_xk_reviewer_sees_and_reviews(
    demo: tuple[Settings, SetClock], logins: dict[str, DemoLogin]
) -> None:
    settings, clock = demo
    with signed_in(settings, clock, logins["officer.us"]) as officer:
        out = officer.post("/pools", {"agreement_id": AGREEMENT})
        assert out.status_code == 201, out.text
        pool = out.json()
        assert pool["proposed_on"] == DEMO_DAY.isoformat()
        assert pool["families"] >= 2
    families = {item["family_id"] for item in pool["items"]}

    with signed_in(settings, clock, logins["reviewer.xk"]) as reviewer:
        listed = reviewer.get(f"/pools?agreement_id={AGREEMENT}").json()
        assert pool["id"] in {p["id"] for p in listed["items"]}
        seen = reviewer.get(f"/pools/{pool['id']}").json()
        assert seen["view"] == "receiver"
        assert {item["family_id"] for item in seen["items"]} == families
        first = seen["items"][0]["id"]
        accepted = reviewer.post(f"/items/{first}/accept")
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["to_state"] == "accepted"

    with signed_in(settings, clock, logins["reviewer.sv"]) as other:
        listed = other.get("/pools").json()
        assert all(p["agreement_id"] != AGREEMENT for p in listed["items"])
        refused = other.get(f"/pools/{pool['id']}")
        assert refused.status_code == 404  # another state's pool is as if it did not exist
        assert not any(family in refused.text for family in families)
