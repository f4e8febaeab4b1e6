"""Nothing a reviewer can reach tells of protection or fear claims, interviews, health without
consent, vulnerabilities or counsel (DESIGN §6): every response, error included, is scanned for
the protected field names and for the protected values of the seeded people."""

from __future__ import annotations

import re
from typing import Any

from accord.cases.minimized import MinimizedPerson
from accord.records.person import PersonRecord
from tests.web.support import PROTECTED_VALUES, World

WITHHELD_FIELDS = sorted(set(PersonRecord.model_fields) - set(MinimizedPerson.model_fields))
WORDS = ("fear", "interview", "protection", "counsel", "medical", "vulnerab", "trafficking")


def leaks(text: str) -> list[str]:
    lowered = text.lower()
    found = [f for f in WITHHELD_FIELDS if re.search(rf"\b{f}\b", text)]
    found += [w for w in WORDS if w in lowered]
    found += [v for v in PROTECTED_VALUES if v.lower() in lowered]
    return found


def reviewer_responses(world: World) -> dict[str, Any]:
    """Every route a reviewer may use, reads and moves, refusals included."""
    items = world.items
    seen: dict[str, Any] = {
        "agreements": world.get("/agreements", "rita"),
        "agreement": world.get("/agreements/demo-xk-year", "rita"),
        "ledger": world.get("/agreements/demo-xk-year/ledger", "rita"),
        "aggregates": world.get("/agreements/demo-xk-year/aggregates", "rita"),
        "pools": world.get("/pools", "rita"),
        "pool": world.get(f"/pools/{world.pool}", "rita"),
        "me": world.get("/session", "rita"),
        "incidents": world.get("/agreements/demo-xk-year/incidents", "rita"),
        "check-ins": world.get("/agreements/demo-xk-year/check-ins", "rita"),
        "decisions": world.post(
            f"/pools/{world.pool}/decisions",
            "rita",
            {
                "decisions": [
                    {"item_id": items["F-B1"], "decision": "accept"},
                    {"item_id": items["F-A2"], "decision": "accept"},
                ]
            },
        ),
        # B1 carries a pending fear claim about XK: the refusal must not say so
        "accept blocked": world.post(f"/items/{items['F-B1']}/accept", "rita"),
        # A2 is held by a fear claim: revoking it goes as for any accepted family
        "revoke held": world.post(
            f"/items/{items['F-A2']}/revoke",
            "rita",
            {"reason_code": "other", "reason_text": "changed our mind"},
        ),
        "arrive early": world.post(f"/items/{items['F-P1']}/transfer", "rita"),
        "check-in early": world.post(f"/items/{items['F-P1']}/check-in", "rita", {"days": 30}),
        "reject": world.post(
            f"/items/{items['F-A3']}/reject",
            "rita",
            {"reason_code": "criteria", "reason_text": "documents incomplete"},
        ),
    }
    for family, item in items.items():
        seen[f"item {family}"] = world.get(f"/items/{item}", "rita")
    return seen


def test_no_response_a_reviewer_can_reach_leaks_a_protected_fact(world: World) -> None:
    found = {
        name: leaks(response.text)
        for name, response in reviewer_responses(world).items()
        if leaks(response.text)
    }
    assert found == {}


def test_the_scan_finds_the_facts_in_what_the_sender_reads(world: World) -> None:
    """The scan is not blind: the sender's own reads carry the same facts."""
    record = world.get("/people/P1", "olga")
    assert record.status_code == 200
    assert {"protection", "fear_claims", "counsel"} <= set(leaks(record.text))
    timeline = world.get(f"/items/{world.items['F-A2']}", "olga")
    assert "fear" in leaks(timeline.text)


def test_the_refusals_still_say_what_a_reviewer_may_know(world: World) -> None:
    seen = reviewer_responses(world)
    assert seen["accept blocked"].status_code == 409
    assert "held by the sender" in seen["accept blocked"].json()["detail"]
    revoked = seen["revoke held"].json()
    assert (revoked["from_state"], revoked["to_state"]) == ("accepted", "revoked")
    states = {i["family_id"]: i["state"] for i in seen["pool"].json()["items"]}
    assert states["F-A2"] == "accepted"  # held by its fear claim: the receiver sees no change
    [member] = seen["item F-P1"].json()["members"]
    assert member["health_needs"] == []  # no consent recorded
    assert member["convictions"] == []  # not final
