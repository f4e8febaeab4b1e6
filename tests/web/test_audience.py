"""Sender free text never crosses (DESIGN §6, issue 14): a check-in's note and an incident's
text are read by whom their author named at entry, `sender` (the sender's officers and
supervisors) or `shared` (also the receiver's reviewers and the agreement's monitors). A
reviewer and a monitor never read a sender-only text, through the API, the pages or the
agreement's status history; they read a shared one; the sender's staff read both, with whom
each is for. Nothing is shared unless its author says so: a body without an audience is
malformed, and texts written before the audience was asked are the sender's."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text

from accord.db import downgrade, unit_of_work, upgrade
from accord.models import CheckIn, Incident
from tests.proposals.support import AGREEMENT
from tests.web.pages_support import signed_in
from tests.web.support import World
from tests.web.test_leaks import leaks
from tests.web.test_pages_monitoring import followed, incidents, submit, transferred

SENDER_NOTE = "seen in person; medical follow-up arranged"
SHARED_NOTE = "housing adequate; lawyer reached"
SENDER_TEXT = "beaten in the reception centre, says Dr Vega"
SHARED_TEXT = "guard named by two people"
REASON = "the ministry's inquiry, kept by the sender"
OUTSIDE = ("rita", "mona")
"""The receiver's reviewer and the agreement's monitor."""


def checked_in(world: World) -> int:
    """F-A1 transferred; its 30-day check-in recorded by the sender's officer for the sender's
    staff, its 90-day one by the monitor, shared."""
    item = transferred(world)
    world.clock.advance(days=30)
    sender = {"days": 30, "note": SENDER_NOTE, "audience": "sender"}
    done = world.post(f"/items/{item}/check-in", "olga", sender)
    assert done.status_code == 200, done.text
    assert (done.json()["note"], done.json()["audience"]) == (SENDER_NOTE, "sender")
    world.clock.advance(days=60)
    shared = {"days": 90, "note": SHARED_NOTE, "audience": "shared"}
    done = world.post(f"/items/{item}/check-in", "mona", shared)
    assert done.status_code == 200, done.text
    assert (done.json()["note"], done.json()["audience"]) == (SHARED_NOTE, None)
    return item


def reported(world: World, user: str, kind: str, words: str, audience: str) -> int:
    answer = world.post(
        f"/agreements/{AGREEMENT}/incidents",
        user,
        {"kind": kind, "text": words, "audience": audience},
    )
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def history(world: World, user: str) -> dict[str, str]:
    """The agreement's sources as `user` reads them: key -> statement."""
    answer = world.get(f"/agreements/{AGREEMENT}", user)
    assert answer.status_code == 200, answer.text
    sources: dict[str, Any] = answer.json()["sources"]
    return {key: source["statement"] for key, source in sources.items()}


def test_a_reviewer_and_a_monitor_never_read_a_sender_only_check_in_note(world: World) -> None:
    item = checked_in(world)
    check_ins = f"/agreements/{AGREEMENT}/check-ins"
    reads = {
        "item (rita)": world.get(f"/items/{item}", "rita"),
        "check-ins (rita)": world.get(check_ins, "rita"),
        "check-ins (mona)": world.get(check_ins, "mona"),
        "item page (rita)": signed_in(world, "rita").get(f"/items/{item}"),
        "monitoring (rita)": signed_in(world, "rita").get("/monitoring"),
        "monitoring (mona)": signed_in(world, "mona").get("/monitoring"),
    }
    for name, answer in reads.items():
        assert answer.status_code == 200, name
        assert SENDER_NOTE not in answer.text, name
        assert leaks(answer.text) == [], name
        assert SHARED_NOTE in answer.text, name

    seen = reads["item (rita)"].json()
    notes = {c["days"]: (c["note"], c["audience"]) for c in seen["check_ins"]}
    assert notes == {30: (None, None), 90: (SHARED_NOTE, None), 180: (None, None)}
    whats = [e["what"] for e in seen["timeline"]]
    assert "30-day check-in recorded" in whats
    assert f"90-day check-in: {SHARED_NOTE}" in whats
    listed = {c["days"]: c["note"] for c in reads["check-ins (mona)"].json()["items"]}
    assert listed == {30: None, 90: SHARED_NOTE, 180: None}


