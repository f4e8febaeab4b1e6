"""Long matcher runs as jobs, on SQLite (an in-process worker) and PostgreSQL (the job queue):
a preview over more pairs than a request may hold answers 202 with the job, whose progress and
answer the API and the builder page follow; the answer is the one a request would have given,
audited as any matcher run. A job that fails says why; one whose worker was killed is reported
failed, never left running."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from accord.clock import SetClock
from accord.config import Settings
from accord.db import unit_of_work
from accord.errors import NotFound
from accord.models import AuditEvent, MatcherJob
from accord.proposals import jobs
from accord.store import Store
from accord.web.app import create_app
from tests.proposals.support import (
    AGREEMENT,
    OFFICER,
    START,
    SUPERVISOR,
    import_records,
    load_agreement,
    run,
    single,
)
from tests.web.pages_support import Browser, login_token
from tests.web.support import PASSWORD, sign_up

ASK = jobs.PreviewAsk((AGREEMENT,), pinned_out=((("F-A3", AGREEMENT, "asked to wait")),))


@pytest.fixture
def clock() -> SetClock:
    return SetClock.on(START)


@pytest.fixture
def caseload(store: Store, tmp_path: Path) -> Store:
    load_agreement(store)
    import_records(store, tmp_path, [single("A1"), single("A2"), single("A3")])
    return store


def actions(store: Store, action: str) -> list[AuditEvent]:
    with unit_of_work(store.sessions) as session:
        found = list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        session.expunge_all()
        return found


def test_a_job_runs_to_the_answer_a_request_would_give(caseload: Store, clock: SetClock) -> None:
    job = run(caseload, jobs.submit, ASK, OFFICER, clock)
    assert job.state == "queued"
    heard: list[tuple[float, float]] = []
    assert (
        jobs.run(caseload.sessions, job.id, clock, on_point=lambda b, u: heard.append((b, u)))
        == "done"
    )
    assert jobs.run(caseload.sessions, job.id, clock) == "taken"  # never twice
    with unit_of_work(caseload.sessions) as session:
        view = jobs.job_view(session, job.id, OFFICER, clock.now())
    assert view.state == "done" and view.error is None and view.result is not None
    [pool] = view.result["agreements"]
    assert sorted(f["family_id"] for f in pool["families"]) == ["F-A1", "F-A2"]
    assert view.result["gap"] == 0.0 and view.result["status"] == "optimal"
    assert heard and heard[-1][0] == pytest.approx(view.result["objective"])
    assert view.progress and view.progress[-1]["best"] == pytest.approx(view.result["objective"])
    [queued] = actions(caseload, "matcher.job_queued")
    assert queued.entity_id == str(job.id) and queued.actor == "olga"
    [computed] = actions(caseload, "proposal.computed")
    assert computed.data["families"] == ["F-A1", "F-A2"] or sorted(computed.data["families"]) == [
        "F-A1",
        "F-A2",
    ]


def test_a_refused_run_fails_with_the_reason_and_computes_nothing(
    caseload: Store, clock: SetClock
) -> None:
    ask = jobs.PreviewAsk(("no-such-agreement",))
    job = run(caseload, jobs.submit, ask, OFFICER, clock)
    assert jobs.run(caseload.sessions, job.id, clock) == "failed"
    with unit_of_work(caseload.sessions) as session:
        view = jobs.job_view(session, job.id, OFFICER, clock.now())
    assert view.state == "failed" and "no-such-agreement" in (view.error or "")
    assert actions(caseload, "proposal.computed") == []


def test_only_the_requester_reads_a_job(caseload: Store, clock: SetClock) -> None:
    job = run(caseload, jobs.submit, ASK, OFFICER, clock)
    with unit_of_work(caseload.sessions) as session, pytest.raises(NotFound):
        jobs.job_view(session, job.id, SUPERVISOR, clock.now())


def test_a_job_whose_worker_was_killed_is_reported_failed(
    caseload: Store, clock: SetClock, database_url: str
) -> None:
    """A worker process takes the job and hangs in the solve; it is killed with SIGKILL; once
    its heartbeat is stale the job reads failed, naming the worker, and is audited."""
    job = run(caseload, jobs.submit, ASK, OFFICER, clock)
    script = (
        "import sys, time\n"
        "from accord.config import Settings\n"
        "from accord.store import open_store\n"
        "from accord.clock import SetClock\n"
        "from accord.proposals import jobs\n"
        "import datetime as dt\n"
        "jobs.match = lambda *a, **k: time.sleep(600)\n"
        "store = open_store(Settings(database_url=sys.argv[1]))\n"
        "jobs.run(store.sessions, int(sys.argv[2]), SetClock.on(dt.date(2026, 1, 12)))\n"
    )
    worker = subprocess.Popen(
        [sys.executable, "-c", script, database_url, str(job.id)],
        env={**os.environ, "PYTHONPATH": "src"},
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with unit_of_work(caseload.sessions) as session:
                state = session.get(MatcherJob, job.id).state  # type: ignore[union-attr]
            if state == "running":
                break
            time.sleep(0.1)
        assert state == "running"
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.wait(timeout=30)
    with unit_of_work(caseload.sessions) as session:
        assert jobs.job_view(session, job.id, OFFICER, clock.now()).state == "running"
    later = clock.now() + jobs.STALE_AFTER + dt.timedelta(seconds=1)
    with unit_of_work(caseload.sessions) as session:
        view = jobs.job_view(session, job.id, OFFICER, later)
    assert view.state == "failed"
    assert f":{worker.pid})" in (view.error or "") and "stopped while it ran" in (view.error or "")
    [failed] = actions(caseload, "matcher.job_failed")
    assert failed.entity_id == str(job.id)


@pytest.fixture
def jobs_app(
    caseload: Store, clock: SetClock, database_url: str
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    tokens = sign_up(caseload, clock)
    app = create_app(Settings(database_url=database_url, job_above_pairs=0), clock=clock)
    with TestClient(app, base_url="https://testserver") as client:
        yield client, tokens


def wait_done(client: TestClient, url: str, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = client.get(url, headers=headers).json()
        if job["state"] in ("done", "failed"):
            return job  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"the job did not end: {job}")


def test_the_api_answers_202_and_the_job_gives_the_answer(
    jobs_app: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = jobs_app
    headers = {"Authorization": f"Bearer {tokens['olga']}"}
    answer = client.post(
        "/api/v1/matching/preview", headers=headers, json={"agreement_ids": [AGREEMENT]}
    )
    assert answer.status_code == 202, answer.text
    url = answer.headers["location"]
    assert url == answer.json()["url"] and answer.json()["state"] in ("queued", "running", "done")
    job = wait_done(client, url, headers)
    assert job["state"] == "done", job
    [pool] = job["result"]["agreements"]
    assert sorted(f["family_id"] for f in pool["families"]) == ["F-A1", "F-A2", "F-A3"]
    assert job["result"]["gap"] == 0.0 and job["progress"]
    other = {"Authorization": f"Bearer {tokens['sam']}"}
    assert client.get(url, headers=other).status_code == 404


def test_the_builder_follows_the_job_to_its_pool(
    jobs_app: tuple[TestClient, dict[str, str]], caseload: Store
) -> None:
    client, _ = jobs_app
    form = client.get("/login")
    signed = client.post(
        "/login",
        data={"username": "olga", "password": PASSWORD, "login_token": login_token(form.text)},
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text
    browser = Browser(client, "olga")
    started = browser.htmx("/pools/new/preview", {"agreement_id": AGREEMENT})
    assert started.status_code == 200, started.text
    assert 'id="matcher-job"' in started.text and "every 1s" in started.text
    with unit_of_work(caseload.sessions) as session:
        [job_id] = session.scalars(select(MatcherJob.id))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        page = client.get(f"/pools/new/jobs/{job_id}", headers={"HX-Request": "true"})
        if 'id="matcher-job"' not in page.text:
            break
        time.sleep(0.1)
    assert "Proposed pool for demo-xk-year" in page.text, page.text
    assert 'data-family="F-A1"' in page.text and 'id="send-pool"' in page.text


def test_a_job_still_running_when_its_server_stops_is_reported(
    caseload: Store, clock: SetClock
) -> None:
    job = run(caseload, jobs.submit, ASK, OFFICER, clock)
    with unit_of_work(caseload.sessions) as session:
        session.execute(
            update(MatcherJob)
            .where(MatcherJob.id == job.id)
            .values(state="running", heartbeat_at=clock.now(), worker="gone:1")
        )
        assert jobs.reap(session, clock.now()) == []
        assert jobs.reap(session, clock.now() + dt.timedelta(minutes=1)) == [job.id]


def test_the_command_line_shows_the_solve_as_a_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    from io import StringIO

    from rich.console import Console

    from accord.proposals import matching_cli

    screen = StringIO()
    monkeypatch.setattr(matching_cli, "err", Console(file=screen, force_terminal=True, width=120))
    with matching_cli.solving() as heard:
        heard(10.0, 20.0)
        heard(19.0, 20.0)
    shown = screen.getvalue()
    assert "matching" in shown and "best 19.000, bound 20.000" in shown
    assert "90%" in shown  # nine tenths of the first gap closed


def test_a_proposal_over_the_threshold_is_a_job_that_stores_the_pool(
    jobs_app: tuple[TestClient, dict[str, str]], caseload: Store
) -> None:
    client, tokens = jobs_app
    headers = {"Authorization": f"Bearer {tokens['olga']}", "Idempotency-Key": "propose-1"}
    body = {"agreement_id": AGREEMENT, "pin_out": ["F-A3"]}
    answer = client.post("/api/v1/pools", headers=headers, json=body)
    assert answer.status_code == 202, answer.text
    job = wait_done(client, answer.headers["location"], headers)
    assert job["state"] == "done", job
    [pool_id] = job["pools"]
    pool = client.get(f"/api/v1/pools/{pool_id}", headers=headers).json()
    assert sorted(i["family_id"] for i in pool["items"]) == ["F-A1", "F-A2"]
    again = client.post("/api/v1/pools", headers=headers, json=body)  # the same key: replayed
    assert again.status_code == 202 and again.json()["id"] == answer.json()["id"]
    assert len(actions(caseload, "proposal.created")) == 1


def test_the_builder_sends_through_a_job_to_the_pool_page(
    jobs_app: tuple[TestClient, dict[str, str]], caseload: Store
) -> None:
    client, _ = jobs_app
    form = client.get("/login")
    client.post(
        "/login",
        data={"username": "olga", "password": PASSWORD, "login_token": login_token(form.text)},
        follow_redirects=False,
    )
    browser = Browser(client, "olga")
    sent = browser.post(
        "/pools/new/send",
        {"agreement_id": AGREEMENT, "pinned_out": "F-A3::asked to wait for counsel"},
    )
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"].startswith("/pools/new/jobs/")
    deadline = time.monotonic() + 60
    target = None
    while target is None and time.monotonic() < deadline:
        page = browser.get(sent.headers["location"], follow_redirects=False)
        if page.status_code == 303:  # done: the whole page goes on to the pool
            target = page.headers["location"]
            break
        assert page.status_code == 200 and 'id="matcher-job"' in page.text  # a whole page
        polled = client.get(sent.headers["location"], headers={"HX-Request": "true"})
        target = polled.headers.get("HX-Redirect")  # done: htmx goes on to the pool
        time.sleep(0.1)
    assert target is not None and re.fullmatch(r"/pools/\d+", target), target
    [pinned] = actions(caseload, "proposal.pinned")
    assert pinned.entity_id == target.rsplit("/", 1)[1] and pinned.data["pin"] == "out"


def test_a_job_reaped_while_it_ran_stores_nothing(
    caseload: Store, clock: SetClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker too slow to beat is reported failed; when it finishes after all, its pools
    are not stored: the report stands."""
    job = run(caseload, jobs.submit, jobs.PreviewAsk((AGREEMENT,), store=True), OFFICER, clock)
    real = jobs.match

    def slow(*args: Any, **kwargs: Any) -> Any:
        with unit_of_work(caseload.sessions) as session:  # reaped while the solve runs
            jobs.reap(session, clock.now() + jobs.STALE_AFTER + dt.timedelta(seconds=1))
        return real(*args, **kwargs)

    monkeypatch.setattr(jobs, "match", slow)
    assert jobs.run(caseload.sessions, job.id, clock) == "failed"
    with unit_of_work(caseload.sessions) as session:
        view = jobs.job_view(session, job.id, OFFICER, clock.now())
    assert view.state == "failed" and "stopped while it ran" in (view.error or "")
    assert actions(caseload, "proposal.created") == []


def test_a_job_left_queued_is_taken_when_a_server_starts(
    caseload: Store, clock: SetClock, database_url: str
) -> None:
    """Queued, and its server stopped before it was handed to a worker: the next server to
    start takes it."""
    job = run(caseload, jobs.submit, ASK, OFFICER, clock)
    app = create_app(Settings(database_url=database_url), clock=clock)
    with TestClient(app, base_url="https://testserver"):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with unit_of_work(caseload.sessions) as session:
                state = session.get(MatcherJob, job.id).state  # type: ignore[union-attr]
            if state == "done":
                break
            time.sleep(0.1)
    assert state == "done"
