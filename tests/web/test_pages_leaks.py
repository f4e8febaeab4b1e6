"""No page a reviewer can reach tells of a protected fact (DESIGN §6): the API's leak scan,
applied to the HTML of every page and fragment a reviewer can open or post, refusals included."""

from __future__ import annotations

from typing import Any

from tests.web.pages_support import signed_in
from tests.web.support import World
from tests.web.test_leaks import leaks


def reviewer_pages(world: World) -> dict[str, Any]:
    rita = signed_in(world, "rita")
    items, pool = world.items, world.pool
    seen: dict[str, Any] = {
        "dashboard": rita.get("/"),
        "queue": rita.get("/review"),
        "agreement": rita.get("/agreements/demo-xk-year"),
        "pool": rita.get(f"/pools/{pool}"),
        "monitoring": rita.get("/monitoring"),
        # B1 carries a pending fear claim about XK: the refusal must not say so
        "accept blocked (row)": rita.htmx(f"/items/{items['F-B1']}/accept", {"pool_id": pool}),
        "accept blocked (page)": rita.post(f"/items/{items['F-B1']}/accept", {}),
        # A2 is stopped by a fear claim: revoking it is refused without saying why
        "revoke stopped": rita.post(
            f"/items/{items['F-A2']}/revoke", {"reason_code": "other", "reason_text": "no"}
        ),
        "decide several": rita.post(
            f"/pools/{pool}/decide",
            {"item": [str(items["F-B1"]), str(items["F-A2"])], "decision": "accept"},
            follow_redirects=True,
        ),
        "reject (row)": rita.htmx(
            f"/items/{items['F-A3']}/reject",
            {"pool_id": pool, "reason_code": "criteria", "reason_text": "documents incomplete"},
        ),
        "sender's page": rita.get("/people/P1"),
    }
    for family, item in items.items():
        seen[f"item {family}"] = rita.get(f"/items/{item}")
    return seen


def test_no_page_a_reviewer_can_reach_leaks_a_protected_fact(world: World) -> None:
    pages = reviewer_pages(world)
    assert pages["pool"].status_code == 200
    assert pages["accept blocked (row)"].status_code == 409
    assert "held by the sender" in pages["accept blocked (row)"].text
    found = {name: leaks(page.text) for name, page in pages.items() if leaks(page.text)}
    assert found == {}


def test_the_html_scan_finds_the_facts_on_the_senders_pages(world: World) -> None:
    """The scan is not blind: the sender's item page carries the fear claim."""
    olga = signed_in(world, "olga")
    assert "fear" in leaks(olga.get(f"/items/{world.items['F-A2']}").text)
