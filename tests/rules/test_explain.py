"""Explanations name the rule, the outcome and the value that decided it, in plain words."""

from __future__ import annotations

from typing import Any

import pytest

from accord.rules import Explanation, compile_rule
from tests.rules.support import ON, conviction, document, make


def test_an_explanation_carries_the_rule_id_and_the_outcome() -> None:
    rule = compile_rule("age >= 18", "adult")
    assert rule.explain(make(birth_date="2010-01-01"), ON) == Explanation(
        "adult", False, "age is 16, needs >= 18"
    )
    assert rule.explain(make(birth_date="2008-01-15"), ON) == Explanation(
        "adult", True, "age is 18 (>= 18)"
    )


@pytest.mark.parametrize(
    ("text", "fields", "expected"),
    [
        (
            "no conviction where category in {violent, sexual, terrorism}",
            {"convictions": [conviction("violent"), conviction("fraud")]},
            "has a final conviction matching 'category in {violent, sexual, terrorism}':"
            " violent, 2018-05-26",
        ),
        (
            "no conviction where category in {violent, fraud}",
            {"convictions": [conviction("violent"), conviction("fraud"), conviction("drugs")]},
            "has 2 final convictions matching 'category in {violent, fraud}':"
            " violent, 2018-05-26; fraud, 2018-05-26",
        ),
        (
            "any conviction where category in {violent}",
            {"convictions": [conviction("violent", final=False)]},
            "has no final conviction matching 'category in {violent}'",
        ),
        (
            "no conviction",
            {"convictions": [conviction("drugs")]},
            "has a final conviction: drugs, 2018-05-26",
        ),
        (
            "count(conviction) <= 1",
            {"convictions": [conviction(), conviction("fraud"), conviction("drugs", final=False)]},
            "count(conviction) is 2, needs <= 1",
        ),
        (
            "no detention_incident where years_since(date) < 2",
            {"detention_incidents": [{"date": "2025-06-01", "kind": "fight"}]},
            "has a detention incident matching 'years_since(date) < 2': fight, 2025-06-01",
        ),
        ("age >= 18", {"birth_date": "2008-01-16"}, "age is 17, needs >= 18"),
        ('sex == "M"', {"sex": "F"}, 'sex is F, needs == "M"'),
        ("sex in {M, X}", {"sex": "F"}, "sex is F, needs in {M, X}"),
        (
            "travel_document.valid_on(transfer_date)",
            {"travel_document": document("2025-03-01")},
            "travel document expired on 2025-03-01 (screening on 2026-01-15)",
        ),
        ("travel_document.valid_on(transfer_date)", {}, "no travel document"),
        ('travel_document.country == "VE"', {}, "no travel document"),
        ("has travel_document", {}, "no travel document"),
        (
            "travel_document.type in {passport}",
            {"travel_document": document(type="identity_card")},
            "travel_document.type is identity_card, needs in {passport}",
        ),
        (
            "any nationality in {VE, CO}",
            {"nationalities": ["CU", "MX"]},
            "has no nationality matching 'nationality in {VE, CO}' (nationalities: CU, MX)",
        ),
        (
            "no nationality in {VE, CO}",
            {"nationalities": ["CU", "VE"]},
            "has a nationality matching 'nationality in {VE, CO}': VE",
        ),
        ('"en" in languages', {"languages": ["es"]}, 'languages (es) do not include "en"'),
        (
            'age >= 18 and sex == "M" and has travel_document',
            {"birth_date": "2010-01-01", "sex": "F"},
            'age is 16, needs >= 18; sex is F, needs == "M"; no travel document',
        ),
        ("not (age >= 18)", {}, "age is 35 (>= 18)"),
        (
            "(no conviction where has sentence_months) or family_size >= 3",
            {"convictions": [conviction(sentence_months=30)]},
            "has a final conviction matching 'has sentence_months': violent, 2018-05-26;"
            " family_size is 1, needs >= 3",
        ),
    ],
)
def test_a_failing_rule_names_the_value_that_failed(
    text: str, fields: dict[str, Any], expected: str
) -> None:
    explanation = compile_rule(text, "r").explain(make(**fields), ON, family_size=1)
    assert not explanation.passed
    assert explanation.reason == expected


@pytest.mark.parametrize(
    ("text", "fields", "expected"),
    [
        (
            "no conviction where category in {violent}",
            {"convictions": [conviction("fraud"), conviction("violent", final=False)]},
            "has no final conviction matching 'category in {violent}'",
        ),
        (
            "travel_document.valid_on(transfer_date)",
            {"travel_document": document("2026-01-15")},
            "travel document valid until 2026-01-15 (screening on 2026-01-15)",
        ),
        ('age >= 18 or sex == "F"', {"sex": "F", "birth_date": "2010-01-01"}, 'sex is F (== "F")'),
        ("not has travel_document", {}, "no travel document"),
    ],
)
def test_a_passing_rule_says_why_it_passed(
    text: str, fields: dict[str, Any], expected: str
) -> None:
    explanation = compile_rule(text, "r").explain(make(**fields), ON, family_size=1)
    assert explanation.passed
    assert explanation.reason == expected
