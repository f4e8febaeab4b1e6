"""`/metrics`, `/healthz` and `/readyz` (docs/operations.md, "Watching it").

The metrics count requests by route name (never a path with its ids) and status, time them by
route name, and read the database at each scrape: each agreement's ledger and items, the failed
sign-ins. Only the allowed networks are answered, and only directly (not through a proxy);
anyone else meets a path that does not exist. The probes are public: alive, and ready when the
database answers and its schema is this version's."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select, text

from accord.config import Settings
from accord.db import HEAD_REVISION, unit_of_work
from accord.models import LedgerEntry, ProposalItem
from accord.web import probes
from accord.web.app import create_app
from tests.proposals.support import AGREEMENT
from tests.support import cheap_passwords
from tests.web.support import PASSWORD, World, running

LOOPBACK = "127.0.0.1"
OUTSIDER = "203.0.113.9"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    """The seeded world of tests/web: the demo agreement, a pool with accepted families."""
    with cheap_passwords(), running(database_url, tmp_path) as world:
        yield world


@contextmanager
def served(world: World, peer: str = LOOPBACK, **settings: Any) -> Iterator[TestClient]:
    """A fresh application (its own counts) on the world's database, called from `peer`."""
    app = create_app(
        Settings(database_url=world.store.settings.database_url, **settings), clock=world.clock
    )
    with TestClient(app, base_url="https://testserver", client=(peer, 50000)) as client:
        yield client


def samples(client: TestClient) -> Samples:
    answer = client.get("/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=")
    return parsed(answer.text)


def parsed(exposition: str) -> Samples:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(exposition)
        for s in family.samples
    }


def value(found: Samples, name: str, **labels: str) -> float | None:
    return found.get((name, frozenset(labels.items())))


def route_names(table: Sequence[Any]) -> Iterator[str]:
    """The names of the application's routes, through included routers."""
    for route in table:
        if hasattr(route, "original_router"):
            yield from route_names(route.original_router.routes)
        elif getattr(route, "name", None):
            yield str(route.name)


def bearer(world: World, user: str) -> dict[str, str]:
    return world.as_(user)


# --- Requests by route name -------------------------------------------------------------------


def test_requests_are_counted_and_timed_by_route_name_never_by_path(world: World) -> None:
    item = world.items["F-A3"]
    with served(world) as client:
        assert client.get(f"/api/v1/items/{item}", headers=bearer(world, "olga")).is_success
        assert client.get(f"/api/v1/items/{item}", headers=bearer(world, "olga")).is_success
        assert client.get("/api/v1/items/987654", headers=bearer(world, "olga")).status_code == 404
        assert client.get("/no/such/path/4242").status_code == 404
        answer = client.get("/metrics")
        routes = set(route_names(client.app.routes))  # type: ignore[attr-defined]
    found = parsed(answer.text)
    assert value(found, "accord_http_requests_total", route="items.get", status="200") == 2
    assert value(found, "accord_http_requests_total", route="items.get", status="404") == 1
    assert value(found, "accord_http_requests_total", route="unmatched", status="404") == 1
    # the latency histogram, by route name: every request in a bucket, +Inf holding them all
    assert value(found, "accord_http_request_duration_seconds_count", route="items.get") == 3
    assert (
        value(found, "accord_http_request_duration_seconds_bucket", route="items.get", le="+Inf")
        == 3
    )
    assert (value(found, "accord_http_request_duration_seconds_sum", route="items.get") or 0) > 0
    buckets = [
        labels for (name, labels) in found if name == "accord_http_request_duration_seconds_bucket"
    ]
    assert len(buckets) > 3
    # no path, no id: every route label is a route's name
    labelled = {
        dict(labels)["route"] for (name, labels) in found if name.startswith("accord_http_")
    }
    assert labelled <= routes | {"unmatched"}
    for needle in ("987654", "4242", "/api/v1", "/no/such"):
        assert needle not in answer.text
    values = {v for (name, labels) in found if name.startswith("accord_") for _, v in labels}
    assert str(item) not in values


# --- What the database holds ------------------------------------------------------------------


