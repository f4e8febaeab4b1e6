"""Hypothesis strategies for the invariants: people, families and agreements that exercise
every screening safeguard on small, readable values."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from accord.records.agreement import AgreementIn
from accord.records.person import PersonRecord

ON = dt.date(2026, 1, 15)
COUNTRIES = ["VE", "CU", "XK", "RW", "US", "GH", "UZ"]
DAYS = st.integers(-400, 30).map(lambda d: ON + dt.timedelta(days=d))


@st.composite
def protection(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "type": draw(st.sampled_from(["asylum", "withholding", "cat", "temporary"])),
        "status": draw(st.sampled_from(["pending", "granted", "denied", "withdrawn"])),
        "against": draw(st.sampled_from(COUNTRIES)),
    }


@st.composite
def fear_claim(draw: st.DrawFn) -> dict[str, Any]:
    outcome = draw(st.sampled_from(["pending", "positive", "negative"]))
    claim: dict[str, Any] = {
        "country": draw(st.sampled_from(COUNTRIES)),
        "asserted": "2025-01-01",
        "outcome": outcome,
    }
    if outcome != "pending":
        claim["decided"] = draw(
            st.integers(0, 40).map(lambda d: ON - dt.timedelta(days=d))
        ).isoformat()
    return claim


@st.composite
def member(draw: st.DrawFn, case_id: str, family_id: str, relationship: str) -> dict[str, Any]:
    age_days = draw(st.integers(10 * 365, 70 * 365) | st.integers(17 * 365, 19 * 365))
    removal = draw(st.sampled_from(["final", "final", "pending", "none"]))
    record: dict[str, Any] = {
        "case_id": case_id,
        "family_id": family_id,
        "relationship": relationship,
        "given_name": "Test",
        "family_name": "Person",
        "birth_date": (ON - dt.timedelta(days=age_days)).isoformat(),
        "sex": draw(st.sampled_from(["F", "M"])),
        "nationalities": draw(st.lists(st.sampled_from(COUNTRIES), max_size=2, unique=True)),
        "sender_status": draw(st.sampled_from(["none", "none", "visa", "lpr", "citizen"])),
        "removal_order": {
            "status": removal,
            **({"date": "2025-01-01"} if removal != "none" else {}),
        },
        "protection": draw(st.lists(protection(), max_size=2)),
        "fear_claims": draw(st.lists(fear_claim(), max_size=2)),
        "appeal_pending": draw(st.integers(0, 9)) == 0,
        "stay_of_removal": draw(st.integers(0, 14)) == 0,
        "age_disputed": draw(st.integers(0, 9)) == 0,
        "vulnerabilities": draw(
            st.lists(st.sampled_from(["pregnancy", "disability", "elderly"]), max_size=1)
        ),
        "convictions": draw(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "category": st.sampled_from(["violent", "drugs", "fraud", "sexual"]),
                        "date": st.just("2019-05-05"),
                        "final": st.booleans(),
                        "jurisdiction": st.just("US"),
                    }
                ),
                max_size=2,
            )
        ),
    }
    if record["vulnerabilities"] and draw(st.booleans()):
        record["assessments"] = [
            {
                "rule": "S8",
                "by": "Supervisor",
                "date": draw(DAYS).isoformat(),
                "reason": "Assessed individually.",
            }
        ]
    if draw(st.booleans()):
        record["travel_document"] = {
            "type": "passport",
            "country": "VE",
            "expires": draw(DAYS).isoformat(),
        }
    return record


@st.composite
def families(draw: st.DrawFn, max_families: int = 6) -> list[PersonRecord]:
    people: list[PersonRecord] = []
    for f in range(draw(st.integers(1, max_families))):
        size = draw(st.integers(1, 4))
        roles = ["head", "spouse", "child", "child"][:size]
        for i, role in enumerate(roles):
            people.append(PersonRecord.model_validate(draw(member(f"P{f}-{i}", f"F{f}", role))))
    return people


CRITERIA = [
    {
        "id": "public-order",
        "text": "No serious final conviction.",
        "expr": "no conviction where category in {violent, sexual}",
    },
    {"id": "adult", "text": "Adults only.", "expr": "age >= 18"},
    {
        "id": "document",
        "text": "Valid travel document.",
        "expr": "travel_document.valid_on(transfer_date)",
    },
]


@st.composite
def agreements(draw: st.DrawFn) -> AgreementIn:
    receiver = draw(st.sampled_from(["XK", "RW", "UZ", "GH"]))
    scope = draw(
        st.none()
        | st.builds(
            lambda c: {"include": c},
            st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=3, unique=True),
        )
        | st.builds(
            lambda c: {"exclude": c},
            st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=2, unique=True),
        )
    )
    return AgreementIn.model_validate(
        {
            "id": f"us-{receiver.lower()}",
            "sender": "US",
            "receiver": receiver,
            "kind": draw(
                st.sampled_from(
                    ["third_country_transfer", "own_nationals_return", "resettlement", "custody"]
                )
            ),
            "status": draw(st.sampled_from(["negotiating", "in_force"])),
            "onward_return": draw(st.booleans()),
            "instrument": {"no_onward_removal": draw(st.booleans())},
            "nationality_scope": scope,
            "criteria": draw(
                st.lists(st.sampled_from(CRITERIA), max_size=2, unique_by=lambda c: c["id"])
            ),
        }
    )
