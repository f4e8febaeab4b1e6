"""Every page in a real browser, as the role that works in it: it renders with no script error
and no content-security-policy violation, every form control has a label, and a screenshot of
it is written to build/screenshots/<test name>/."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.e2e.support import DemoServer, Screenshots
from tests.e2e.test_story import sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

UNLABELLED = """() => [...document.querySelectorAll("input, select, textarea")]
    .filter(el => el.type !== "hidden" && !el.labels?.length && !el.getAttribute("aria-label"))
    .map(el => el.outerHTML.slice(0, 120))"""


def visit(page: Page, path: str, screenshot: Screenshots, name: str) -> None:
    answer = page.goto(path)
    assert answer is not None and answer.status == 200, f"{path}: {answer and answer.status}"
    page.wait_for_load_state("networkidle")
    assert page.evaluate(UNLABELLED) == [], f"{path}: form controls without a label"
    screenshot(page, name)


@pytest.mark.parametrize(
    ("role", "party", "pages"),
    [
        (
            "supervisor",
            None,
            [
                ("/", "dashboard"),
                ("/agreements/demo-xk-year", "agreement"),
                ("/pools/new?agreement=demo-xk-year", "builder"),
                ("/review", "pools"),
                ("/people", "people"),
                ("/monitoring", "monitoring"),
                ("/audit", "audit"),
            ],
        ),
        ("officer", None, [("/reports", "reports"), ("/reports/1", "report")]),
        ("reviewer", "XK", [("/review", "review-queue"), ("/", "dashboard")]),
        (
            "monitor",
            None,
            [
                ("/", "dashboard"),
                ("/monitoring", "monitoring"),
                ("/reports", "reports"),
                ("/reports/2", "report"),
                ("/reports/2/files/report-2026-Q2-all.html", "report-file"),
            ],
        ),
    ],
)
def test_every_page_renders_cleanly(
    browser: Browser,
    demo_server: DemoServer,
    screenshot: Screenshots,
    role: str,
    party: str | None,
    pages: list[tuple[str, str]],
) -> None:
    page = sign_in(browser, demo_server, role, party)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    for path, name in pages:
        visit(page, path, screenshot, name)
    if role == "supervisor":
        page.goto("/")
        reported = page.locator('section[data-agreement="us-xk-2025"]').inner_text()
        assert "Takes no proposal today" in reported and "S12" in reported  # no instrument
        page.goto("/people")
        page.locator("table a[href^='/people/']").first.click()
        page.wait_for_load_state("networkidle")
        assert "Screening" in page.locator("main").inner_text()
        screenshot(page, "person")
        page.goto("/pools/1")
        page.locator("table a[href^='/items/']").first.click()
        page.wait_for_load_state("networkidle")
        screenshot(page, "item")
        page.goto("/agreements/demo-xk-year")
        assert page.locator("canvas[data-drawn]").count() >= 3  # the charts were drawn
        page.get_by_text("What if a criterion were different?").click()
        page.get_by_label("Expression").fill("true")
        page.get_by_role("button", name="Count eligible today").click()
        page.locator("#what-if-result table").wait_for()
        screenshot(page, "what-if")
    if role == "officer":  # one agreement's last quarter, published through the page's form
        page.goto("/reports")
        page.get_by_label("Agreement").select_option("demo-xk-year")
        page.get_by_role("button", name="Publish").click()
        page.wait_for_load_state("networkidle")
        assert "Published the transparency report" in page.locator(".flash").inner_text()
        screenshot(page, "report-published")
    assert problems == [], problems
