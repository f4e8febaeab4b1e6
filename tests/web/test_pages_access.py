"""The pages' access matrix, generated from the page routers: every page, opened (or posted) by
every role, by nobody and by a reviewer of another state, is allowed or refused exactly as the
API rule it stands on says. A page without a rule fails the test."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi.routing import APIRoute

from accord.access import PAGES, PUBLIC_PAGES, RULES
from accord.web.app import PAGE_ROUTERS
from tests.web.pages_support import Browser, signed_in
from tests.web.support import BY_ROLE, OTHER_REVIEWER, World


@dataclass(frozen=True)
class Page:
    name: str
    method: str
    path: str


def page_routes() -> list[Page]:
    return sorted(
        (
            Page(str(route.name), method, route.path)
            for router in PAGE_ROUTERS
            for route in router.routes
            if isinstance(route, APIRoute)
            for method in sorted(route.methods or ())
        ),
        key=lambda p: (p.name, p.method),
    )


FORMS = {
    "pages.items.revoke": {"reason_code": "other", "reason_text": "the matrix"},
    "pages.items.onward": {"outcome": "remained"},
    "pages.items.check_in": {"days": "30", "audience": "shared"},
    "pages.pool_decide": {"decision": "accept"},
}
"""Well-formed forms, so that a reviewer of another state meets the party check, not the
form's own checks."""


def open_page(
    world: World, browser: Browser, page: Page, *, well_formed: bool = False
) -> tuple[int, str]:
    values = {
        "item_id": world.items["F-A3"],
        "pool_id": world.pool,
        "agreement_id": "demo-xk-year",
        "case_id": "A1",
        "notice_id": world.notices["A2"],
        "release_id": 1,  # none is published: an allowed reader is answered 404
        "job_id": 1,  # no matcher job was queued: an allowed reader is answered 404
        "received_id": 1,  # no exchange keys here: an allowed reviewer is answered 409
        "name": "report-2026-Q1-all.csv",
    }
    path = re.sub(r"{(\w+)}", lambda m: str(values[m.group(1)]), page.path)
    if page.method == "GET":
        answer = browser.get(path, follow_redirects=False)
    else:  # an empty form: an allowed caller meets the form's checks, never the rule
        form: dict[str, str | list[str]] = dict(FORMS.get(page.name, {})) if well_formed else {}
        if well_formed and page.name == "pages.pool_decide":
            form["item"] = [str(world.items["F-A3"])]
        answer = browser.post(path, form)
    return answer.status_code, answer.text


def test_every_page_has_a_rule_it_stands_on() -> None:
    names = {p.name for p in page_routes()}
    assert names - set(PAGES) - PUBLIC_PAGES == set(), "a page without an access rule"
    assert set(PAGES) - names == set(), "a rule for a page that does not exist"
    assert set(PAGES.values()) <= set(RULES), "a page standing on a rule that does not exist"


def test_every_page_for_every_caller(world: World) -> None:
    browsers = {role: signed_in(world, user) for role, user in BY_ROLE.items()}
    nobody, stranger = signed_in(world, None), signed_in(world, OTHER_REVIEWER)
    wrong = []
    for page in page_routes():
        if page.name in PUBLIC_PAGES or page.name == "pages.logout":
            continue  # signing out is tested on its own: it would end these sessions
        allowed = RULES[PAGES[page.name]].roles
        status, _ = open_page(world, nobody, page)
        if status != 303:  # to the sign-in page
            wrong.append(f"{page.name}: no login -> {status}, expected 303")
        for role, browser in browsers.items():
            status, text = open_page(world, browser, page)
            refused_by_rule = status == 403 and "may not use" in text
            if role in allowed and refused_by_rule:
                wrong.append(f"{page.name}: {role} -> refused, expected allowed")
            if role not in allowed and not refused_by_rule:
                wrong.append(f"{page.name}: {role} -> {status}, expected refused by its rule")
        if "reviewer" in allowed and any(k in page.path for k in ("{pool_id}", "{item_id}")):
            status, text = open_page(world, stranger, page, well_formed=True)
            if status != 404 or "F-A3" in text:  # as if it did not exist (DESIGN §1)
                wrong.append(f"{page.name}: a reviewer of another state -> {status}")
    assert wrong == [], "\n".join(wrong)
