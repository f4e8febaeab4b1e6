"""The receiving deployment's review pages: a pool a peer proposed, listed by pool; each family
through the minimized records held here; our reviewer's steps through the pages' forms, each
recorded here and queued to the sender; the refusals shown as every page shows them."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.cases.minimized import HEALTH_CONSENT, MinimizedPerson
from accord.config import Settings
from accord.db import unit_of_work
from accord.exchange import channel, keys
from accord.models import ReceivedItem, ReceivedPerson
from accord.proposals.movement import schedule
from accord.store import Store
from accord.web.app import create_app
from tests.exchange.api_support import Served, serving
from tests.exchange.support import Pair, pair
from tests.proposals.support import AGREEMENT, OFFICER, import_records, propose, run, single
from tests.proposals.test_promise import cleared
from tests.web.pages_support import Browser, login_token
from tests.web.support import PASSWORD, World, protected_person
from tests.web.test_junk_inputs import JUNK

CONSENTED = "reading glasses, shared with consent"
WITHHELD = (
    "withholding",  # P1's protection
    "Eritrea",  # the country P1 is protected against and fears
    "insulin-dependent diabetes",  # P1's health needs, without consent
    "Lee Counsel",  # P1's counsel
    "2025-03-01",  # the removal order's day
    "sender_status",
    "removal_order",
    "fear",
)
"""What the sender holds of the people and a receiver never reads."""


def sign_in(app: object, user: str) -> Browser:
    """A browser signed in to `app` through the sign-in form, as a person does."""
    client = TestClient(app, base_url="https://testserver")  # type: ignore[arg-type]
    form = client.get("/login")
    answer = client.post(
        "/login",
        data={"username": user, "password": PASSWORD, "login_token": login_token(form.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return Browser(client, user)


@contextmanager
def receiving(world: World, tmp_path: Path) -> Iterator[tuple[Browser, int]]:
    """The world's database served as XK's receiving deployment (with XK's exchange keys), one
    family received there from US: rita's browser on it, and the received family's id."""
    keys_file = tmp_path / "xk-receiving-keys.json"
    keys.init(keys_file, "XK", world.clock.now())
    member = MinimizedPerson.model_validate(
        {
            "case_id": "R1",
            "family_id": "F-R1",
            "relationship": "head",
            "given_name": "Rea",
            "family_name": "Received",
            "aliases": [],
            "birth_date": dt.date(1990, 4, 2),
            "sex": "F",
            "nationalities": ["VE"],
            "languages": ["es"],
            "travel_document": None,
            "convictions": [],
            "detention_incidents": [],
            "health_needs": [],
        }
    )
    day = world.clock.now().date()
    with unit_of_work(world.store.sessions) as session:
        item = ReceivedItem(
            sender="US",
            item_id=1,
            pool_id=1,
            agreement_id=AGREEMENT,
            family_id="F-R1",
            size=1,
            proposed_on=day,
            state="proposed",
            since=day,
        )
        session.add(item)
        session.flush()
        session.add(
            ReceivedPerson(
                received_item_id=item.id, case_id="R1", record=member.model_dump(mode="json")
            )
        )
        received_id = item.id
    settings = Settings(database_url=world.store.settings.database_url, keys_file=keys_file)
    app = create_app(settings, clock=world.clock)
    with TestClient(app, base_url="https://testserver"):
        yield sign_in(app, "rita"), received_id


# --- Two deployments, a pool carried to the receiver --------------------------------------------


@pytest.fixture
def two(store: Store, tmp_path: Path, sqlite_template: Path) -> Iterator[Pair]:
    found = pair(store, tmp_path, sqlite_template)
    import_records(
        store,
        tmp_path,
        [
            protected_person(),
            single(
                "A2",
                given_name="Bora",
                family_name="Krasniqi",
                consents=[HEALTH_CONSENT],
                health_needs=[CONSENTED],
            ),
            single("A3", given_name="Dren", family_name="Berisha"),
            single("A4", given_name="Vesa", family_name="Gashi"),
        ],
    )
    yield found
    found.receiver.store.close()


@pytest.fixture
def xk(two: Pair) -> Iterator[Served]:
    with serving(two.receiver, two.clock) as served:
        yield served


def received(two: Pair) -> dict[str, ReceivedItem]:
    """The families received, by family id."""
    with unit_of_work(two.receiver.store.sessions) as session:
        items = list(session.scalars(select(ReceivedItem)))
        session.expunge_all()
    return {i.family_id: i for i in items}


def queued(two: Pair) -> list[tuple[str, dict[str, object]]]:
    """The receiver's messages waiting to go: kind and body."""
    with unit_of_work(two.receiver.store.sessions) as session:
        return [(m.kind, m.body) for m in channel.outbox(session)]


def flash(page: str) -> str:
    found = re.search(r'<p class="flash (\w+)" role="status">([^<]*)</p>', page)
    assert found, "the page shows a note"
    return f"{found.group(1)}: {found.group(2)}"


def test_the_reviewer_reads_the_pool_and_decides_through_the_forms(two: Pair, xk: Served) -> None:
    propose(two.sender.store, two.clock, ["F-P1", "F-A2", "F-A3"])
    assert [o.outcome for o in two.to_receiver()] == ["applied", "applied"]
    families = received(two)
    rita = sign_in(xk.client.app, "rita")

    listed = rita.get("/received")
    assert listed.status_code == 200, listed.text
    assert 'href="/received"' in listed.text and 'aria-current="page"' in listed.text  # its nav
    assert "Pool 1 of United States" in listed.text and AGREEMENT in listed.text
    for family in ("F-P1", "F-A2", "F-A3"):
        assert f'href="/received/{families[family].id}">{family}</a>' in listed.text
    assert "3 families, 3 people · 3 waiting for a decision" in listed.text

    p1 = rita.get(f"/received/{families['F-P1'].id}")
    assert p1.status_code == 200, p1.text
    assert "Ana Example" in p1.text and "Members (minimized view)" in p1.text
    for withheld in WITHHELD:
        assert withheld not in p1.text, withheld
    a2 = rita.get(f"/received/{families['F-A2'].id}").text
    assert "Bora Krasniqi" in a2 and f"Health needs (consented): {CONSENTED}" in a2
    assert 'id="form-accept"' in a2 and 'id="form-reject"' in a2
    assert 'id="form-revoke"' not in a2 and 'id="form-arrival"' not in a2

    accepted = rita.post(f"/received/{families['F-P1'].id}/decision", {"decision": "accept"})
    assert accepted.status_code == 303, accepted.text
    assert accepted.headers["location"] == f"/received/{families['F-P1'].id}"
    shown = rita.get(accepted.headers["location"]).text
    assert flash(shown) == (
        "ok: Family F-P1: accepted. Recorded here and sent to United States (US),"
        " whose workflow applies it (a refusal shows here)."
    )
    assert 'id="form-revoke"' in shown and 'id="form-accept"' not in shown
    [(kind, body)] = queued(two)
    assert (kind, body["decision"], body["by"]) == ("decision", "accept", "rita")

    rejected = rita.post(
        f"/received/{families['F-A2'].id}/decision",
        {"decision": "reject", "reason_code": "capacity", "reason_text": "no place this month"},
    )
    assert rejected.status_code == 303, rejected.text
    note = flash(rita.get(rejected.headers["location"]).text)
    assert note.startswith("ok: Family F-A2: rejected (capacity: no place this month).")

    unreasoned = rita.post(f"/received/{families['F-A3'].id}/decision", {"decision": "reject"})
    assert unreasoned.status_code == 409
    assert "a reject needs a reason code and a reason" in unreasoned.text
    unknown = rita.post(
        f"/received/{families['F-A3'].id}/decision",
        {"decision": "reject", "reason_code": "whim", "reason_text": "no"},
    )
    assert unknown.status_code == 422 and "reason_code" in unknown.text
    arrival = rita.post(f"/received/{families['F-A3'].id}/arrival")
    assert arrival.status_code == 409 and "a scheduled transfer" in arrival.text

    now = received(two)
    assert (now["F-P1"].state, now["F-A2"].state, now["F-A3"].state) == (
        "accepted",
        "rejected",
        "proposed",
    )
    assert (now["F-A2"].reason_code, now["F-A2"].reason_text) == (
        "capacity",
        "no place this month",
    )
    assert [k for k, _ in queued(two)] == ["decision", "decision"]
    assert rita.get("/received/999999").status_code == 404

    back = two.to_sender()
    assert [o.detail for o in back][:2] == ["applied", "applied"]  # then our statement


def test_a_refusal_from_the_sender_shows_on_the_family(two: Pair, xk: Served) -> None:
    propose(two.sender.store, two.clock, ["F-A3"])
    two.to_receiver()
    family = received(two)["F-A3"]
    with unit_of_work(two.receiver.store.sessions) as session:
        row = session.get(ReceivedItem, family.id)
        assert row is not None
        row.refusal = "decision refused by US: the family was withdrawn"
    rita = sign_in(xk.client.app, "rita")
    assert "the family was withdrawn" in rita.get("/received").text
    page = rita.get(f"/received/{family.id}").text
    assert 'id="refusal"' in page and "decision refused by US: the family was withdrawn" in page


def test_arrival_and_onward_outcome_through_the_forms(two: Pair, xk: Served) -> None:
    store = two.sender.store
    item = cleared(store, two.clock, "F-A4", "A4")
    run(store, schedule, item, two.clock.now().date(), OFFICER, two.clock)
    two.to_receiver()
    got = received(two)["F-A4"]
    assert got.state == "scheduled"
    rita = sign_in(xk.client.app, "rita")
    page = rita.get(f"/received/{got.id}").text
    assert 'id="form-arrival"' in page and 'id="form-revoke"' in page
    assert f"transfer scheduled for {got.scheduled_for}" in page

    arrived = rita.post(f"/received/{got.id}/arrival")
    assert arrived.status_code == 303, arrived.text
    shown = rita.get(arrived.headers["location"]).text
    assert f"Family F-A4: arrived on {two.clock.now().date()}." in flash(shown)
    assert 'id="form-onward"' in shown and 'id="form-arrival"' not in shown

    onward = rita.post(
        f"/received/{got.id}/onward", {"outcome": "remained", "detail": "residence permit"}
    )
    assert onward.status_code == 303, onward.text
    shown = rita.get(onward.headers["location"]).text
    assert "onward outcome remained (residence permit)" in flash(shown)
    assert 'id="form-onward"' not in shown and 'id="form-check-in"' in shown

    checked = rita.post(f"/received/{got.id}/check-in", {"days": "30", "note": "settled"})
    assert checked.status_code == 303, checked.text
    assert "the 30-day check-in" in flash(rita.get(checked.headers["location"]).text)
    incident = rita.post(
        "/received/incidents",
        {"agreement_id": AGREEMENT, "kind": "other", "text": "a complaint about housing"},
    )
    assert incident.status_code == 303, incident.text
    assert "Incident (other finding) under" in flash(rita.get(incident.headers["location"]).text)
    assert [k for k, _ in queued(two)] == ["arrival", "onward.outcome", "check_in", "incident"]
    outcomes = [o.detail for o in two.to_sender()]
    assert outcomes[:2] == ["applied", "applied"]
    assert "falls due" in outcomes[2] and outcomes[3] == "applied"  # 30 days have not passed


def test_only_our_own_reviewer_opens_the_pages(two: Pair, xk: Served) -> None:
    propose(two.sender.store, two.clock, ["F-A3"])
    two.to_receiver()
    family = received(two)["F-A3"]
    pages = [
        ("GET", "/received", {}),
        ("GET", f"/received/{family.id}", {}),
        ("POST", f"/received/{family.id}/decision", {"decision": "accept"}),
        ("POST", f"/received/{family.id}/arrival", {}),
        ("POST", f"/received/{family.id}/onward", {"outcome": "remained"}),
    ]
    for user in ("olga", "ada"):  # a sender's officer, an admin: refused by the pages' rule
        browser = sign_in(xk.client.app, user)
        assert 'href="/received"' not in browser.get("/").text  # no link to follow
        for method, path, form in pages:
            answer = browser.get(path) if method == "GET" else browser.post(path, form)
            assert answer.status_code == 403, (user, path, answer.status_code)
            assert "may not use" in answer.text
    ruth = sign_in(xk.client.app, "ruth")  # a reviewer of another state (AL)
    for method, path, form in pages:
        answer = ruth.get(path) if method == "GET" else ruth.post(path, form)
        assert answer.status_code == 403, (path, answer.status_code)
        assert "ruth reviews for AL, not XK" in answer.text
        assert "F-A3" not in answer.text
    nobody = TestClient(xk.client.app, base_url="https://testserver")
    assert nobody.get("/received", follow_redirects=False).status_code == 303
    forged = sign_in(xk.client.app, "rita")
    no_token = forged.client.post(
        f"/received/{family.id}/decision", data={"decision": "accept"}, follow_redirects=False
    )
    assert no_token.status_code == 403
    assert received(two)["F-A3"].state == "proposed"
    assert queued(two) == []


def test_a_deployment_without_keys_says_so_on_the_list(two: Pair, tmp_path: Path) -> None:
    with serving(two.receiver, two.clock, keys_file=tmp_path / "none.json") as bare:
        rita = sign_in(bare.client.app, "rita")
        listed = rita.get("/received")
        assert listed.status_code == 200
        assert "This deployment has no exchange keys" in listed.text
        assert str(tmp_path) not in listed.text
        assert rita.get("/received/1").status_code == 409


def test_no_junk_in_a_received_form_answers_500_or_sends_anything(two: Pair, xk: Served) -> None:
    """Every field of every form of the receiving deployment's pages, with each junk value the
    other pages' forms are sent (tests/web/test_junk_inputs.py): answered below 500, and a
    refused form queues nothing for the sender."""
    store = two.sender.store
    item = cleared(store, two.clock, "F-A4", "A4")
    run(store, schedule, item, two.clock.now().date(), OFFICER, two.clock)
    propose(store, two.clock, ["F-A3"])
    two.to_receiver()
    rita = sign_in(xk.client.app, "rita")
    family = received(two)["F-A4"]
    assert rita.post(f"/received/{family.id}/arrival").status_code == 303
    forms = {
        f"/received/{received(two)['F-A3'].id}/decision": {
            "decision": "reject",
            "reason_code": "other",
            "reason_text": "a reason given in full",
        },
        f"/received/{family.id}/onward": {"outcome": "remained", "detail": "a detail"},
        f"/received/{family.id}/check-in": {"days": "30", "note": "a note"},
        "/received/incidents": {"agreement_id": AGREEMENT, "kind": "other", "text": "a finding"},
    }
    wrong = []
    for path, good in forms.items():
        for name in good:
            for junk in JUNK:
                before = len(queued(two))
                answer = rita.post(path, {**good, name: junk})
                sent = len(queued(two)) - before
                if answer.status_code >= 500 or (answer.status_code >= 400 and sent):
                    wrong.append(f"{path} {name}={junk!r} -> {answer.status_code}, sent {sent}")
    assert wrong == [], "\n".join(wrong)
