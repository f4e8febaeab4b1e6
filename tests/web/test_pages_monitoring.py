"""The Monitoring page (S15): check-ins and incidents of every agreement the user may see; a
reported onward removal or ill-treatment suspends the agreement through the form, and only a
supervisor lifts the suspension, with a reason; a monitor sees only the agreements naming it."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from accord.db import unit_of_work
from accord.models import AuditEvent, Incident
from tests.proposals.support import AGREEMENT, load_agreement
from tests.web.pages_support import Browser, signed_in
from tests.web.support import PROTECTED_VALUES, World

OTHER = "demo-other-year"


def status(world: World) -> str:
    answer = world.get(f"/agreements/{AGREEMENT}", "sam")
    assert answer.status_code == 200, answer.text
    return str(answer.json()["status"])


def incidents(world: World) -> int:
    with unit_of_work(world.store.sessions) as session:
        return session.execute(select(func.count()).select_from(Incident)).scalar_one()


def reported_events(world: World) -> int:
    with unit_of_work(world.store.sessions) as session:
        query = select(func.count()).where(AuditEvent.action == "incident.reported")
        return session.execute(query).scalar_one()


def followed(browser: Browser, answer: Any) -> str:
    """The page a form's 303 leads to, with its flash note."""
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert location == "/monitoring"
    page = browser.get(location)
    assert page.status_code == 200
    return str(page.text)


