"""The workflow over HTTP: one family's whole way, several decisions at once, a case change,
monitoring reads, screening and the matcher's preview."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from accord.db import unit_of_work
from accord.models import AuditEvent, NoticeRecord
from tests.support import person
from tests.web.support import World


def test_one_family_from_acceptance_to_closing_over_http(world: World) -> None:
    item = world.items["F-A1"]  # accepted in the seed
    served = world.post(
        f"/items/{item}/notify", "olga", {"case_id": "A1", "language": "es", "signed": True}
    )
    assert served.status_code == 200, served.text
    assert served.json()["moved"]["to_state"] == "notified"
    assert isinstance(served.json()["notice_id"], int)
    assert re.fullmatch(r"[0-9a-f]{64}", served.json()["document_sha256"])
    early = world.post(f"/items/{item}/clear", "sam", {"medical_fit_confirmed": True})
    assert early.status_code == 409
    assert "S6: notice served on 2026-01-12" in early.json()["detail"]
    world.clock.advance(days=10)
    last_day = world.post(f"/items/{item}/clear", "sam", {"medical_fit_confirmed": True})
    assert last_day.status_code == 409
    assert "the days to raise a fear run to the end of 2026-01-22" in last_day.json()["detail"]
    world.clock.advance(days=1)
    assert (
        world.post(f"/items/{item}/clear", "olga", {"medical_fit_confirmed": True}).status_code
        == 403
    )
    cleared = world.post(f"/items/{item}/clear", "sam", {"medical_fit_confirmed": True})
    assert cleared.json()["to_state"] == "cleared", cleared.text
    on = (world.clock.now() + dt.timedelta(days=2)).date().isoformat()
    assert (
        world.post(f"/items/{item}/schedule", "olga", {"on": on}).json()["to_state"] == "scheduled"
    )
    world.clock.advance(days=2)
    assert world.post(f"/items/{item}/transfer", "rita").json()["to_state"] == "transferred"
    due = world.get("/agreements/demo-xk-year/check-ins?pending=true", "mona").json()
    assert [(c["item_id"], c["days"]) for c in due["items"]] == [
        (item, 30),
        (item, 90),
        (item, 180),
    ]
    for days in (30, 90, 180):
        world.clock.advance(days=90 if days == 180 else 60 if days == 90 else 30)
        done = world.post(
            f"/items/{item}/check-in", "mona", {"days": days, "note": "seen", "audience": "shared"}
        )
        assert done.status_code == 200, done.text
    onward = world.post(
        f"/items/{item}/onward", "rita", {"outcome": "remained", "detail": "work permit"}
    )
    assert onward.json()["to_state"] == "remained"
    assert world.post(f"/items/{item}/close", "olga").json()["to_state"] == "closed"
    timeline = world.get(f"/items/{item}", "olga").json()["timeline"]
    whats = [e["what"].split(":")[0] for e in timeline]
    assert whats[-1] == "close"
    assert {"30-day check-in", "90-day check-in", "180-day check-in", "onward_remained"} <= set(
        whats
    )


def notices_of(world: World, item: int) -> tuple[list[tuple[str, str | None]], int]:
    """The notices recorded on an item (language, interpreter), and its `notice.recorded`
    audit events."""
    with unit_of_work(world.store.sessions) as session:
        rows = session.scalars(
            select(NoticeRecord).where(NoticeRecord.item_id == item).order_by(NoticeRecord.id)
        )
        recorded = [(n.language, n.interpreter) for n in rows]
        logged = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "notice.recorded", AuditEvent.entity_id == str(item)
            )
        ).all()
    return recorded, len(logged)


def test_notice_in_a_language_not_understood_is_refused_and_an_interpreter_may_read_it(
    world: World,
) -> None:
    """S6 over HTTP: no service in a language A1 does not read (409, nothing written); the
    English template read to them in Spanish by a named interpreter is service."""
    item = world.items["F-A1"]  # accepted in the seed; A1 reads Spanish
    refused = world.post(f"/items/{item}/notify", "olga", {"case_id": "A1", "language": "en"})
    assert refused.status_code == 409
    assert "A1 is not recorded as understanding 'en'" in refused.json()["detail"]
    misread = world.post(
        f"/items/{item}/notify",
        "olga",
        {"case_id": "A1", "language": "en", "interpreter": "K. Haddad", "read_in": "fr"},
    )
    assert misread.status_code == 409
    assert "A1 is not recorded as understanding 'fr'" in misread.json()["detail"]
    assert notices_of(world, item) == ([], 0)
    read = world.post(
        f"/items/{item}/notify",
        "olga",
        {"case_id": "A1", "language": "en", "interpreter": "K. Haddad", "read_in": "es"},
    )
    assert read.status_code == 200, read.text
    assert (read.json()["outcome"], read.json()["moved"]["to_state"]) == ("served", "notified")
    assert notices_of(world, item) == ([("en", "K. Haddad")], 1)


def test_a_reviewer_decides_several_families_each_on_its_own(world: World) -> None:
    decisions = [
        {"item_id": world.items["F-A3"], "decision": "accept"},
        {"item_id": world.items["F-B1"], "decision": "accept"},  # a pending claim holds it
        {"item_id": world.items["F-A1"], "decision": "reject", "reason_code": "criteria"},
    ]
    response = world.post(f"/pools/{world.pool}/decisions", "rita", {"decisions": decisions})
    assert response.status_code == 200, response.text
    outcomes = response.json()
    assert [(o["item_id"], o["done"]) for o in outcomes] == [
        (world.items["F-A3"], True),
        (world.items["F-B1"], False),
        (world.items["F-A1"], False),
    ]
    assert "held by the sender" in outcomes[1]["refusal"]
    assert "fear" not in response.text
    other = world.post(f"/pools/{world.pool}/decisions", "ruth", {"decisions": decisions[:1]})
    assert other.status_code == 404  # another state's pool is not there for ruth
    stranger = world.post(
        f"/pools/{world.pool}/decisions",
        "rita",
        {"decisions": [{"item_id": 999, "decision": "accept"}]},
    )
    assert stranger.status_code == 404


def test_a_stay_over_http_cancels_the_familys_open_item(world: World) -> None:
    response = world.post("/people/A1/case-changes", "olga", {"change": "stay"})
    assert response.status_code == 200, response.text
    assert response.json() == [
        {"item_id": world.items["F-A1"], "from_state": "accepted", "to_state": "cancelled"}
    ]
    ledger = world.get("/agreements/demo-xk-year/ledger", "rita").json()
    assert [r["kind"] for r in ledger["rows"] if r["item_id"] == world.items["F-A1"]] == [
        "reserve",
        "release",
    ]
    assert world.post("/people/A1/case-changes", "rita", {"change": "stay"}).status_code == 403


def test_incidents_suspend_and_are_listed_for_the_agreements_parties(world: World) -> None:
    reported = world.post(
        "/agreements/demo-xk-year/incidents",
        "mona",
        {
            "kind": "ill_treatment",
            "text": "reported at the reception centre",
            "audience": "shared",
        },
    )
    assert reported.status_code == 201, reported.text
    assert reported.json()["suspends"] is True
    refused = world.post(f"/items/{world.items['F-A3']}/accept", "rita")
    assert refused.status_code == 409
    assert "suspended" in refused.json()["detail"]
    listed = world.get("/agreements/demo-xk-year/incidents", "rita").json()
    assert [i["kind"] for i in listed["items"]] == ["ill_treatment"]
    lifted = world.post(
        "/agreements/demo-xk-year/lift-suspension",
        "sam",
        {"reason": "the monitor visited and closed it"},
    )
    assert lifted.status_code == 200, lifted.text
    assert world.post(f"/items/{world.items['F-A3']}/accept", "rita").status_code == 200


def test_aggregates_suppress_small_cells(world: World) -> None:
    cells = world.get("/agreements/demo-xk-year/aggregates", "mona").json()
    states = {c["label"]: c["count"] for c in cells["families_by_state"]}
    assert states == {"accepted": None, "proposed": None}  # a held family counts as accepted
    assert cells["suppressed_below"] == 5


def test_screening_and_the_matchers_preview_for_the_sender(world: World) -> None:
    summary = world.get("/agreements/demo-xk-year/screening", "olga").json()
    assert summary["people"] == 5
    assert summary["blocked_by_rule"].get("S5") == 2  # A2's and B1's claims about XK
    preview = world.post("/matching/preview", "olga", {"agreement_ids": ["demo-xk-year"]})
    assert preview.status_code == 200, preview.text
    proposed = [f["family_id"] for p in preview.json()["agreements"] for f in p["families"]]
    assert proposed == []  # every eligible family is already in an open item
    assert world.get("/agreements/demo-xk-year/screening", "rita").status_code == 403


def test_people_are_imported_all_or_nothing(world: World) -> None:
    good = [person("N1", "F-N1", medical_fit=True), person("N2", "F-N2")]
    done = world.post("/people", "olga", {"source": "intake 7", "records": good})
    assert done.status_code == 200, done.text
    assert (done.json()["created"], done.json()["unchanged"]) == (2, 0)
    again = world.post("/people", "olga", {"source": "intake 7", "records": good})
    assert (again.json()["created"], again.json()["unchanged"]) == (0, 2)
    malformed = world.post(
        "/people", "olga", {"source": "intake 8", "records": [person("N3", birth_date="soon")]}
    )
    assert malformed.status_code == 422
    assert any(p["place"] == "body.records.0.birth_date" for p in malformed.json()["problems"])
    two_heads = [person("N4", "F-N4"), person("N5", "F-N4")]
    refused = world.post("/people", "olga", {"source": "intake 9", "records": two_heads})
    assert refused.status_code == 400, refused.text
    assert "F-N4" in refused.json()["detail"]
    assert world.get("/people/N4", "olga").status_code == 404  # nothing was written
    assert world.post("/people", "rita", {"source": "x", "records": good}).status_code == 403


def test_an_import_is_recorded_at_the_servers_clock(world: World) -> None:
    world.clock.advance(days=3)
    done = world.post("/people", "olga", {"source": "intake 7", "records": [person("N1", "F-N1")]})
    assert done.status_code == 200, done.text
    with unit_of_work(world.store.sessions) as session:
        stamped = session.scalars(
            select(AuditEvent.at).where(
                AuditEvent.action.like("person.%"), AuditEvent.entity_id == "N1"
            )
        ).all()
    aware = {at if at.tzinfo else at.replace(tzinfo=dt.UTC) for at in stamped}  # SQLite: naive
    assert stamped and aware == {world.clock.now()}


def test_a_supervisor_moves_an_agreement_along_its_lifecycle_with_a_source(world: World) -> None:
    change = {
        "status": "suspended",
        "date": "2026-01-12",
        "source_key": "ministry-2026-01-12",
        "source": {
            "publisher": "Ministry of the Interior",
            "date": "2026-01-12",
            "statement": "Transfers paused pending review.",
        },
        "note": "paused by the ministry pending its review",
    }
    assert world.post("/agreements/demo-xk-year/status", "olga", change).status_code == 403
    assert world.post("/agreements/demo-xk-year/status", "ruth", change).status_code == 403
    done = world.post("/agreements/demo-xk-year/status", "sam", change)
    assert done.status_code == 200, done.text
    assert done.json() == {"agreement_id": "demo-xk-year", "status": "suspended"}
    history = world.get("/agreements/demo-xk-year", "rita").json()["status_history"]
    assert history[-1]["status"] == "suspended"
    illegal = world.post(
        "/agreements/demo-xk-year/status",
        "sam",
        {"status": "exploratory", "date": "2026-01-13", "source_key": "ministry-2026-01-12"},
    )
    assert illegal.status_code == 409
    resumed = world.post(
        "/agreements/demo-xk-year/status",
        "sam",
        {
            "status": "in_force",
            "date": "2026-01-13",
            "source_key": "ministry-2026-01-12",
            "note": "the ministry resumed transfers",
        },
    )
    assert resumed.status_code == 409
    assert "does not end a suspension" in resumed.json()["detail"]
