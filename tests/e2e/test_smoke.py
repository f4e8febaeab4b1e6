"""The harness itself: the demo server answers the browser, and a demo user signs in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.e2e.support import DemoServer, Screenshots, sign_in_through_api

if TYPE_CHECKING:
    from playwright.sync_api import Page


def test_the_demo_server_answers_the_browser_and_keeps_a_session(
    page: Page, demo_server: DemoServer, screenshot: Screenshots
) -> None:
    response = page.goto("/api/v1/health")
    assert response is not None
    assert response.ok
    assert response.json()["status"] == "ok"

    # TODO(web pages): only "GET / answers" for now, whatever it shows (signed out, the
    # dashboard at / sends the browser to the sign-in page, GET /login). Once those pages
    # settle, sign in through the form instead of the API below and check that the dashboard
    # greets officer.us.
    response = page.goto("/")
    assert response is not None
    assert response.ok, f"GET / ended at {page.url} with {response.status}"
    screenshot(page, "home-signed-out")

    officer = demo_server.login("officer")
    sign_in_through_api(page, officer)
    [cookie] = [c for c in page.context.cookies() if c["name"] == "accord_session"]
    assert cookie["secure"]
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Strict"
    me = page.evaluate("fetch('/api/v1/session').then(response => response.json())")
    assert (me["username"], me["role"], me["party"]) == ("officer.us", "officer", "US")
    page.goto("/api/v1/session")
    screenshot(page, "signed-in")
