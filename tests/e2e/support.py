"""What the browser tests share: the demo server in a thread, Debian's chromium, screenshots.

The browser is the system's chromium (`apt-get install chromium`), never one Playwright
downloads. The server is the real app under uvicorn on 127.0.0.1, where Chromium accepts the
session's Secure cookie over plain http.
"""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import uvicorn

from accord.access import Actor
from accord.clock import Clock, SetClock, today
from accord.config import Settings
from accord.db import unit_of_work
from accord.scenarios.demo_server import DemoLogin
from accord.scenarios.workflow_demo import START
from accord.store import open_store
from accord.transparency.model import Quarter
from accord.transparency.service import publish
from accord.workflow.transitions import Role

if TYPE_CHECKING:
    import pytest
    from playwright.sync_api import Page

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "build" / "screenshots"
CHROMIUM = os.environ.get("ACCORD_CHROMIUM", "/usr/bin/chromium")
"""ACCORD_CHROMIUM points the tests at another chromium (or at none, to see them skip)."""
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
HOST = "127.0.0.1"
"""Not `localhost`: one address, no IPv6 surprise; Chromium treats it as a secure context."""


def browser_problem() -> str | None:
    """What is missing for the browser tests, with how to get it; None when nothing is."""
    if importlib.util.find_spec("playwright") is None:
        return (
            "the playwright package is not installed: run `make .venv/.synced`"
            " (it is in the dev dependencies)"
        )
    path = Path(CHROMIUM)
    if not (path.is_file() and os.access(path, os.X_OK)):
        return (
            f"no chromium executable at {CHROMIUM}: install Debian's with"
            " `apt-get install chromium` (as root), or point ACCORD_CHROMIUM at one"
        )
    return None


@dataclass(frozen=True)
class DemoServer:
    """The demo app served over http for the session's browser tests.

    Shared by every test of the session: what one test changes (a pool proposed, a family
    accepted) the next one sees. The clock stands on the demo day; `clock.advance` moves the
    server's time for every later request.
    """

    base_url: str
    """e.g. http://127.0.0.1:41234, without a trailing slash."""
    logins: tuple[DemoLogin, ...]
    clock: SetClock

    def login(self, role: Role, party: str | None = None) -> DemoLogin:
        """The demo user of this role (and party, where two share the role: the reviewers)."""
        found = [
            login
            for login in self.logins
            if login.role == role and (party is None or login.party == party)
        ]
        if not found:
            raise LookupError(f"no demo login for {role} {party or ''}".strip())
        return found[0]

    def url(self, path: str = "/") -> str:
        return self.base_url + path


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve the ASGI app with uvicorn in a thread on a free port of 127.0.0.1; yields the base
    URL once the app has started, and stops the server cleanly on exit."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST, 0))  # the port stays ours from here: no race for a "free" port
    port = listener.getsockname()[1]
    config = uvicorn.Config(
        app, host=HOST, port=port, log_level="warning", lifespan="on", ws="none"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listener]}, name="demo-server", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the demo server stopped while starting (see the log above)")
            if time.monotonic() > deadline:
                raise RuntimeError("the demo server did not start within 30 s")
            time.sleep(0.05)
        yield f"http://{HOST}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        listener.close()


def publish_reports(settings: Settings, clock: Clock, officer: DemoLogin) -> list[str]:
    """The transparency releases of the demo year's quarters that have ended by the server's
    day, published by its officer as `accord demo` publishes them (`publish_year`): the
    /reports pages have releases to list and show. Returns the quarters, in the order of their
    release ids (1, 2, …)."""
    actor = Actor(officer.username, officer.role, officer.party)
    ended = [Quarter(START.year, n) for n in (1, 2, 3, 4)]
    ended = [q for q in ended if q.end < today(clock)]
    store = open_store(settings)
    try:
        for quarter in ended:
            with unit_of_work(store.sessions) as session:
                publish(session, quarter, actor, clock, threshold=settings.report_threshold)
    finally:
        store.close()
    return [str(q) for q in ended]


def demo_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of the session's demo database, to read what the server stored (the
    `demo_server` fixture seeds it as demo.db in the session's `e2e-demo` temporary folder)."""
    base = tmp_path_factory.getbasetemp()
    found = sorted({path.resolve() for path in base.glob("e2e-demo*/demo.db")})  # and its link
    if len(found) != 1:
        raise LookupError(f"expected one demo database, found {found or 'none'}")
    return f"sqlite:///{found[0]}"


def sign_in_through_api(page: Page, login: DemoLogin) -> str:
    """Sign the page's browser context in with POST /api/v1/session, from inside the page (so
    Chromium itself stores the Secure, SameSite=Strict cookie); returns the CSRF token.

    For tests that need a signed-in user but are not about signing in. The page must be on the
    server's origin; it is taken there (the health probe) when it is blank.
    """
    if not page.url.startswith("http"):
        page.goto("/api/v1/health")
    status, body = page.evaluate(
        """async ([username, password]) => {
            const response = await fetch("/api/v1/session", {
                method: "POST",
                headers: {"Content-Type": "application/json"},
                body: JSON.stringify({username, password}),
            });
            return [response.status, await response.json()];
        }""",
        [login.username, login.password],
    )
    if status != 200:
        raise AssertionError(f"{login.username} could not sign in: {status} {body}")
    token: str = body["csrf_token"]
    return token


class Screenshots:
    """`screenshot(page, name)` writes build/screenshots/<test>/<n>-<name>.png, numbered in the
    order taken; the test's folder is emptied first, so it shows the last run only."""

    def __init__(self, test_name: str) -> None:
        self.folder = SCREENSHOTS / _safe(test_name)
        self.taken = 0
        if self.folder.is_dir():
            for old in self.folder.glob("*.png"):
                old.unlink()

    def __call__(self, page: Page, name: str) -> Path:
        self.taken += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self.taken:02d}-{_safe(name)}.png"
        from playwright.sync_api import Error as BrowserError

        try:
            page.screenshot(path=str(path), full_page=True)
        except BrowserError as error:
            # Headless Chromium sometimes has no frame yet just after a navigation ("Unable to
            # capture screenshot"): once the page has loaded and painted a frame, it does.
            if "Unable to capture screenshot" not in error.message:
                raise
            page.wait_for_load_state("load")
            page.evaluate("() => new Promise(requestAnimationFrame)")
            page.screenshot(path=str(path), full_page=True)
        return path


def _safe(name: str) -> str:
    """A file name from a test or shot name (parametrized ids carry brackets and slashes)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "unnamed"
