"""How a server process is set up for load: its request threads, its database connections,
what it does when the database drops a connection, and its heap left out of collections."""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import Any

import pytest
from anyio import to_thread
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from accord.config import Settings
from accord.db import unit_of_work
from accord.store import open_store
from accord.web.app import create_app, freeze_startup_heap
from tests.support import Cli


def test_a_server_works_on_at_most_its_threads_requests_at_once(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, threads=3))
    with TestClient(app) as client:
        assert client.get("/api/v1/health").status_code == 200
        limit = client.portal.call(lambda: to_thread.current_default_thread_limiter().total_tokens)
    assert limit == 3


def test_each_request_thread_has_a_database_connection(postgres_url: str) -> None:
    store = open_store(Settings(database_url=postgres_url, threads=3))
    try:
        assert store.engine.pool.size() == 3  # type: ignore[attr-defined]
    finally:
        store.close()


def test_the_thread_count_is_bounded() -> None:
    with pytest.raises(ValidationError, match="threads"):
        Settings(threads=0)


def test_a_connection_the_database_dropped_fails_once_and_the_pool_recovers(
    postgres_url: str, postgres_admin_url: str
) -> None:
    """Connections are not pinged before use: a dropped one fails the unit of work that meets
    it (rolled back, nothing written) and the pool replaces its connections."""
    store = open_store(Settings(database_url=postgres_url, threads=2))
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    try:
        with unit_of_work(store.sessions) as session:
            session.execute(text("select 1"))
        database = store.engine.url.database
        with admin.connect() as connection:
            dropped = connection.execute(
                text(
                    "select count(pg_terminate_backend(pid)) from pg_stat_activity"
                    " where datname = :name and pid <> pg_backend_pid()"
                ),
                {"name": database},
            ).scalar_one()
        assert dropped >= 1
        with pytest.raises(OperationalError), unit_of_work(store.sessions) as session:
            session.execute(text("select 1"))
        with unit_of_work(store.sessions) as session:
            assert session.execute(text("select 1")).scalar_one() == 1
    finally:
        admin.dispose()
        store.close()


def test_freezing_the_startup_heap_leaves_it_out_of_collections() -> None:
    before = gc.get_freeze_count()
    try:
        freeze_startup_heap()
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()


def test_accord_serve_gives_every_worker_its_thread_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[dict[str, Any]] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **options: served.append(options))
    database_url = f"sqlite:///{tmp_path / 'accord.db'}"
    monkeypatch.setenv("ACCORD_THREADS", "8")  # the command sets both: restored after the test
    monkeypatch.setenv("ACCORD_DATABASE_URL", database_url)
    result = Cli(database_url)("serve", "--workers", "2", "--threads", "3")
    assert result.exit_code == 0, result.output
    assert served and served[0]["workers"] == 2
    assert os.environ["ACCORD_THREADS"] == "3"
    assert Settings().threads == 3


@pytest.mark.parametrize("workers", ["1", "2"])
def test_accord_serve_reads_forwarded_headers_only_through_its_own_guard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: str
) -> None:
    """Issue 14, finding 3: uvicorn trusts X-Forwarded-For from 127.0.0.1 by itself; every
    entry point turns that off, so only ACCORD_TRUSTED_PROXIES decides."""
    served: list[dict[str, Any]] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **options: served.append(options))
    monkeypatch.setattr("accord.web.app.freeze_startup_heap", lambda: None)
    database_url = f"sqlite:///{tmp_path / 'accord.db'}"
    monkeypatch.setenv("ACCORD_THREADS", "8")
    monkeypatch.setenv("ACCORD_DATABASE_URL", database_url)
    result = Cli(database_url)("serve", "--workers", workers)
    assert result.exit_code == 0, result.output
    assert served[0]["proxy_headers"] is False
