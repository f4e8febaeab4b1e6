"""Browser tests: Debian's chromium, driven by Playwright, against the demo server.

Where chromium or the playwright package is missing they skip with the reason, except under
CI=true, where they fail (as the PostgreSQL tests do).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from accord.config import Settings
from accord.scenarios.demo_server import demo_clock, seed_demo_server
from accord.web.app import create_app
from tests.e2e.support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DemoServer,
    Screenshots,
    browser_problem,
    publish_reports,
    serving,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    """Remember a failed test body, so the `page` fixture can photograph what was on screen."""
    report = yield
    if call.when == "call" and call.excinfo is not None:
        item.stash[FAILED] = True
    return report


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's chromium, headless, launched once for the session (never downloaded)."""
    problem = browser_problem()
    if problem is not None:
        if IN_CI:
            pytest.fail(f"{problem} (CI=true: the browser tests must run)")
        pytest.skip(f"{problem}; the browser tests skip (CI=true fails them instead)")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
    finally:
        playwright.stop()


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """The demo (seed_demo_server on a fresh SQLite file) served over http for the session."""
    database = tmp_path_factory.mktemp("e2e-demo") / "demo.db"
    settings = Settings(database_url=f"sqlite:///{database}")
    clock = demo_clock()
    logins = seed_demo_server(settings, clock)
    publish_reports(settings, clock, next(x for x in logins if x.role == "officer"))
    with serving(create_app(settings, clock=clock)) as base_url:
        yield DemoServer(base_url, tuple(logins), clock)


@pytest.fixture
def context(browser: Browser, demo_server: DemoServer) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) whose relative URLs go to the demo server."""
    fresh = browser.new_context(
        base_url=demo_server.base_url, viewport={"width": 1280, "height": 900}
    )
    try:
        yield fresh
    finally:
        fresh.close()


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Screenshots:
    """`screenshot(page, "name")` -> build/screenshots/<test name>/<n>-<name>.png."""
    return Screenshots(request.node.name)


@pytest.fixture
def page(
    context: BrowserContext, screenshot: Screenshots, request: pytest.FixtureRequest
) -> Iterator[Page]:
    """A page in a fresh context; when the test fails, its last screen is kept as `failed`."""
    opened = context.new_page()
    yield opened
    if request.node.stash.get(FAILED, False) and not opened.is_closed():
        screenshot(opened, "failed")
