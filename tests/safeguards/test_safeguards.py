"""Each screening safeguard, from the failing case it exists for, and its edge cases.

The agreement is Kosovo-like: the receiver facilitates return home, and its instrument has a
no-onward-removal clause (so S4's third limb only fires where a test removes the clause).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from accord.records.agreement import AgreementIn
from accord.records.person import PersonRecord
from accord.safeguards.catalog import SAFEGUARDS, SCREENING_RULES
from accord.screening.single import Screen, explain_person, screen_family
from tests.support import person

ON = dt.date(2026, 1, 15)


def agreement(**overrides: Any) -> AgreementIn:
    fields: dict[str, Any] = {
        "id": "us-xk",
        "sender": "US",
        "receiver": "XK",
        "kind": "third_country_transfer",
        "status": "in_force",
        "onward_return": True,
        "instrument": {"no_onward_removal": True},
    }
    fields.update(overrides)
    return AgreementIn.model_validate(fields)


def record(case_id: str = "P1", family_id: str | None = None, **fields: Any) -> PersonRecord:
    return PersonRecord.model_validate(person(case_id, family_id, **fields))


def blocks(
    family: list[PersonRecord], terms: AgreementIn | None = None, on: dt.date = ON
) -> dict[str, dict[str, str]]:
    results = screen_family(family, Screen.of(terms or agreement()), on)
    return {r.case_id: {b.rule: b.reason for b in r.blocked_by} for r in results}


def rules_of(
    person_record: PersonRecord, terms: AgreementIn | None = None, on: dt.date = ON
) -> list[str]:
    return list(blocks([person_record], terms, on)[person_record.case_id])


def test_a_person_with_no_obstacle_is_eligible() -> None:
    assert rules_of(record()) == []


def test_every_screening_safeguard_names_its_legal_source() -> None:
    for rule in SCREENING_RULES:
        assert SAFEGUARDS[rule].sources, rule
    assert "Refugee Convention art. 33" in " ".join(SAFEGUARDS["S4"].sources)
    assert SAFEGUARDS["S8"].yields_to_assessment
    assert not any(SAFEGUARDS[r].yields_to_assessment for r in SCREENING_RULES if r != "S8")


# S1: the sender's citizens and permanent residents (source: the sender's own law; UNHCR 2013)
@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"sender_status": "citizen"}, "a citizen of the sender, United States (US)"),
        ({"sender_status": "lpr"}, "a lawful permanent resident of the sender, United States (US)"),
        ({"nationalities": ["VE", "US"]}, "holds the sender's nationality, United States (US)"),
    ],
)
def test_s1_citizens_and_residents_of_the_sender(fields: dict[str, Any], reason: str) -> None:
    assert blocks([record(**fields)])["P1"]["S1"] == reason


def test_s1_a_visa_holder_is_not_a_resident() -> None:
    assert "S1" not in rules_of(record(sender_status="visa"))


# S2: removal-type agreements need a final order (D.V.D. v. DHS; ECHR art. 3)
def test_s2_a_pending_removal_order_blocks_a_transfer() -> None:
    pending = record(removal_order={"status": "pending", "date": "2025-10-01"})
    assert blocks([pending])["P1"]["S2"] == "no final removal order (status: pending)"


def test_s2_does_not_apply_to_resettlement() -> None:
    none = record(removal_order={"status": "none"})
    assert "S2" not in rules_of(none, agreement(kind="resettlement"))


# S3: pending claims, appeals and stays (Refugee Convention art. 33; Ilias and Ahmed v Hungary)
@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        (
            {"protection": [{"type": "asylum", "status": "pending", "against": "VE"}]},
            "protection claim pending: asylum, against Venezuela (VE)",
        ),
        ({"appeal_pending": True}, "appeal pending"),
        ({"stay_of_removal": True}, "court stay of removal"),
    ],
)
def test_s3_anything_pending_blocks(fields: dict[str, Any], reason: str) -> None:
    assert blocks([record(**fields)])["P1"]["S3"] == reason


# S4: refoulement, direct and onward (Refugee Convention art. 33; CAT art. 3; AAA v SSHD)
def test_s4_cat_protection_against_home_and_a_receiver_that_returns_people_home() -> None:
    cat = record(protection=[{"type": "cat", "status": "granted", "against": "VE"}])
    assert blocks([cat])["P1"]["S4"] == (
        "protected against Venezuela (VE), and the receiver facilitates return to Venezuela"
    )


def test_s4_never_to_the_country_of_protection_itself() -> None:
    protected = record(protection=[{"type": "withholding", "status": "granted", "against": "XK"}])
    assert "protected against Kosovo (XK), the receiver" in blocks([protected])["P1"]["S4"]


def test_s4_never_under_an_instrument_without_a_no_onward_removal_clause() -> None:
    protected = record(protection=[{"type": "refugee", "status": "granted", "against": "CU"}])
    without_clause = agreement(onward_return=False, instrument={"no_onward_removal": False})
    assert blocks([protected], without_clause)["P1"]["S4"] == (
        "protected against Cuba (CU), and the instrument has no no-onward-removal clause"
    )
    assert "S4" not in rules_of(protected, agreement(onward_return=False))


def test_s4_a_denied_claim_protects_nobody() -> None:
    denied = record(protection=[{"type": "asylum", "status": "denied", "against": "VE"}])
    assert "S4" not in rules_of(denied)


# S5: fear of the receiver (CAT art. 3; D.V.D. v. DHS, 15-day reopening window)
def fear(outcome: str, decided: dt.date | None, country: str = "XK") -> PersonRecord:
    claim: dict[str, Any] = {"country": country, "asserted": "2025-06-01", "outcome": outcome}
    if decided:
        claim["decided"] = decided.isoformat()
    return record(fear_claims=[claim])


def test_s5_a_pending_fear_claim_blocks() -> None:
    assert blocks([fear("pending", None)])["P1"]["S5"] == "fear claim about Kosovo (XK) pending"


def test_s5_a_positive_fear_claim_blocks_that_receiver_for_good() -> None:
    upheld = fear("positive", dt.date(2025, 7, 1))
    assert "S5" in rules_of(upheld, on=dt.date(2030, 1, 1))
    assert "S5" not in rules_of(upheld, agreement(id="us-rw", receiver="RW"))


def test_s5_negative_decision_14_days_ago_is_still_in_its_reopening_window() -> None:
    refused = fear("negative", ON - dt.timedelta(days=14))
    assert blocks([refused])["P1"]["S5"] == (
        "fear claim about Kosovo (XK) refused on 2026-01-01; reopening window open until 2026-01-16"
    )


def test_s5_negative_decision_15_days_ago_no_longer_blocks() -> None:
    assert "S5" not in rules_of(fear("negative", ON - dt.timedelta(days=15)))


def test_s5_a_fear_of_home_blocks_where_the_receiver_returns_people_home() -> None:
    """Chain refoulement (issue 13, finding 6): a national of HN whose fear of HN was upheld
    must not go to a receiver that facilitates return to HN; the receiver itself is not feared."""
    home = record(
        nationalities=["HN"],
        fear_claims=[
            {
                "country": "HN",
                "asserted": "2025-06-01",
                "outcome": "positive",
                "decided": "2025-07-01",
            }
        ],
    )
    assert blocks([home])["P1"]["S5"] == "fear claim about Honduras (HN) upheld on 2025-07-01"
    assert "S5" not in rules_of(home, agreement(onward_return=False))


def test_s5_a_fear_of_a_country_the_person_does_not_hold_does_not_reach_onward_return() -> None:
    elsewhere = record(
        nationalities=["HN"],
        fear_claims=[{"country": "GT", "asserted": "2025-06-01", "outcome": "pending"}],
    )
    assert "S5" not in rules_of(elsewhere)


# S7: unaccompanied minors and age disputes (CRC arts 3, 22; UK-Rwanda treaty art. 3)
def test_s7_an_unaccompanied_minor_is_never_transferred() -> None:
    child = record(birth_date="2010-03-01", relationship="head")
    assert (
        blocks([child])["P1"]["S7"] == "a minor (age 15) with no adult head or spouse in the family"
    )


def test_s7_a_child_with_an_adult_parent_may_go_with_the_family() -> None:
    parent = record("P1", "F1")
    child = record("P2", "F1", relationship="child", birth_date="2014-05-05")
    assert blocks([parent, child]) == {"P1": {}, "P2": {}}


def test_s7_exactly_18_on_the_screening_date_is_an_adult() -> None:
    eighteen = record(birth_date="2008-01-15")
    day_before = record(birth_date="2008-01-16")
    assert "S7" not in rules_of(eighteen)
    assert (
        blocks([day_before])["P1"]["S7"]
        == "a minor (age 17) with no adult head or spouse in the family"
    )


def test_s7_an_age_dispute_counts_as_a_minor_until_resolved() -> None:
    disputed = record(birth_date="1999-01-01", age_disputed=True)
    assert "age disputed" in blocks([disputed])["P1"]["S7"]
    parent = record("P1", "F1", age_disputed=True)
    child = record("P2", "F1", relationship="child", birth_date="2015-01-01")
    result = blocks([parent, child])
    assert "S7" in result["P1"]
    assert "S7" in result["P2"], "an age-disputed head is no adult carer"


# S8: vulnerability, yielding only to a supervisor's individual assessment (UNHCR 2013)
def test_s8_vulnerability_blocks_by_default() -> None:
    pregnant = record(vulnerabilities=["pregnancy"])
    assert blocks([pregnant])["P1"]["S8"] == (
        "vulnerable (pregnancy) with no individual assessment by a supervisor"
    )


def test_s8_yields_to_an_assessment_recorded_on_or_before_the_day() -> None:
    assessment = {"rule": "S8", "by": "Supervisor One", "reason": "Assessed fit; consents."}
    assessed = record(
        vulnerabilities=["disability"], assessments=[{**assessment, "date": "2026-01-15"}]
    )
    later = record(
        vulnerabilities=["disability"], assessments=[{**assessment, "date": "2026-01-16"}]
    )
    assert "S8" not in rules_of(assessed)
    assert "S8" in rules_of(later)


# S9: family unity (ECHR art. 8; UNHCR 2013)
def test_s9_one_blocked_member_blocks_the_family_and_is_named() -> None:
    head = record("P1", "F1")
    spouse = record("P2", "F1", relationship="spouse", appeal_pending=True)
    child = record("P3", "F1", relationship="child", birth_date="2016-02-02")
    result = blocks([head, spouse, child])
    assert result["P2"] == {"S3": "appeal pending"}
    assert result["P1"] == {"S9": "family member blocked: P2 (S3)"}
    assert result["P3"] == {"S9": "family member blocked: P2 (S3)"}


def test_s9_names_every_blocked_member_with_their_rules() -> None:
    head = record("P1", "F1", sender_status="lpr")
    spouse = record("P2", "F1", relationship="spouse", stay_of_removal=True)
    result = blocks([head, spouse])
    assert result["P1"]["S9"] == "family member blocked: P2 (S3)"
    assert result["P2"]["S9"] == "family member blocked: P1 (S1)"


# S11: nationality scope (UNHCR 2013)
def test_s11_include_and_exclude_scopes() -> None:
    venezuelan = record(nationalities=["VE"])
    assert "S11" in rules_of(venezuelan, agreement(nationality_scope={"include": ["GH", "NG"]}))
    assert "S11" not in rules_of(venezuelan, agreement(nationality_scope={"include": ["VE"]}))
    assert blocks([venezuelan], agreement(nationality_scope={"exclude": ["VE"]}))["P1"]["S11"] == (
        "nationality Venezuela (VE) excluded by the agreement"
    )
    assert blocks([venezuelan], agreement(nationality_scope={"include": ["GH", "NG"]}))["P1"][
        "S11"
    ] == ("nationality Venezuela (VE) outside the agreement's scope")


def test_s11_a_receivers_national_is_not_a_third_country_national() -> None:
    dual = record(nationalities=["XK", "VE"])
    assert "a national of the receiver, Kosovo (XK)," in blocks([dual])["P1"]["S11"]


def test_dual_national_of_receiver_and_sender_is_blocked_by_both_rules_in_order() -> None:
    dual = record(nationalities=["XK", "US"])
    assert rules_of(dual) == ["S1", "S11"]


def test_s11_stateless_people_have_no_home_to_be_returned_to() -> None:
    stateless = record(nationalities=[])
    assert blocks([stateless])["P1"]["S11"] == "stateless: no country of nationality to return to"
    assert "S11" not in rules_of(stateless, agreement(onward_return=False))


def test_own_nationals_return_needs_the_receivers_nationality() -> None:
    terms = agreement(id="us-uz", receiver="UZ", kind="own_nationals_return", onward_return=False)
    assert "S11" in rules_of(record(nationalities=["VE"]), terms)
    assert "S11" not in rules_of(record(nationalities=["UZ"]), terms)


def test_blocked_by_lists_every_rule_in_rule_id_order() -> None:
    everything = record(
        sender_status="lpr",
        removal_order={"status": "pending", "date": "2025-01-01"},
        appeal_pending=True,
        nationalities=[],
        vulnerabilities=["elderly"],
        birth_date="1950-01-01",
    )
    assert rules_of(everything) == ["S1", "S2", "S3", "S8", "S11"]


def test_a_family_without_any_notice_is_still_eligible_at_screening() -> None:
    """Notice (S6) is checked at clearance, not screening: an unserved family may be proposed."""
    head = record("P1", "F1")
    spouse = record("P2", "F1", relationship="spouse")
    assert blocks([head, spouse]) == {"P1": {}, "P2": {}}


def test_an_expired_travel_document_fails_a_criterion_that_asks_for_one() -> None:
    terms = agreement(
        criteria=[
            {
                "id": "document",
                "text": "Valid travel document.",
                "expr": "travel_document.valid_on(transfer_date)",
            }
        ]
    )
    expired = record(travel_document={"type": "passport", "country": "VE", "expires": "2026-01-14"})
    valid = record(travel_document={"type": "passport", "country": "VE", "expires": "2026-01-15"})
    assert rules_of(expired, terms) == ["document"]
    assert rules_of(valid, terms) == []


def test_criteria_only_narrow_and_come_after_the_safeguards() -> None:
    terms = agreement(criteria=[{"id": "adult", "text": "Adults.", "expr": "age >= 18"}])
    child = record(birth_date="2012-01-01", relationship="head")
    assert rules_of(child, terms) == ["S7", "adult"]


def test_explanation_lists_every_rule_with_outcome_and_source() -> None:
    terms = agreement(criteria=[{"id": "adult", "text": "Adults.", "expr": "age >= 18"}])
    checks = explain_person(
        record(appeal_pending=True), [record(appeal_pending=True)], Screen.of(terms), ON
    )
    assert [c.rule for c in checks] == [*SCREENING_RULES, "adult"]
    by_rule = {c.rule: c for c in checks}
    assert not by_rule["S3"].passed
    assert by_rule["S3"].reason == "appeal pending"
    assert by_rule["S1"].passed
    assert by_rule["S4"].sources == SAFEGUARDS["S4"].sources
    assert by_rule["adult"].passed
