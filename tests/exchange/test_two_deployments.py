"""Two deployments, one agreement: the sender's Accord (US) on PostgreSQL and the receiver's
(XK) on SQLite, each a real `accord serve` process on loopback with its own keys and its own
database, each with the other registered as its peer. Everything between them travels as
signed, encrypted messages through the servers' own exchange loops and inboxes: the pool out,
the decisions back, a withdrawal, a schedule, the arrival and the onward outcome back, and the
two ledgers, reconciled, equal.

The receiver's server starts after the sender's has tried, and failed, to deliver the pool: the
outbox tries again with its backoff and delivers once the peer is up. The sender's server is
stopped once and started again eleven days later (ACCORD_NOW), as the notice period runs; what
it had queued or not yet sent goes out after the restart."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from accord.clock import SetClock
from accord.config import Settings
from accord.db import unit_of_work
from accord.exchange import channel, keys, reconcile
from accord.proposals.movement import clear, schedule
from accord.proposals.service import withdraw
from accord.store import Store, open_store
from tests.exchange.support import RECEIVER, SENDER
from tests.operations.servers import Served, free_port
from tests.proposals.support import (
    AGREEMENT,
    OFFICER,
    START,
    SUPERVISOR,
    import_records,
    load_agreement,
    propose,
    run,
    serve,
    single,
    state,
)
from tests.support import cheap_passwords
from tests.web.support import sign_up

pytestmark = pytest.mark.postgres

STARTUP_SECONDS = 90
WAIT_SECONDS = 60
DAY_ONE = SetClock.on(START)
DAY_TWELVE = SetClock.on(START + dt.timedelta(days=11))


@dataclass
class Deployment:
    party: str
    database_url: str
    keys_file: Path
    port: int
    tokens: dict[str, str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def store(self) -> Store:
        return open_store(Settings(database_url=self.database_url))

    def get(self, path: str, user: str) -> Any:
        answer = httpx.get(self.url + "/api/v1" + path, headers=self._as(user), timeout=60)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def post(self, path: str, user: str, json: Any = None) -> Any:
        answer = httpx.post(
            self.url + "/api/v1" + path, headers=self._as(user), json=json, timeout=60
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    def _as(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}


@contextmanager
def serving(deployment: Deployment, clock: SetClock, tmp_path: Path) -> Iterator[Served]:
    """`accord serve` for one deployment: its database, keys and clock, an exchange round
    every 0.2 s."""
    log = tmp_path / f"server-{deployment.party}-{clock.now().date()}.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env |= {
        "ACCORD_NOW": clock.now().isoformat(),
        "ACCORD_THREADS": "2",
        "ACCORD_KEYS_FILE": str(deployment.keys_file),
        "ACCORD_EXCHANGE_EVERY": "0.2",
    }
    accord = Path(sys.executable).parent / "accord"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(accord), "--db", deployment.database_url, "serve", "--port", str(deployment.port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    served = Served(deployment.url, process, log)
    try:
        served.wait_until_alive(STARTUP_SECONDS, poll=0.2, name=f"{deployment.party}'s server")
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def until(
    what: str,
    check: Callable[[], bool],
    *logs: Served,
    explain: Callable[[], str] = lambda: "",
) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    tails = "\n".join(served.log.read_text()[-3000:] for served in logs)
    pytest.fail(f"not reached in {WAIT_SECONDS} s: {what}\n{explain()}\n{tails}")


def register_peer(deployment: Deployment, peer: Deployment, tmp_path: Path) -> None:
    """What `accord peers add PEER --keys peer.jwks.json --url …` does on `deployment`."""
    from accord.exchange import peers

    exported = tmp_path / f"{peer.party.lower()}.jwks.json"
    exported.write_text(__import__("json").dumps(keys.load(peer.keys_file).public_set()))
    store = deployment.store()
    try:
        with unit_of_work(store.sessions) as session:
            peers.add(session, peer.party, exported, peer.url, "ada", DAY_ONE.now())
    finally:
        store.close()


@pytest.fixture
def deployments(postgres_url: str, tmp_path: Path) -> tuple[Deployment, Deployment, list[int]]:
    us_store = open_store(Settings(database_url=postgres_url))
    xk_url = f"sqlite:///{tmp_path / 'xk.db'}"
    xk_store = open_store(Settings(database_url=xk_url))
    try:
        load_agreement(us_store)
        load_agreement(xk_store)
        import_records(us_store, tmp_path, [single("A1"), single("A2"), single("A3")])
        items = propose(us_store, DAY_ONE, ["F-A1", "F-A2", "F-A3"])
        with cheap_passwords():
            us_tokens = sign_up(us_store, DAY_ONE, {"olga": ("officer", SENDER)})
            xk_tokens = sign_up(xk_store, DAY_ONE, {"rita": ("reviewer", RECEIVER)})
    finally:
        us_store.close()
        xk_store.close()
    us_keys, xk_keys = tmp_path / "us-keys.json", tmp_path / "xk-keys.json"
    keys.init(us_keys, SENDER, DAY_ONE.now())
    keys.init(xk_keys, RECEIVER, DAY_ONE.now())
    us = Deployment(SENDER, postgres_url, us_keys, free_port(), us_tokens)
    xk = Deployment(RECEIVER, xk_url, xk_keys, free_port(), xk_tokens)
    register_peer(us, xk, tmp_path)
    register_peer(xk, us, tmp_path)
    return us, xk, items


def delivery_failed(deployment: Deployment) -> bool:
    """Whether a message in the outbox waits after a failed attempt."""
    store = deployment.store()
    try:
        with unit_of_work(store.sessions) as session:
            return any(m.attempts > 0 and m.last_error for m in channel.outbox(session))
    finally:
        store.close()


def states(deployment: Deployment, items: list[int]) -> list[str]:
    store = deployment.store()
    try:
        return [state(store, item) for item in items]
    finally:
        store.close()


def received(xk: Deployment) -> dict[int, dict[str, Any]]:
    """The receiver's items by the sender's item id."""
    return {row["item_id"]: row for row in xk.get("/received/items", "rita")["items"]}


def ledgers(deployment: Deployment, party: str) -> reconcile.Reconciliation:
    store = deployment.store()
    try:
        with unit_of_work(store.sessions) as session:
            return reconcile.reconcile(session, party, AGREEMENT)
    finally:
        store.close()


def test_two_deployments_run_one_agreement(
    deployments: tuple[Deployment, Deployment, list[int]], tmp_path: Path
) -> None:
    us, xk, (a1, a2, a3) = deployments
    with ExitStack() as receiving:
        with serving(us, DAY_ONE, tmp_path) as us_server:
            # XK is down: the pool waits in US's outbox, tried again with its backoff ...
            until("a failed delivery at US", lambda: delivery_failed(us), us_server)
            xk_server = receiving.enter_context(serving(xk, DAY_ONE, tmp_path))
            # ... and goes once XK is up: the receiver holds the three families, minimized.
            until("the pool at XK", lambda: len(received(xk)) == 3, us_server, xk_server)
            pool = received(xk)
            member = pool[a1]["members"][0]
            assert member["case_id"] == "A1" and "sender_status" not in member
            # Decisions back, applied by the sender's workflow.
            xk.post(f"/received/items/{pool[a1]['id']}/decision", "rita", {"decision": "accept"})
            xk.post(f"/received/items/{pool[a2]['id']}/decision", "rita", {"decision": "accept"})
            xk.post(
                f"/received/items/{pool[a3]['id']}/decision",
                "rita",
                {"decision": "reject", "reason_code": "criteria", "reason_text": "not in scope"},
            )
            until(
                "the decisions applied at US",
                lambda: states(us, [a1, a2, a3]) == ["accepted", "accepted", "rejected"],
                us_server,
                xk_server,
            )
        # The sender's own steps while its server is down: notice served on A1, A2 withdrawn.
        store = us.store()
        try:
            serve(store, DAY_ONE, a1, "A1")
            run(store, withdraw, a2, "the family asked to stay", OFFICER, DAY_TWELVE)
            run(store, clear, a1, SUPERVISOR, DAY_TWELVE, medical_confirmed=True)
            run(store, schedule, a1, DAY_TWELVE.now().date(), OFFICER, DAY_TWELVE)
        finally:
            store.close()
        with serving(us, DAY_TWELVE, tmp_path) as us_server:
            until(
                "the withdrawal and the schedule at XK",
                lambda: (
                    [received(xk)[i]["state"] for i in (a1, a2)]
                    == ["scheduled", "withdrawn by the sender"]
                ),
                us_server,
                xk_server,
            )
            xk.post(f"/received/items/{pool[a1]['id']}/arrival", "rita")
            until(
                "the arrival applied at US",
                lambda: states(us, [a1]) == ["transferred"],
                us_server,
                xk_server,
            )
            xk.post(
                f"/received/items/{pool[a1]['id']}/onward",
                "rita",
                {"outcome": "returned_home"},
            )
            until(
                "the onward outcome applied at US",
                lambda: states(us, [a1]) == ["returned_home"],
                us_server,
                xk_server,
            )
            until(
                "both ledgers reconciled equal",
                lambda: ledgers(us, SENDER).equal and ledgers(xk, RECEIVER).equal,
                us_server,
                xk_server,
                explain=lambda: (
                    f"{ledgers(us, SENDER).document()}\n{ledgers(xk, RECEIVER).document()}"
                ),
            )
    assert states(us, [a1, a2, a3]) == ["returned_home", "cancelled", "rejected"]