def test_the_ledger_of_each_agreement_as_the_database_and_the_api_tell_it(world: World) -> None:
    # one more acceptance, so that the ledger has moved since the seeding
    world.post(f"/items/{world.items['F-A3']}/accept", "rita").raise_for_status()
    with unit_of_work(world.store.sessions) as session:
        ledger = session.execute(
            select(LedgerEntry.agreement_id, LedgerEntry.kind, func.count()).group_by(
                LedgerEntry.agreement_id, LedgerEntry.kind
            )
        ).all()
        items = session.execute(
            select(ProposalItem.agreement_id, ProposalItem.state, func.count()).group_by(
                ProposalItem.agreement_id, ProposalItem.state
            )
        ).all()
    assert ledger and items
    with served(world) as client:
        found = samples(client)
        api = client.get(
            f"/api/v1/agreements/{AGREEMENT}/ledger", headers=bearer(world, "olga")
        ).json()
    assert value(found, "accord_metrics_database_up") == 1
    for agreement, kind, count in ledger:
        assert value(found, "accord_ledger_rows", agreement=agreement, kind=kind) == count
    for agreement, state, count in items:
        assert value(found, "accord_items", agreement=agreement, state=state) == count
    reserved = [row for row in api["rows"] if row["kind"] == "reserve"]
    assert value(found, "accord_ledger_rows", agreement=AGREEMENT, kind="reserve") == len(reserved)
    assert value(found, "accord_ledger_persons", agreement=AGREEMENT, kind="reserve") == sum(
        row["persons"] for row in reserved
    )
    assert value(found, "accord_people_present", agreement=AGREEMENT) == api["present"]


def test_failed_sign_ins_in_all_and_within_the_window(world: World) -> None:
    with served(world) as client:
        before = samples(client)
        for password in ("wrong password one", "wrong password two"):
            refused = client.post(
                "/api/v1/session", json={"username": "olga", "password": password}
            )
            assert refused.status_code == 401
        assert (
            client.post(
                "/api/v1/session", json={"username": "nobody", "password": "wrong password"}
            ).status_code
            == 401
        )
        assert client.post(
            "/api/v1/session", json={"username": "sam", "password": PASSWORD}
        ).is_success
        after = samples(client)
        world.clock.advance(hours=1)  # past the sign-in limits' window
        later = samples(client)
    assert value(before, "accord_failed_sign_ins") == 0
    assert value(after, "accord_failed_sign_ins") == 3
    assert value(after, "accord_failed_sign_ins_recent") == 3
    assert value(later, "accord_failed_sign_ins") == 3
    assert value(later, "accord_failed_sign_ins_recent") == 0
    assert value(after, "accord_http_requests_total", route="session.login", status="401") == 3


def test_the_database_counts_are_every_servers(world: World) -> None:
    """Two applications on one database read the same ledger and sign-ins."""
    with served(world) as one, served(world) as other:
        refused = one.post("/api/v1/session", json={"username": "olga", "password": "nope" * 4})
        assert refused.status_code == 401
        first, second = samples(one), samples(other)
    shared = {
        key: v
        for key, v in first.items()
        if not key[0].startswith(("accord_http", "process", "python"))
    }
    assert shared == {key: second[key] for key in shared}
    assert value(second, "accord_failed_sign_ins") == 1


# --- Who may scrape ---------------------------------------------------------------------------


def test_a_client_outside_the_allowed_networks_meets_a_path_that_does_not_exist(
    world: World,
) -> None:
    with served(world, OUTSIDER) as client:
        refused = client.get("/metrics")
        missing = client.get("/no-such-page")
    assert refused.status_code == missing.status_code == 404
    assert refused.text == missing.text
    assert "accord_" not in refused.text


def test_a_forwarded_request_is_never_answered_even_from_the_loopback(world: World) -> None:
    """A proxy on the same host would make every client a loopback one."""
    with served(world) as client:
        for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP"):
            assert client.get("/metrics", headers={header: "127.0.0.1"}).status_code == 404
        assert client.get("/metrics").status_code == 200


def test_the_allowed_networks_are_a_setting(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_METRICS_ALLOW", "203.0.113.0/24, 2001:db8::/32")
    with served(world, OUTSIDER) as client:
        assert client.get("/metrics").status_code == 200
    with served(world, "2001:db8::7") as client:
        assert client.get("/metrics").status_code == 200
    with served(world, LOOPBACK) as client:
        assert client.get("/metrics").status_code == 404


def test_an_ipv4_client_of_a_dual_stack_socket_is_judged_by_its_ipv4_address(world: World) -> None:
    with served(world, "::ffff:127.0.0.1") as client:
        assert client.get("/metrics").status_code == 200
    with served(world, "::ffff:203.0.113.9") as client:
        assert client.get("/metrics").status_code == 404


def test_behind_trusted_proxies_the_client_they_name_is_judged(world: World) -> None:
    """From a trusted proxy the client is the one it names (ACCORD_TRUSTED_PROXIES); such a
    request is forwarded, and so never answered: scrape each server directly."""
    with served(world, "10.0.0.5", trusted_proxies=["10.0.0.0/8"]) as client:
        forwarded = client.get("/metrics", headers={"X-Forwarded-For": LOOPBACK})
    assert forwarded.status_code == 404


def test_the_metrics_and_probes_are_not_in_the_api_document(world: World) -> None:
    paths = world.client.get("/api/v1/openapi.json").json()["paths"]
    assert not {"/metrics", "/healthz", "/readyz"} & set(paths)


# --- Several processes ------------------------------------------------------------------------

SCRIPT = """
import sys
from fastapi.testclient import TestClient
from accord.config import Settings
from accord.web.app import create_app

app = create_app(Settings(database_url=sys.argv[1], auto_migrate=False))
with TestClient(app, base_url="https://testserver", client=("127.0.0.1", 5000)) as client:
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    print(client.get("/metrics").text)
"""


def test_processes_add_up_in_the_multiprocess_directory(
    sqlite_template: Path, tmp_path: Path
) -> None:
    """With PROMETHEUS_MULTIPROC_DIR, a scrape of one process reads every process's counts."""
    shutil.copyfile(sqlite_template, tmp_path / "accord.db")
    shared = tmp_path / "prometheus"
    shared.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(shared)}
    url = f"sqlite:///{tmp_path / 'accord.db'}"
    answers = [
        subprocess.run(
            [sys.executable, "-c", SCRIPT, url],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        ).stdout
        for _ in range(2)
    ]
    first, second = parsed(answers[0]), parsed(answers[1])
    assert value(first, "accord_http_requests_total", route="healthz", status="200") == 3
    assert value(second, "accord_http_requests_total", route="healthz", status="200") == 6
    assert value(second, "accord_http_request_duration_seconds_count", route="healthz") == 6
    assert value(second, "accord_metrics_database_up") == 1
    assert len(list(shared.iterdir())) >= 2  # each process's own files
    assert not any(name.startswith("process_") for name, _ in second)


