"""The web pages: signing in, the dashboard, an agreement, the proposal builder, the review
queue and an item's moves, each through the forms a browser posts (CSRF token included)."""

from __future__ import annotations

import re

from sqlalchemy import select

from accord.audit import personal
from accord.db import unit_of_work
from accord.models import AuditEvent, ProposalItem
from tests.web.pages_support import login_token, signed_in
from tests.web.support import PASSWORD, World


def _state(world: World, item_id: int) -> str:
    with unit_of_work(world.store.sessions) as session:
        return session.get(ProposalItem, item_id).state  # type: ignore[union-attr]


def _events(world: World, action: str) -> list[AuditEvent]:
    with unit_of_work(world.store.sessions) as session:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
        session.expunge_all()
        return list(rows)


# --- Signing in -------------------------------------------------------------------------------


def test_a_page_sends_the_signed_out_to_sign_in_and_back(world: World) -> None:
    nobody = signed_in(world, None)
    answer = nobody.get("/agreements/demo-xk-year", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/agreements/demo-xk-year"
    form = nobody.get("/login?next=/agreements/demo-xk-year")
    assert 'name="next" value="/agreements/demo-xk-year"' in form.text
    signed = nobody.client.post(
        "/login",
        data={
            "username": "olga",
            "password": PASSWORD,
            "login_token": login_token(form.text),
            "next": "/agreements/demo-xk-year",
        },
        follow_redirects=False,
    )
    assert signed.status_code == 303
    assert signed.headers["location"] == "/agreements/demo-xk-year"
    cookie = signed.headers.get_list("set-cookie")
    assert any(
        c.startswith("accord_session=") and "HttpOnly" in c and "Secure" in c for c in cookie
    )
    assert any("SameSite=strict" in c for c in cookie)


def test_a_wrong_password_shows_the_form_again_and_is_audited(world: World) -> None:
    nobody = signed_in(world, None)
    form = nobody.get("/login")
    answer = nobody.client.post(
        "/login",
        data={"username": "olga", "password": "wrong", "login_token": login_token(form.text)},
    )
    assert answer.status_code == 401
    assert "Sign in" in answer.text
    assert "accord_session" not in nobody.client.cookies
    assert any(e.entity_id == "olga" for e in _events(world, "login.failed"))


def test_a_sign_in_form_posted_from_elsewhere_is_refused(world: World) -> None:
    nobody = signed_in(world, None)
    answer = nobody.client.post(
        "/login", data={"username": "olga", "password": PASSWORD, "login_token": "guessed"}
    )
    assert answer.status_code == 403
    assert "accord_session" not in nobody.client.cookies


def test_sign_in_never_redirects_off_the_site(world: World) -> None:
    nobody = signed_in(world, None)
    form = nobody.get("/login")
    answer = nobody.client.post(
        "/login",
        data={
            "username": "rita",
            "password": PASSWORD,
            "login_token": login_token(form.text),
            "next": "//evil.example/steal",
        },
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/review"  # a reviewer's home


def test_signing_out_ends_the_session(world: World) -> None:
    olga = signed_in(world, "olga")
    assert olga.get("/").status_code == 200
    session_cookie = olga.client.cookies["accord_session"]
    assert olga.post("/logout").headers["location"] == "/login"
    olga.client.cookies.set("accord_session", session_cookie)  # a copy kept by an attacker
    assert olga.get("/", follow_redirects=False).status_code == 303


def test_a_form_without_the_csrf_token_is_refused_and_writes_nothing(world: World) -> None:
    rita = signed_in(world, "rita")
    item = world.items["F-A3"]
    answer = rita.client.post(f"/items/{item}/accept", data={}, follow_redirects=False)
    assert answer.status_code == 403
    assert _state(world, item) == "proposed"
    forged = rita.client.post(
        f"/items/{item}/accept", data={"csrf_token": "forged"}, follow_redirects=False
    )
    assert forged.status_code == 403
    assert _state(world, item) == "proposed"


def test_every_form_of_a_page_carries_the_sessions_token(world: World) -> None:
    rita = signed_in(world, "rita")
    page = rita.get(f"/pools/{world.pool}").text
    tokens = re.findall(r'name="csrf_token" value="([^"]*)"', page)
    assert len(tokens) >= 3
    assert set(tokens) == {rita.csrf}
    assert f'"X-CSRF-Token": "{rita.csrf}"' in page  # htmx sends it as a header
    olga = signed_in(world, "olga")
    fragment = olga.htmx("/pools/new/preview", {"agreement_id": "demo-xk-year"}).text
    assert set(re.findall(r'name="csrf_token" value="([^"]*)"', fragment)) == {olga.csrf}


# --- Dashboard and agreement ------------------------------------------------------------------


def test_the_dashboard_shows_caps_and_what_needs_attention(world: World) -> None:
    page = signed_in(world, "olga").get("/")
    assert page.status_code == 200
    assert 'data-agreement="demo-xk-year"' in page.text
    assert "persons per period" in page.text
    assert re.search(r"\d+ used · \d+ reserved · \d+ left of 50", page.text)
    assert "2 families waiting for review in pool" in page.text
    assert "demo-xk-year · United States (US) → Kosovo (XK) ·" in page.text
    assert "olga · officer · United States (US)" in page.text  # who is signed in, and for whom


def test_a_reviewer_of_another_state_sees_nothing_of_the_agreement(world: World) -> None:
    ruth = signed_in(world, "ruth")
    assert "demo-xk-year" not in ruth.get("/").text
    assert ruth.get("/agreements/demo-xk-year").status_code == 404
    pool = ruth.get(f"/pools/{world.pool}")
    assert pool.status_code == 404
    assert "F-A3" not in pool.text
    assert "pool " + str(world.pool) not in ruth.get("/review").text


def test_the_agreement_page_has_its_timeline_sources_checklist_and_charts(world: World) -> None:
    page = signed_in(world, "sam").get("/agreements/demo-xk-year")
    assert page.status_code == 200
    text = page.text
    assert "Status timeline" in text and "in force" in text
    assert "demo-xk-year · United States (US) → Kosovo (XK) ·" in text
    assert "Accord demo scenario" in text  # the status's source
    assert "Access for independent monitors" in text
    for chart in ("ledger-chart", "review-chart", "waits-chart", "onward-chart"):
        assert f'id="{chart}-data"' in text
    assert f'href="/pools/{world.pool}"' in text


def test_a_monitor_reads_the_agreement_as_suppressed_aggregates(world: World) -> None:
    page = signed_in(world, "mona").get("/agreements/demo-xk-year")
    assert page.status_code == 200
    assert "Aggregates on" in page.text
    assert "&lt;5" in page.text  # 1 to 4 families in a state: suppressed
    assert f"/pools/{world.pool}" not in page.text


def test_what_if_counts_the_eligible_with_an_edited_criterion(world: World) -> None:
    olga = signed_in(world, "olga")
    loose = olga.htmx(
        "/agreements/demo-xk-year/what-if",
        {"criterion_id": "public-order", "expr": "true"},
    )
    assert loose.status_code == 200
    assert "<html" not in loose.text
    assert "eligible people" in loose.text
    strict = olga.htmx(
        "/agreements/demo-xk-year/what-if",
        {"criterion_id": "public-order", "expr": "age >= 200"},
    )
    assert re.search(r'data-what-if="people">0<', strict.text)
    wrong = olga.htmx(
        "/agreements/demo-xk-year/what-if", {"criterion_id": "x", "expr": "no such field"}
    )
    assert 'class="flash error"' in wrong.text


def test_what_if_is_the_senders_only(world: World) -> None:
    rita = signed_in(world, "rita")
    answer = rita.htmx(
        "/agreements/demo-xk-year/what-if", {"criterion_id": "public-order", "expr": "true"}
    )
    assert answer.status_code == 403


# --- Review -------------------------------------------------------------------------------------


def test_the_reviewer_reads_the_pool_through_the_minimized_view(world: World) -> None:
    page = signed_in(world, "rita").get(f"/pools/{world.pool}")
    assert page.status_code == 200
    assert "minimized view" in page.text
    assert "why chosen" not in page.text
    assert 'data-action="accept"' in page.text
    assert "; Venezuela (VE); speaks" in page.text  # a nationality it is shown, by name too
    reads = _events(world, "person.read")
    assert any(e.data.get("view") == "minimized" for e in reads)


def test_the_pool_page_reads_each_waiting_family_once_and_no_timeline(world: World) -> None:
    assert signed_in(world, "rita").get(f"/pools/{world.pool}").status_code == 200
    reads = {
        (e.entity_id, e.data["via"]) for e in _events(world, "person.read") if e.actor == "rita"
    }
    waiting = {"A3": world.items["F-A3"], "B1": world.items["F-B1"]}
    assert reads == {(case, f"item {item}") for case, item in waiting.items()}
    assert not [e for e in _events(world, "item.read") if e.actor == "rita"]


def test_accepting_in_the_queue_redraws_the_row(world: World) -> None:
    rita = signed_in(world, "rita")
    item = world.items["F-A3"]
    row = rita.htmx(f"/items/{item}/accept", {"pool_id": world.pool})
    assert row.status_code == 200
    assert row.text.lstrip().startswith(f'<tr id="item-{item}"')
    assert "accepted" in row.text
    assert _state(world, item) == "accepted"


def test_a_refused_decision_is_shown_in_its_row(world: World) -> None:
    rita = signed_in(world, "rita")
    item = world.items["F-A3"]
    row = rita.htmx(f"/items/{item}/reject", {"pool_id": world.pool})
    assert row.status_code == 409
    assert row.text.lstrip().startswith(f'<tr id="item-{item}"')
    assert 'class="flash error"' in row.text
    assert "reason" in row.text
    assert _state(world, item) == "proposed"


def test_several_families_decided_together_are_each_recorded(world: World) -> None:
    rita = signed_in(world, "rita")
    a3, b1 = world.items["F-A3"], world.items["F-B1"]
    answer = rita.post(
        f"/pools/{world.pool}/decide",
        {
            "item": [str(a3), str(b1)],
            "decision": "reject",
            "reason_code": "criteria",
            "reason_text": "not within the criteria",
        },
    )
    assert answer.status_code == 303
    assert _state(world, a3) == "rejected"
    assert _state(world, b1) == "rejected"
    assert {e.entity_id for e in _events(world, "item.reject")} >= {str(a3), str(b1)}
    note = rita.get(answer.headers["location"]).text
    assert "2 families rejected." in note


def test_rejecting_without_a_reason_when_one_is_required_is_refused(world: World) -> None:
    rita = signed_in(world, "rita")
    item = world.items["F-A3"]
    answer = rita.post(f"/items/{item}/reject", {"reason_code": ""})
    assert answer.status_code == 409
    assert "reason" in answer.text
    assert _state(world, item) == "proposed"


# --- The sender's moves -----------------------------------------------------------------------


def test_the_officer_serves_notice_from_the_item_page(world: World) -> None:
    olga = signed_in(world, "olga")
    item = world.items["F-A1"]
    page = olga.get(f"/items/{item}")
    assert 'id="form-notice"' in page.text
    answer = olga.post(
        f"/items/{item}/notify", {"case_id": "A1", "recipient": "person", "language": "es"}
    )
    assert answer.status_code == 303
    assert _state(world, item) == "notified"
    shown = olga.get(answer.headers["location"]).text
    assert "served" in shown


def test_a_notice_in_a_language_not_understood_is_refused_on_the_page_and_read_in_one_is_not(
    world: World,
) -> None:
    """S6 from the item page: a notice in a language A1 does not read is refused, says why and
    records nothing; the English template read by a named interpreter in Spanish is service."""
    olga = signed_in(world, "olga")
    item = world.items["F-A1"]
    page = olga.get(f"/items/{item}").text
    assert 'name="interpreter"' in page and 'name="read_in"' in page

    def recorded() -> int:
        with unit_of_work(world.store.sessions) as session:
            return len(
                session.scalars(
                    select(AuditEvent).where(
                        AuditEvent.action == "notice.recorded", AuditEvent.entity_id == str(item)
                    )
                ).all()
            )

    refused = olga.post(f"/items/{item}/notify", {"case_id": "A1", "language": "en"})
    assert refused.status_code == 409
    assert "A1 is not recorded as understanding" in refused.text
    assert (recorded(), _state(world, item)) == (0, "accepted")
    answer = olga.post(
        f"/items/{item}/notify",
        {"case_id": "A1", "language": "en", "interpreter": "K. Haddad", "read_in": "es"},
    )
    assert answer.status_code == 303, answer.text
    assert (recorded(), _state(world, item)) == (1, "notified")
    shown = olga.get(answer.headers["location"]).text
    assert "read in es by K. Haddad" in shown


def test_only_a_supervisor_clears_and_one_family_at_a_time(world: World) -> None:
    olga = signed_in(world, "olga")
    item = world.items["F-A1"]
    olga.post(f"/items/{item}/notify", {"case_id": "A1", "language": "es"})
    assert olga.post(f"/items/{item}/clear", {"medical_fit_confirmed": "on"}).status_code == 403
    world.clock.advance(days=11)  # past the notice period (S6); sessions idle that long end
    sam = signed_in(world, "sam")
    page = sam.get(f"/items/{item}")
    assert 'id="form-clear"' in page.text
    unconfirmed = sam.post(f"/items/{item}/clear", {})
    assert unconfirmed.status_code == 409
    assert _state(world, item) == "notified"
    assert sam.post(f"/items/{item}/clear", {"medical_fit_confirmed": "on"}).status_code == 303
    assert _state(world, item) == "cleared"


def test_the_builder_previews_then_sends_a_pool_with_pins_audited(world: World) -> None:
    olga = signed_in(world, "olga")
    assert "Run the matcher" in olga.get("/pools/new?agreement=demo-xk-year").text
    for family in ("F-A1", "F-A3"):  # free them: they are in the seeded pool
        olga.post(f"/items/{world.items[family]}/cancel", {"reason": "to propose again"})
    preview = olga.htmx("/pools/new/preview", {"agreement_id": "demo-xk-year"})
    assert preview.status_code == 200
    assert "<html" not in preview.text
    assert 'data-family="F-A1"' in preview.text and 'data-family="F-A3"' in preview.text
    assert "why chosen" in preview.text and "waiting" in preview.text
    assert 'data-family="F-B1"' not in preview.text  # a fear claim on file: not eligible
    [run] = _events(world, "proposal.computed")  # nothing stored, the run audited
    assert run.actor == "olga" and set(run.data["families"]) == {"F-A1", "F-A3"}
    pools_before = len(_events(world, "proposal.created"))
    unexplained = olga.post(
        "/pools/new/send", {"agreement_id": "demo-xk-year", "leave_out": "F-A3"}
    )
    assert unexplained.status_code == 400
    assert "needs a reason" in unexplained.text
    assert len(_events(world, "proposal.created")) == pools_before
    sent = olga.post(
        "/pools/new/send",
        {"agreement_id": "demo-xk-year", "leave_out": "F-A3", "reason_F-A3": "asked to wait"},
    )
    assert sent.status_code == 303
    pool_page = olga.get(sent.headers["location"])
    assert "sent to Kosovo (XK) for review" in pool_page.text
    assert ">F-A1<" in pool_page.text and ">F-A3<" not in pool_page.text
    [pin] = _events(world, "proposal.pinned")
    assert set(pin.data["reason"]) == {"$personal"}  # the reason is held outside the chain
    with unit_of_work(world.store.sessions) as session:
        [data] = personal.reveal(session, [pin.data])
    assert data == {"family_id": "F-A3", "pin": "out", "reason": "asked to wait"}
