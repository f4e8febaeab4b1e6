"""The client's address is the peer's, unless the peer is one of the deployment's own proxies
(ACCORD_TRUSTED_PROXIES): then the nearest address in X-Forwarded-For that is not a trusted
proxy. A client cannot choose its address by a header, so the per-address sign-in limit holds
and the audit log records where an attempt came from."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.accounts import policy
from accord.audit import personal
from accord.config import Settings
from accord.db import unit_of_work
from accord.models import AuditEvent
from accord.web.app import create_app
from accord.web.security import SERVER_OPTIONS
from tests.web.support import PASSWORD, World

PEER = "203.0.113.9"
PROXY = "10.0.0.5"


@contextmanager
def served(world: World, peer: str, **settings: Any) -> Iterator[TestClient]:
    """The application on the world's store, with these settings, called from `peer`."""
    app = create_app(
        Settings(database_url=world.store.settings.database_url, **settings), clock=world.clock
    )
    with TestClient(app, base_url="https://testserver", client=(peer, 50000)) as client:
        yield client


def sign_in(client: TestClient, username: str, forwarded: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    answer = client.post(
        "/api/v1/session", json={"username": username, "password": PASSWORD}, headers=headers
    )
    return answer.status_code


def addresses(world: World, action: str) -> list[str]:
    with unit_of_work(world.store.sessions) as session:
        events = session.execute(select(AuditEvent).where(AuditEvent.action == action))
        datas = personal.reveal(session, [e.data for e in events.scalars()])
        return [data["address"] for data in datas]


def test_a_forged_forwarded_header_neither_escapes_the_limit_nor_reaches_the_log(
    world: World,
) -> None:
    with served(world, PEER) as client:
        for n in range(policy.ADDRESS_FAILURES):
            assert sign_in(client, f"nobody{n}", forwarded=f"198.51.100.{n}") == 401
        assert sign_in(client, "olga", forwarded="198.51.100.99") == 429  # the right password
    assert set(addresses(world, "login.failed")) == {PEER}
    assert addresses(world, "login.refused") == [PEER]


def test_a_trusted_proxy_names_the_client(world: World) -> None:
    with served(world, PROXY, trusted_proxies="10.0.0.0/8") as client:
        assert sign_in(client, "nobody", forwarded="198.51.100.7") == 401
        # what the client claimed before the proxy appended its address counts for nothing
        assert sign_in(client, "nobody", forwarded="192.0.2.1, 198.51.100.8") == 401
        # a chain of the deployment's own proxies is walked back to the client
        assert sign_in(client, "nobody", forwarded="198.51.100.9, 10.0.0.9") == 401
        assert sign_in(client, "nobody", forwarded="not an address, 10.0.0.9") == 401
        assert sign_in(client, "nobody") == 401
    assert addresses(world, "login.failed") == [
        "198.51.100.7",
        "198.51.100.8",
        "198.51.100.9",
        "10.0.0.9",
        PROXY,
    ]


def test_a_peer_that_is_not_a_trusted_proxy_is_the_client(world: World) -> None:
    with served(world, PEER, trusted_proxies="10.0.0.0/8") as client:
        assert sign_in(client, "nobody", forwarded="10.0.0.9") == 401
    assert addresses(world, "login.failed") == [PEER]


def test_the_scheme_comes_from_a_trusted_proxy_only(world: World) -> None:
    for peer, hsts in ((PROXY, True), (PEER, False)):
        app = create_app(
            Settings(database_url=world.store.settings.database_url, trusted_proxies="10.0.0.5"),
            clock=world.clock,
        )
        with TestClient(app, base_url="http://testserver", client=(peer, 50000)) as client:
            answer = client.get("/api/v1/health", headers={"X-Forwarded-Proto": "https"})
        assert ("strict-transport-security" in answer.headers) is hsts


def test_trusted_proxies_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings(database_url="sqlite://").trusted_proxies == []
    monkeypatch.setenv("ACCORD_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.1,::1")
    proxies = [str(p) for p in Settings(database_url="sqlite://").trusted_proxies]
    assert proxies == ["10.0.0.0/8", "192.0.2.1/32", "::1/128"]


def test_the_server_leaves_the_forwarded_headers_to_accord() -> None:
    """uvicorn trusts X-Forwarded-For from 127.0.0.1 unless told not to read it at all."""
    config = uvicorn.Config(create_app(Settings(database_url="sqlite://")), **SERVER_OPTIONS)
    assert config.proxy_headers is False
    assert config.log_config is None  # Accord's JSON lines, not the server's tracebacks