def test_the_senders_staff_read_every_note_with_whom_it_is_for(world: World) -> None:
    item = checked_in(world)
    seen = world.get(f"/items/{item}", "sam").json()
    notes = {c["days"]: (c["note"], c["audience"]) for c in seen["check_ins"]}
    assert notes == {30: (SENDER_NOTE, "sender"), 90: (SHARED_NOTE, "shared"), 180: (None, None)}
    whats = [e["what"] for e in seen["timeline"]]
    assert f"30-day check-in: {SENDER_NOTE} (note for the sender's staff)" in whats
    assert f"90-day check-in: {SHARED_NOTE} (shared note)" in whats
    listed = world.get(f"/agreements/{AGREEMENT}/check-ins", "olga").json()["items"]
    assert {c["days"]: c["audience"] for c in listed} == {30: "sender", 90: "shared", 180: None}
    for page in (f"/items/{item}", "/monitoring"):
        shown = signed_in(world, "olga").get(page).text
        assert SENDER_NOTE in shown and "(the sender&#39;s staff only)" in shown, page
        assert "(shared with the receiving state and the monitors)" in shown, page


def test_a_sender_only_incident_text_and_lift_reason_stay_with_the_sender(world: World) -> None:
    number = reported(world, "olga", "ill_treatment", SENDER_TEXT, "sender")
    for user in OUTSIDE:
        [incident] = world.get(f"/agreements/{AGREEMENT}/incidents", user).json()["items"]
        assert (incident["text"], incident["audience"]) == (None, None)
        assert history(world, user)[f"incident-{number}"] == (
            f"ill treatment reported (incident {number})"
        )
        page = signed_in(world, user).get("/monitoring").text
        assert SENDER_TEXT not in page and "(note for the sender&#39;s staff)" in page
        assert world.get(f"/agreements/{AGREEMENT}", user).json()["status"] == "suspended"

    lifted = world.post(f"/agreements/{AGREEMENT}/lift-suspension", "sam", {"reason": REASON})
    assert lifted.status_code == 200, lifted.text
    for user in OUTSIDE:
        [incident] = world.get(f"/agreements/{AGREEMENT}/incidents", user).json()["items"]
        assert (incident["lifted_by"], incident["lift_reason"]) == ("the sender", None)
        assert incident["lifted_on"] == world.clock.now().date().isoformat()
        statements = history(world, user)
        assert statements[f"lift-{number}"] == "suspension lifted by a supervisor of the sender"
        for answer in (
            world.get(f"/agreements/{AGREEMENT}", user),
            world.get(f"/agreements/{AGREEMENT}/incidents", user),
            signed_in(world, user).get("/monitoring"),
            signed_in(world, user).get(f"/agreements/{AGREEMENT}"),
        ):
            assert SENDER_TEXT not in answer.text and REASON not in answer.text

    [incident] = world.get(f"/agreements/{AGREEMENT}/incidents", "olga").json()["items"]
    assert (incident["text"], incident["audience"]) == (SENDER_TEXT, "sender")
    assert incident["lift_reason"] == REASON
    assert SENDER_TEXT in signed_in(world, "sam").get("/monitoring").text
    audit = world.get("/audit", "sam", params={"action": "incident.lifted"}).json()["items"]
    assert [e["data"]["reason"] for e in audit] == [REASON]


def test_a_shared_incident_text_is_read_and_quoted_in_the_suspension(world: World) -> None:
    number = reported(world, "mona", "ill_treatment", SHARED_TEXT, "shared")
    for user in OUTSIDE:
        [incident] = world.get(f"/agreements/{AGREEMENT}/incidents", user).json()["items"]
        assert incident["text"] == SHARED_TEXT
        assert history(world, user)[f"incident-{number}"] == (
            f"ill treatment reported (incident {number}): {SHARED_TEXT}"
        )
        assert SHARED_TEXT in signed_in(world, user).get("/monitoring").text


