"""Two `accord serve` processes on one PostgreSQL database behave as one server
(docs/operations.md, "More than one server"): everything a request leaves for the next is in
the database, never in a process. A session begun on one is good on the other and ends on both;
failed sign-ins on either count against the same limit; an idempotency key used on one is
answered the same on the other, without acting twice; an acceptance on one is in the ledger the
other reads.

The servers are real processes (`accord --db URL serve --port P`), on ports free when the test
starts, stopped at its end (terminate, then kill)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from accord.accounts import policy
from accord.clock import SetClock
from accord.config import Settings
from accord.db import unit_of_work
from accord.models import LedgerEntry
from accord.store import open_store
from accord.web.auth import CSRF_HEADER, SESSION_COOKIE
from tests.operations.servers import Served, free_port
from tests.proposals.support import AGREEMENT, START, propose, singles
from tests.support import cheap_passwords
from tests.web.support import PASSWORD, sign_up

pytestmark = pytest.mark.postgres

NOW = SetClock.on(START)
"""Both servers and the seeding stand at this moment (ACCORD_NOW): inside the demo term."""
STARTUP_SECONDS = 90
FAMILIES = ("F-A1", "F-A2", "F-A3")


@dataclass
class Seeded:
    tokens: dict[str, str]
    """Username -> a read-and-write API token."""
    items: dict[str, int]
    """Family id -> its item in the pool proposed to XK."""


def seed(url: str, tmp_path: Path) -> Seeded:
    """The demo agreement, three families in a pool proposed to XK, one user per role."""
    store = open_store(Settings(database_url=url))
    try:
        singles(store, tmp_path, *(f.removeprefix("F-") for f in FAMILIES))
        items = dict(zip(FAMILIES, propose(store, NOW, FAMILIES), strict=True))
        with cheap_passwords():
            tokens = sign_up(store, NOW)
        return Seeded(tokens, items)
    finally:
        store.close()


@dataclass
class Server(Served):
    name: str = ""

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.get(self.url + path, timeout=60, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.post(self.url + path, timeout=60, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.delete(self.url + path, timeout=60, **kwargs)


@contextmanager
def serving(name: str, database_url: str, tmp_path: Path) -> Iterator[Server]:
    """`accord --db URL serve --port P` in its own process, until the block ends."""
    port = free_port()
    log = tmp_path / f"server-{name}.log"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("ACCORD_") and key != "PROMETHEUS_MULTIPROC_DIR"
    }
    env |= {"ACCORD_NOW": NOW.now().isoformat(), "ACCORD_THREADS": "4"}
    accord = Path(sys.executable).parent / "accord"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(accord), "--db", database_url, "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    server = Server(f"http://127.0.0.1:{port}", process, log, name)
    try:
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@pytest.fixture
def two(postgres_url: str, tmp_path: Path) -> Iterator[tuple[Server, Server, Seeded]]:
    seeded = seed(postgres_url, tmp_path)
    with ExitStack() as stack:
        a = stack.enter_context(serving("A", postgres_url, tmp_path))
        b = stack.enter_context(serving("B", postgres_url, tmp_path))
        a.wait_until_alive(STARTUP_SECONDS, poll=0.2, name=f"server {a.name}")
        b.wait_until_alive(STARTUP_SECONDS, poll=0.2, name=f"server {b.name}")
        yield a, b, seeded


def sign_in(server: Server, username: str, password: str = PASSWORD) -> httpx.Response:
    return server.post("/api/v1/session", json={"username": username, "password": password})


def session_cookie(answer: httpx.Response) -> str:
    """The session cookie's value: it is `Secure`, so no client sends it back over plain
    HTTP on its own; the test sends it as a browser would over HTTPS."""
    cookies: SimpleCookie = SimpleCookie()
    for header in answer.headers.get_list("set-cookie"):
        cookies.load(header)
    return cookies[SESSION_COOKIE].value


def bearer(seeded: Seeded, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {seeded.tokens[user]}"}


def ledger_rows(url: str, item: int) -> int:
    store = open_store(Settings(database_url=url, auto_migrate=False))
    try:
        with unit_of_work(store.sessions) as session:
            return session.execute(
                select(func.count()).select_from(LedgerEntry).where(LedgerEntry.item_id == item)
            ).scalar_one()
    finally:
        store.close()


def test_two_servers_on_one_database_behave_as_one(
    two: tuple[Server, Server, Seeded], postgres_url: str
) -> None:
    a, b, seeded = two
    assert a.url != b.url

    # --- A session begun on A is good on B; signed out on A, it is over on B too.
    signed_in = sign_in(a, "olga")
    assert signed_in.status_code == 200, signed_in.text
    cookie = {"Cookie": f"{SESSION_COOKIE}={session_cookie(signed_in)}"}
    csrf = signed_in.json()["csrf_token"]
    for server in (a, b):
        me = server.get("/api/v1/session", headers=cookie)
        assert me.status_code == 200, (server.name, me.text)
        assert me.json()["username"] == "olga"
    assert b.get("/", headers=cookie).status_code == 200  # a page, as a browser opens it
    assert a.delete("/api/v1/session", headers={**cookie, CSRF_HEADER: csrf}).status_code == 204
    for server in (b, a):
        assert server.get("/api/v1/session", headers=cookie).status_code == 401, server.name

    # --- Failed sign-ins on A and on B count against one limit: 3 on A and 2 on B lock the
    # account as 5 on one server would, though neither saw 5.
    assert policy.ACCOUNT_FAILURES == 5
    for server in (a, a, a, b, b):
        assert sign_in(server, "sam", "not the password at all").status_code == 401
    for server in (a, b):
        locked = sign_in(server, "sam")  # the right password
        assert locked.status_code == 429, (server.name, locked.text)
        assert "Retry-After" in locked.headers
    assert sign_in(b, "mona").status_code == 200  # another account is not locked

    # --- An idempotency key used on A is answered the same on B, without acting twice.
    item = seeded.items["F-A1"]
    key = {**bearer(seeded, "rita"), "Idempotency-Key": "two-servers-accept-0001"}
    first = a.post(f"/api/v1/items/{item}/accept", headers=key)
    assert first.status_code == 200, first.text
    again = b.post(f"/api/v1/items/{item}/accept", headers=key)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert ledger_rows(postgres_url, item) == 1

    # --- The ledger is shared: the acceptance on A is read on B, and one on B on A.
    accepted_on_b = b.post(
        f"/api/v1/items/{seeded.items['F-A2']}/accept", headers=bearer(seeded, "rita")
    )
    assert accepted_on_b.status_code == 200, accepted_on_b.text
    for server, family in ((b, "F-A1"), (a, "F-A2")):
        read = server.get(f"/api/v1/items/{seeded.items[family]}", headers=bearer(seeded, "olga"))
        assert read.status_code == 200
        assert read.json()["state"] == "accepted", (server.name, read.json())
    ledgers = [
        server.get(f"/api/v1/agreements/{AGREEMENT}/ledger", headers=bearer(seeded, "olga")).json()
        for server in (a, b)
    ]
    assert ledgers[0] == ledgers[1]
    reserved = {row["item_id"] for row in ledgers[1]["rows"] if row["kind"] == "reserve"}
    assert reserved == {seeded.items["F-A1"], seeded.items["F-A2"]}

    # --- And each server's /metrics reads the same database.
    counts = [scraped(server) for server in (a, b)]
    assert counts[0] == counts[1]
    assert counts[0][("accord_failed_sign_ins", ())] == 5
    assert counts[0][("accord_ledger_rows", (("agreement", AGREEMENT), ("kind", "reserve")))] == 2


def test_one_key_sent_to_both_servers_at_once_acts_once(
    two: tuple[Server, Server, Seeded], postgres_url: str
) -> None:
    """The same request with the same key, to A and B at the same moment: one acceptance, one
    ledger row; the other answer is the replay, or a conflict whose retry is the replay."""
    a, b, seeded = two
    item = seeded.items["F-A3"]
    key = {**bearer(seeded, "rita"), "Idempotency-Key": "two-servers-race-0001"}
    with ThreadPoolExecutor(2) as pool:
        answers = list(
            pool.map(lambda s: s.post(f"/api/v1/items/{item}/accept", headers=key), (a, b))
        )
    statuses = sorted(r.status_code for r in answers)
    assert statuses in ([200, 200], [200, 409]), [r.text for r in answers]
    assert ledger_rows(postgres_url, item) == 1
    first = next(r for r in answers if r.status_code == 200)
    for server in (a, b):
        retried = server.post(f"/api/v1/items/{item}/accept", headers=key)
        assert retried.status_code == 200
        assert retried.json() == first.json()
        assert retried.headers["Idempotent-Replayed"] == "true"
    assert ledger_rows(postgres_url, item) == 1


def scraped(server: Server) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The database's counts as this server's /metrics tells them (its requests aside)."""
    answer = server.get("/metrics")
    assert answer.status_code == 200
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
        if s.name.startswith(("accord_ledger", "accord_items", "accord_people", "accord_failed"))
    }