def submit(browser: Browser, page: str, action: str, agreement: str, **fields: str) -> Any:
    """Fill in and send the page's form for `action` under an agreement as a browser would:
    with the hidden fields the page wrote into it (its CSRF token among them), nothing added."""
    forms = re.findall(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', page, re.S)
    for target, body in forms:
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', body))
        if target == action and hidden.get("agreement_id") == agreement:
            assert hidden["csrf_token"] == browser.csrf, "the form carries the session's token"
            return browser.client.post(action, data={**hidden, **fields}, follow_redirects=False)
    raise AssertionError(f"no form for {action} under {agreement} on the page")


def transferred(world: World) -> int:
    """F-A1 (accepted in the seed) served, cleared, scheduled and arrived: its check-ins fall
    due 30, 90 and 180 days on."""
    item = world.items["F-A1"]
    served = world.post(
        f"/items/{item}/notify", "olga", {"case_id": "A1", "language": "es", "signed": True}
    )
    assert served.status_code == 200, served.text
    world.clock.advance(days=11)  # the ten days to raise a fear have ended
    cleared = world.post(f"/items/{item}/clear", "sam", {"medical_fit_confirmed": True})
    assert cleared.status_code == 200, cleared.text
    on = (world.clock.now() + dt.timedelta(days=1)).date().isoformat()
    assert world.post(f"/items/{item}/schedule", "olga", {"on": on}).status_code == 200
    world.clock.advance(days=1)
    assert world.post(f"/items/{item}/transfer", "rita").status_code == 200
    return item


@pytest.mark.parametrize("user", ["olga", "sam", "rita", "mona"])
def test_the_page_opens_for_each_role_that_reads_check_ins(world: World, user: str) -> None:
    page = signed_in(world, user).get("/monitoring")
    assert page.status_code == 200, page.text
    assert f'data-agreement="{AGREEMENT}"' in page.text
    assert 'aria-current="page">Monitoring' in page.text
    assert "No incident reported." in page.text
    assert '<label for="r-1-kind">' in page.text  # every role here may report
    if user in ("rita", "mona"):
        assert not [v for v in PROTECTED_VALUES if v in page.text]


def test_others_are_refused_or_see_nothing(world: World) -> None:
    assert signed_in(world, "ada").get("/monitoring").status_code == 403
    ruth = signed_in(world, "ruth").get("/monitoring")  # reviews for AL: no agreement here
    assert ruth.status_code == 200
    assert "No agreement is visible to you." in ruth.text
    assert AGREEMENT not in ruth.text
    nobody = signed_in(world, None).get("/monitoring", follow_redirects=False)
    assert nobody.status_code == 303
    assert nobody.headers["location"] == "/login?next=/monitoring"


def test_check_ins_due_and_done(world: World) -> None:
    item = transferred(world)
    world.clock.advance(days=30)
    done = world.post(
        f"/items/{item}/check-in", "mona", {"days": 30, "note": "seen", "audience": "shared"}
    )
    assert done.status_code == 200, done.text
    world.clock.advance(days=70)  # the 90-day check-in is overdue now
    olga = signed_in(world, "olga").get("/monitoring").text
    assert '<span data-count="due">2</span>' in olga
    assert '<span data-count="done">1</span>' in olga
    assert '<span data-count="overdue">1</span>' in olga
    assert f'<a href="/items/{item}">item {item}</a>' in olga
    assert '<span class="badge bad">overdue</span>' in olga
    mona = signed_in(world, "mona").get("/monitoring").text
    assert '<span data-count="done">1</span>' in mona
    assert "/items/" not in mona  # a monitor reads no item, so the page links none


def test_a_reported_onward_removal_suspends_and_a_supervisor_lifts_it(world: World) -> None:
    olga = signed_in(world, "olga")
    answer = submit(
        olga,
        olga.get("/monitoring").text,
        "/monitoring/incidents",
        AGREEMENT,
        kind="onward_removal",
        text="Moved on to ER, 3 March.",
        audience="shared",
    )
    page = followed(olga, answer)
    assert status(world) == "suspended"
    assert "is suspended (S15)" in page and "flash warn" in page
    assert '<span class="badge bad">suspending</span>' in page
    assert "Moved on to ER, 3 March." in page
    assert "Lift the suspension" not in page  # an officer may not lift it
    refused = olga.post(
        "/monitoring/incidents/lift", {"agreement_id": AGREEMENT, "reason": "I say so, really."}
    )
    assert refused.status_code == 403
    assert status(world) == "suspended"

    sam = signed_in(world, "sam")
    form = sam.get("/monitoring").text
    assert '<label for="l-1-reason">' in form and 'action="/monitoring/incidents/lift"' in form
    too_short = sam.post("/monitoring/incidents/lift", {"agreement_id": AGREEMENT, "reason": "ok"})
    assert too_short.status_code == 422  # as the API refuses the same body
    assert "reason" in too_short.text
    assert status(world) == "suspended"
    reason = "The receiver's investigation found no onward removal; monitor confirmed."
    lifted = followed(
        sam, submit(sam, form, "/monitoring/incidents/lift", AGREEMENT, reason=reason)
    )
    assert status(world) == "in_force"
    assert f"Suspension of {AGREEMENT} lifted" in lifted
    assert "by sam" in lifted and reason.replace("'", "&#39;") in lifted
    assert "Lift the suspension" not in lifted


def test_a_finding_does_not_suspend(world: World) -> None:
    mona = signed_in(world, "mona")
    form = mona.get("/monitoring").text
    assert "Other finding (does not suspend)" in form
    page = followed(
        mona,
        submit(
            mona,
            form,
            "/monitoring/incidents",
            AGREEMENT,
            kind="other",
            text="Reception centre overcrowded.",
            audience="shared",
        ),
    )
    assert status(world) == "in_force"
    assert "Finding 1 reported" in page
    assert "Reception centre overcrowded." in page and "reported by mona" in page


def test_a_form_without_the_csrf_token_is_refused_and_writes_nothing(world: World) -> None:
    olga = signed_in(world, "olga")
    fields = {
        "agreement_id": AGREEMENT,
        "kind": "ill_treatment",
        "text": "Beaten in custody.",
        "audience": "shared",
    }
    for headers in ({}, {"X-CSRF-Token": "forged"}):
        answer = olga.client.post(
            "/monitoring/incidents", data=fields, headers=headers, follow_redirects=False
        )
        assert answer.status_code == 403, answer.text
    forged = olga.client.post(
        "/monitoring/incidents", data={**fields, "csrf_token": "forged"}, follow_redirects=False
    )
    assert forged.status_code == 403
    assert (incidents(world), reported_events(world), status(world)) == (0, 0, "in_force")
    sam = signed_in(world, "sam")
    world.post(
        f"/agreements/{AGREEMENT}/incidents",
        "olga",
        {"kind": "ill_treatment", "text": "x", "audience": "sender"},
    )
    assert status(world) == "suspended"
    lift = sam.client.post(
        "/monitoring/incidents/lift",
        data={"agreement_id": AGREEMENT, "reason": "A reason long enough."},
        follow_redirects=False,
    )
    assert lift.status_code == 403
    assert status(world) == "suspended"


def test_a_bad_form_names_the_field_and_writes_nothing(world: World) -> None:
    olga = signed_in(world, "olga")
    unknown = olga.post(
        "/monitoring/incidents",
        {"agreement_id": AGREEMENT, "kind": "gossip", "text": "x", "audience": "shared"},
    )
    assert unknown.status_code == 422 and "kind" in unknown.text
    empty = olga.post(
        "/monitoring/incidents", {"agreement_id": AGREEMENT, "kind": "other", "audience": "shared"}
    )
    assert empty.status_code == 422 and "text" in empty.text
    assert (incidents(world), status(world)) == (0, "in_force")


def test_a_monitor_sees_and_reports_only_under_the_agreements_naming_it(world: World) -> None:
    load_agreement(world.store, id=OTHER, monitors=[])
    sam = signed_in(world, "sam").get("/monitoring").text
    assert f'data-agreement="{AGREEMENT}"' in sam and f'data-agreement="{OTHER}"' in sam
    one = signed_in(world, "sam").get(f"/monitoring?agreement={OTHER}").text
    assert re.findall(r'data-agreement="([^"]+)"', one) == [OTHER]

    mona = signed_in(world, "mona")
    page = mona.get("/monitoring").text
    assert re.findall(r'data-agreement="([^"]+)"', page) == [AGREEMENT]
    assert OTHER not in page
    assert (
        f"No agreement {OTHER} is visible to you."
        in mona.get(f"/monitoring?agreement={OTHER}").text
    )
    foreign = mona.post(
        "/monitoring/incidents",
        {"agreement_id": OTHER, "kind": "ill_treatment", "text": "x", "audience": "shared"},
    )
    assert foreign.status_code == 404
    assert incidents(world) == 0
    other = world.get(f"/agreements/{OTHER}", "sam").json()
    assert other["status"] == "in_force"
    # The receiver's reviewer reports under its own agreement, and the suspension is the same.
    rita = signed_in(world, "rita")
    followed(
        rita,
        rita.post(
            "/monitoring/incidents",
            {
                "agreement_id": AGREEMENT,
                "kind": "ill_treatment",
                "text": "Seen bruised.",
                "audience": "shared",
            },
        ),
    )
    assert status(world) == "suspended"
    assert world.get(f"/agreements/{OTHER}", "sam").json()["status"] == "in_force"
