"""The web application in a real browser, the way its users work in it: an officer builds and
sends a pool; the receiving state's reviewer reads it through the minimized view, accepts two
families and rejects one with a reason; a reviewer of another state sees nothing of it; the
officer serves notices; a supervisor clears one family; the dashboard reflects every step.
A screenshot of each screen is written to build/screenshots/<test name>/."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tests.e2e.support import DemoServer, Screenshots
from tests.web.test_leaks import leaks

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

AGREEMENT = "demo-xk-year"


def sign_in(
    browser: Browser, server: DemoServer, role: str, party: str | None = None, start: str = "/"
) -> Page:
    """A fresh browser profile signed in through the sign-in form, sent there from `start`."""
    login = server.login(role, party)  # type: ignore[arg-type]
    context = browser.new_context(base_url=server.base_url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(start)
    assert "/login" in page.url  # every page is behind the sign-in
    page.get_by_label("User name").fill(login.username)
    page.get_by_label("Password").fill(login.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, page.content()[:2000]
    return page


def attention_of(page: Page) -> str:
    page.goto("/")
    card = page.locator(f'section[data-agreement="{AGREEMENT}"]')
    return card.inner_text()


def reserved(card_text: str) -> int:
    found = re.search(r"(\d+) used · (\d+) reserved · (\d+) left of 50", card_text)
    assert found, card_text
    return int(found.group(2))


def test_a_pool_from_proposal_to_clearance(
    browser: Browser, demo_server: DemoServer, screenshot: Screenshots
) -> None:
    from playwright.sync_api import expect

    # --- The officer builds and sends a pool ---------------------------------------------------
    officer = sign_in(browser, demo_server, "officer")
    before = attention_of(officer)
    reserved_before = reserved(before)
    screenshot(officer, "officer-dashboard")
    officer.goto(f"/agreements/{AGREEMENT}")
    expect(officer.get_by_role("heading", name="Status timeline")).to_be_visible()
    officer.wait_for_function("document.querySelectorAll('canvas[data-drawn]').length >= 3")
    screenshot(officer, "agreement")
    officer.get_by_role("link", name="Build a proposal for this agreement").click()
    officer.get_by_role("button", name="Run the matcher").click()
    proposal = officer.locator("table.proposal tbody tr")
    expect(proposal.first).to_be_visible()
    families = proposal.evaluate_all("rows => rows.map(r => r.dataset.family)")
    assert len(families) >= 4, families
    expect(officer.locator("table.proposal")).to_contain_text("score")
    screenshot(officer, "builder-preview")
    left_out = families[-1]
    officer.get_by_label(f"leave out {left_out}", exact=True).check()
    officer.get_by_label(f"reason to leave out {left_out}").fill("asked to wait for counsel")
    officer.get_by_role("button", name="Run again with these changes").click()
    expect(officer.locator(f'table.proposal tr[data-family="{left_out}"]')).to_have_count(0)
    expect(officer.locator("#proposal")).to_contain_text("Left out by hand")
    officer.get_by_role("button", name=re.compile("Send the pool to Kosovo")).click()
    expect(officer.locator(".flash.ok")).to_contain_text("sent to Kosovo (XK) for review")
    pool_url = officer.url
    pool_id = int(pool_url.rstrip("/").rsplit("/", 1)[1])
    screenshot(officer, "pool-sent")
    after_sending = attention_of(officer)
    assert f"waiting for review in pool {pool_id}" in after_sending

    # --- The receiving state's reviewer decides, family by family -------------------------------
    reviewer = sign_in(browser, demo_server, "reviewer", "XK", start="/review")
    assert reviewer.url.endswith("/review")
    expect(reviewer.get_by_role("link", name=f"pool {pool_id}")).to_be_visible()
    screenshot(reviewer, "review-queue")
    reviewer.get_by_role("link", name=f"pool {pool_id}").click()
    expect(reviewer.locator("main")).to_contain_text("minimized view")
    assert leaks(reviewer.content()) == []
    screenshot(reviewer, "review-pool")
    rows = reviewer.locator("table.pool tbody tr")
    chosen = rows.evaluate_all("rows => rows.map(r => r.dataset.family)")[:3]
    for family in chosen[:2]:
        row = reviewer.locator(f'tr[data-family="{family}"]')
        row.locator('button[data-action="accept"]').click()
        expect(reviewer.locator(f'tr[data-family="{family}"]')).to_contain_text("accepted")
    rejected = reviewer.locator(f'tr[data-family="{chosen[2]}"]')
    rejected.get_by_label(f"reason for rejecting {chosen[2]}").select_option("public_order")
    rejected.get_by_label(f"reason text for {chosen[2]}").fill("a conviction under review")
    rejected.locator('button[data-action="reject"]').click()
    expect(reviewer.locator(f'tr[data-family="{chosen[2]}"]')).to_contain_text("rejected")
    assert leaks(reviewer.content()) == []
    screenshot(reviewer, "review-decided")
    reviewer_home = attention_of(reviewer)
    assert reserved(reviewer_home) > reserved_before

    # --- A reviewer of another state sees nothing of it ------------------------------------------
    stranger = sign_in(browser, demo_server, "reviewer", "SV")
    assert f"pool {pool_id}" not in stranger.locator("main").inner_text()
    stranger.goto(f"/pools/{pool_id}")
    body = stranger.locator("main").inner_text()
    assert any(word in body for word in ("Not allowed", "Not found")), body
    assert not any(family in body for family in chosen)
    stranger.goto("/")
    assert AGREEMENT not in stranger.locator("main").inner_text()
    screenshot(stranger, "other-state")

    # --- The officer serves notice on the first accepted family ----------------------------------
    officer.goto(pool_url)
    officer.get_by_role("link", name=chosen[0], exact=True).click()
    item_url = officer.url
    expect(officer.locator("main")).to_contain_text("accepted")
    for recipient in ("person", "counsel"):
        members = officer.locator("#n-case option").evaluate_all("os => os.map(o => o.value)")
        for case_id in members:
            if "accepted" not in officer.locator("#item-state").inner_text():
                break
            officer.select_option("#n-case", case_id)
            officer.select_option("#n-to", recipient)
            officer.get_by_role("button", name="Record notice").click()
            expect(officer.locator(".flash")).to_be_visible()
    expect(officer.locator("#item-state")).to_contain_text("notified")
    screenshot(officer, "notice-served")
    assert f"notice period of family {chosen[0]}" not in attention_of(officer)  # 10 days out

    # --- Four days on, the dashboard says the notice period ends this week -----------------------
    demo_server.clock.advance(days=4)  # sessions idle that long end: sign in again
    supervisor = sign_in(browser, demo_server, "supervisor")
    assert f"notice period of family {chosen[0]} ends" in attention_of(supervisor)
    screenshot(supervisor, "dashboard-notice-due")

    # --- After the notice period, a supervisor clears that one family ----------------------------
    demo_server.clock.advance(days=7)
    supervisor = sign_in(browser, demo_server, "supervisor")
    supervisor.goto(item_url)
    supervisor.get_by_label(re.compile("medically fit to travel")).check()
    supervisor.get_by_role("button", name=f"Clear family {chosen[0]}").click()
    expect(supervisor.locator(".flash.ok")).to_contain_text("cleared")
    expect(supervisor.locator("#item-state")).to_contain_text("cleared")
    screenshot(supervisor, "cleared")
    supervisor.goto(f"/agreements/{AGREEMENT}")
    pools = supervisor.locator("#h-pools").locator("xpath=..").inner_text()
    assert f"pool {pool_id}" in pools and "cleared" in pools
    final = attention_of(supervisor)
    assert f"notice period of family {chosen[0]}" not in final
    screenshot(supervisor, "dashboard-after")
