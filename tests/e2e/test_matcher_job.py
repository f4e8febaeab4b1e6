"""The builder follows a matcher run done as a job, in Chromium: the job's card appears (its
state, asked again every second), then the pool takes its place, with how the run went (best
plan, proven bound, gap). A server of its own, where every run is a job
(ACCORD_JOB_ABOVE_PAIRS=0), on a fresh SQLite file with the demo agreement and three
families."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from accord.clock import SetClock
from accord.config import Settings
from accord.store import open_store
from accord.web.app import create_app
from tests.e2e.support import Screenshots, serving
from tests.proposals.support import AGREEMENT, START, import_records, load_agreement, single
from tests.web.support import PASSWORD, sign_up

if TYPE_CHECKING:
    from playwright.sync_api import Browser


@pytest.fixture
def jobs_server(tmp_path: Path) -> Iterator[str]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'jobs.db'}", job_above_pairs=0)
    clock = SetClock.on(START)
    store = open_store(settings)
    try:
        load_agreement(store)
        import_records(store, tmp_path, [single("A1"), single("A2"), single("A3")])
        sign_up(store, clock)
    finally:
        store.close()
    with serving(create_app(settings, clock=clock)) as base_url:
        yield base_url


def test_the_builder_shows_the_job_then_its_pool(
    browser: Browser, jobs_server: str, screenshot: Screenshots
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(base_url=jobs_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"/pools/new?agreement={AGREEMENT}")
        page.get_by_label("User name").fill("olga")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        page.goto(f"/pools/new?agreement={AGREEMENT}")
        page.get_by_role("button", name="Run the matcher").click()
        card = page.locator("#matcher-job")
        expect(card).to_be_visible()
        assert card.get_attribute("data-state") in ("queued", "running")
        expect(card).to_contain_text("Matching demo-xk-year: job 1")
        screenshot(page, "job-card")
        pool = page.locator("table.proposal tbody tr")
        expect(pool).to_have_count(3, timeout=30_000)
        expect(page.locator("#matcher-job")).to_have_count(0)
        run = page.locator("details.job-run")
        expect(run).to_contain_text("Run as job 1")
        run.locator("summary").click()
        expect(run).to_contain_text("proven bound")
        expect(run.locator(".gap")).to_have_text("0.0000 %")
        screenshot(page, "job-pool")
    finally:
        context.close()