def test_a_multiprocess_directory_that_is_not_there_stops_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rather than every request failing on a count it cannot write."""
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="is not a directory"):
        create_app(Settings(database_url=f"sqlite:///{tmp_path / 'accord.db'}"))


# --- The probes -------------------------------------------------------------------------------


def test_healthz_answers_anyone_without_a_sign_in(world: World) -> None:
    with served(world, OUTSIDER) as client:
        alive = client.get("/healthz")
    assert alive.status_code == 200
    assert alive.json() == {"status": "ok"}


def test_readyz_on_a_current_schema(world: World) -> None:
    with served(world, OUTSIDER) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "failed": [], "database": "ok", "schema": "ok"}


def test_readyz_when_the_schema_is_behind(world: World) -> None:
    with served(world) as client:
        with world.store.engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        behind = client.get("/readyz")
        alive = client.get("/healthz")
    assert behind.status_code == 503
    body = behind.json()
    assert body["status"] == "unready"
    assert body["failed"] == ["schema"]
    assert body["database"] == "ok"
    assert "0001" in body["schema_detail"] and HEAD_REVISION in body["schema_detail"]
    assert alive.status_code == 200  # alive all the same


@contextmanager
def unreachable(url: str) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=url, auto_migrate=False))
    with TestClient(app, base_url="https://testserver") as client:
        yield client


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////no/such/directory/accord.db",
        "postgresql+psycopg://postgres@127.0.0.1:1/accord",  # nothing listens on port 1
    ],
    ids=["sqlite", "postgresql"],
)
def test_readyz_when_the_database_is_unreachable(url: str) -> None:
    with unreachable(url) as client:
        down = client.get("/readyz")
        alive = client.get("/healthz")
    assert down.status_code == 503
    body = down.json()
    assert body["failed"] == ["database"]
    assert body["database"] == "failed" and body["schema"] == "unknown"
    assert alive.status_code == 200


def test_readyz_when_the_database_does_not_answer_in_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A server that takes the connection and never answers: the probe gives up in time."""
    monkeypatch.setattr(probes, "READY_WITHIN", 0.5)
    with socket.socket() as silent:
        silent.bind((LOOPBACK, 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        with unreachable(f"postgresql+psycopg://postgres@{LOOPBACK}:{port}/accord") as client:
            started = time.monotonic()
            down = client.get("/readyz")
            took = time.monotonic() - started
    assert down.status_code == 503
    assert down.json()["failed"] == ["database"]
    assert "within 0.5 s" in down.json()["database_detail"]
    assert took < 5


def test_matcher_jobs_by_state(world: World) -> None:
    """A preview done as a job (every run is one with ACCORD_JOB_ABOVE_PAIRS=0) is counted
    queued or running, then done."""
    with served(world, job_above_pairs=0) as client:
        assert value(samples(client), "accord_matcher_jobs", state="done") == 0
        answer = client.post(
            "/api/v1/matching/preview",
            headers=bearer(world, "olga"),
            json={"agreement_ids": [AGREEMENT]},
        )
        assert answer.status_code == 202, answer.text
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            found = samples(client)
            if value(found, "accord_matcher_jobs", state="done") == 1:
                break
            time.sleep(0.1)
    assert value(found, "accord_matcher_jobs", state="done") == 1
    assert value(found, "accord_matcher_jobs", state="failed") == 0
    assert value(found, "accord_matcher_jobs", state="queued") == 0