def test_a_report_through_the_monitoring_form_says_whom_it_is_for(world: World) -> None:
    mona = signed_in(world, "mona")
    form = mona.get("/monitoring").text
    assert '<select id="r-1-audience" name="audience" required>' in form
    assert "the sender&#39;s staff only</option>" in form
    assert "shared with the receiving state and the monitors</option>" in form
    page = followed(
        mona,
        submit(
            mona,
            form,
            "/monitoring/incidents",
            AGREEMENT,
            kind="other",
            text=SENDER_TEXT,
            audience="sender",
        ),
    )
    assert "Finding 1 reported" in page
    assert SENDER_TEXT not in page  # the monitor wrote it for the sender's staff alone
    assert SENDER_TEXT in signed_in(world, "sam").get("/monitoring").text


def test_a_text_without_an_audience_is_refused_naming_the_field(world: World) -> None:
    item = transferred(world)
    world.clock.advance(days=30)
    answers = {
        "check-in": world.post(f"/items/{item}/check-in", "mona", {"days": 30, "note": "x"}),
        "incident": world.post(
            f"/agreements/{AGREEMENT}/incidents", "mona", {"kind": "other", "text": "x"}
        ),
    }
    for name, answer in answers.items():
        assert answer.status_code == 422, name
        assert [p["place"] for p in answer.json()["problems"]] == ["body.audience"], name
    mona = signed_in(world, "mona")
    rita = signed_in(world, "rita")
    assert '<select id="c-audience" name="audience" required>' in rita.get(f"/items/{item}").text
    forms = {
        "check-in form": rita.post(f"/items/{item}/check-in", {"days": "30", "note": "x"}),
        "incident form": mona.post(
            "/monitoring/incidents", {"agreement_id": AGREEMENT, "kind": "other", "text": "x"}
        ),
        "a made-up audience": mona.post(
            "/monitoring/incidents",
            {"agreement_id": AGREEMENT, "kind": "other", "text": "x", "audience": "everyone"},
        ),
    }
    for name, answer in forms.items():
        assert answer.status_code == 422, name
        assert "audience" in answer.text, name
    assert incidents(world) == 0
    done = world.get(f"/agreements/{AGREEMENT}/check-ins", "sam").json()["items"]
    assert [c["done_on"] for c in done] == [None, None, None]


def test_the_api_document_asks_every_author_for_the_audience(world: World) -> None:
    schemas = world.client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    for body in ("CheckInIn", "IncidentIn"):
        assert "audience" in schemas[body]["required"], body
        assert (
            "nothing is shared unless its author says so"
            in (schemas[body]["properties"]["audience"]["description"])
        ), body
    assert schemas["Audience"]["enum"] == ["sender", "shared"]


def test_the_migration_leaves_texts_written_before_it_for_the_sender(world: World) -> None:
    """Rows written before revision 0007 had no audience: after it, each is the sender's, and
    the status history no longer quotes them."""
    item = checked_in(world)
    number = reported(world, "mona", "ill_treatment", SHARED_TEXT, "shared")
    assert world.post(f"/agreements/{AGREEMENT}/lift-suspension", "sam", {"reason": REASON})
    engine = world.store.engine
    downgrade(engine, "0006")
    quoted = {
        f"incident-{number}": f"ill treatment reported: {SHARED_TEXT}",
        f"lift-{number}": REASON,
    }  # as the sources were written before the revision
    with engine.connect() as connection:
        rows = connection.execute(text("select key, statement from agreement_sources")).all()
    assert {key: statement for key, statement in rows if key in quoted} == quoted
    upgrade(engine)
    with unit_of_work(world.store.sessions) as session:
        assert session.scalars(select(CheckIn.shared)).all() == [False, False, False]
        assert session.scalars(select(Incident.shared)).all() == [False]
    for user in OUTSIDE:
        [incident] = world.get(f"/agreements/{AGREEMENT}/incidents", user).json()["items"]
        assert (incident["text"], incident["lift_reason"]) == (None, None)
        assert history(world, user)[f"incident-{number}"] == (
            f"ill treatment reported (incident {number})"
        )
        assert history(world, user)[f"lift-{number}"] == (
            "suspension lifted by a supervisor of the sender"
        )
    seen = world.get(f"/items/{item}", "rita").json()
    assert SENDER_NOTE not in str(seen) and SHARED_NOTE not in str(seen)
    [incident] = world.get(f"/agreements/{AGREEMENT}/incidents", "sam").json()["items"]
    assert (incident["text"], incident["audience"]) == (SHARED_TEXT, "sender")
