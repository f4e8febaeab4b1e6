"""A running API on a seeded store: the demo agreement, a pool proposed to XK with families in
several states, people carrying protected facts, and one user (with an API token) per role."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from accord.accounts import service as accounts
from accord.cases.service import replace_record, stored_people
from accord.clock import SetClock
from accord.config import Settings
from accord.db import unit_of_work
from accord.proposals import repository
from accord.proposals.fear_claims import claim_fear
from accord.proposals.notices import record_notice
from accord.proposals.pools import PoolFamily, create_pool
from accord.proposals.service import move
from accord.records.person import FearClaim
from accord.store import Store, open_store
from accord.web.app import create_app
from tests.proposals.support import (
    AGREEMENT,
    OFFICER,
    REVIEWER,
    START,
    import_records,
    load_agreement,
    single,
)
from tests.support import approve_notice_templates, person

PASSWORD = "a long enough password"
USERS: dict[str, tuple[str, str | None]] = {
    "ada": ("admin", None),
    "olga": ("officer", "US"),
    "sam": ("supervisor", "US"),
    "rita": ("reviewer", "XK"),
    "mona": ("monitor", "MON-XK"),
    "ruth": ("reviewer", "AL"),
}
BY_ROLE = {
    "admin": "ada",
    "officer": "olga",
    "supervisor": "sam",
    "reviewer": "rita",
    "monitor": "mona",
}
OTHER_REVIEWER = "ruth"

PROTECTED_VALUES = (
    "withholding",  # a protection claim's type
    '"ER"',  # the country P1 is protected against and fears
    "insulin-dependent diabetes",  # health needs without consent
    "Lee Counsel",  # counsel
    "torture",  # a vulnerability
)
"""Values of the seeded people a receiver must never read."""


def protected_person() -> dict[str, Any]:
    """An eligible adult whose record carries everything the minimized view withholds."""
    return person(
        "P1",
        "F-P1",
        medical_fit=True,
        protection=[
            {"type": "withholding", "status": "granted", "against": "ER", "date": "2024-05-01"}
        ],
        fear_claims=[{"country": "ER", "asserted": "2024-03-01", "outcome": "pending"}],
        health_needs=["insulin-dependent diabetes"],
        counsel={"name": "Lee Counsel", "contact": "lee@example.org"},
        convictions=[
            {"category": "property", "date": "2019-02-01", "final": False, "jurisdiction": "US"}
        ],
    )


@dataclass
class World:
    client: TestClient
    store: Store
    clock: SetClock
    tokens: dict[str, str]
    items: dict[str, int]
    """Family id -> item id."""
    pool: int
    notices: dict[str, int] = field(default_factory=dict)
    """Case id -> the notice served on them (A2's, on F-A2's item)."""

    def as_(self, user: str | None) -> dict[str, str]:
        return {} if user is None else {"Authorization": f"Bearer {self.tokens[user]}"}

    def get(self, path: str, user: str | None, **kwargs: Any) -> Any:
        return self.client.get(f"/api/v1{path}", headers=self.as_(user), **kwargs)

    def post(self, path: str, user: str | None, json: Any = None, **kwargs: Any) -> Any:
        headers = {**self.as_(user), **kwargs.pop("headers", {})}
        return self.client.post(f"/api/v1{path}", headers=headers, json=json, **kwargs)


def sign_up(
    store: Store, clock: SetClock, users: Mapping[str, tuple[str, str | None]] = USERS
) -> dict[str, str]:
    """The users (`USERS` unless given), each with a read and write API token: their secrets,
    by username."""
    tokens = {}
    with unit_of_work(store.sessions) as session:
        for name, (role, party) in users.items():
            accounts.add_user(session, name, PASSWORD, role, party, clock, actor="test")
            tokens[name] = accounts.issue_token(
                session,
                name,
                "test",
                ["read", "write"],
                dt.timedelta(days=365),
                clock,
                actor="test",
            )
    return tokens


def seed(
    store: Store, tmp_path: Path, clock: SetClock
) -> tuple[dict[str, str], dict[str, int], int, dict[str, int]]:
    """The world, on a store whose shipped notice templates are approved (but the Arabic one):
    a notice is served only from an approved template, in a language the person reads."""
    approve_notice_templates(store, keep_drafts=frozenset({"ar"}))
    load_agreement(store)
    import_records(
        store,
        tmp_path,
        [
            single("A1"),
            single("A2"),
            single("A3"),
            single("B1"),
            protected_person(),
        ],
    )
    with unit_of_work(store.sessions) as session:
        proposal = create_pool(
            session,
            AGREEMENT,
            [PoolFamily(f) for f in ("F-A1", "F-A2", "F-A3", "F-B1", "F-P1")],
            OFFICER,
            clock,
            method="screening",
            pool_limit=75,
        )
        items = {i.family_id: i.id for i in repository.items(session, proposal_id=proposal.id)}
        pool = proposal.id
    for family in ("F-A1", "F-A2", "F-P1"):
        with unit_of_work(store.sessions) as session:
            move(session, items[family], "accept", REVIEWER, clock)
    with unit_of_work(store.sessions) as session:
        served = record_notice(session, items["F-A2"], "A2", "person", "es", True, OFFICER, clock)
        notices = {"A2": served.notice_id}
    with unit_of_work(store.sessions) as session:
        claim_fear(session, items["F-A2"], "A2", OFFICER, clock)
    with unit_of_work(store.sessions) as session:  # a claim recorded on B1's file, not yet moved
        [b1] = stored_people(session, family_id="F-B1")
        claim = FearClaim(country="XK", asserted=clock.now().date(), outcome="pending")
        replace_record(session, b1.model_copy(update={"fear_claims": [claim]}), clock.now())
    tokens = sign_up(store, clock)
    return tokens, items, pool, notices


@contextmanager
def running(database_url: str, tmp_path: Path) -> Iterator[World]:
    clock = SetClock.on(START)
    settings = Settings(database_url=database_url)
    store = open_store(settings)
    try:
        tokens, items, pool, notices = seed(store, tmp_path, clock)
        app = create_app(settings, clock=clock)
        with TestClient(app, base_url="https://testserver") as client:
            yield World(client, store, clock, tokens, items, pool, notices)
    finally:
        store.close()
