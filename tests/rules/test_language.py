"""Every construct of the criteria language, parsed, checked and evaluated on hand-made people
(each result computed both by the interpreter and by Polars, which must agree)."""

from __future__ import annotations

import datetime as dt

import pytest

from accord.agreements.loader import load_registry_file
from accord.rules import (
    CompiledRule,
    RuleError,
    compile_rule,
    parse,
    to_text,
)
from accord.rules.nodes import (
    And,
    Compare,
    Const,
    Has,
    InSet,
    Name,
    Not,
    Or,
    Quantified,
    SetOf,
)
from accord.scenarios import arrangements_path
from tests.rules.support import ON, conviction, document, make, passes, results


def test_the_reported_arrangements_criteria_all_compile() -> None:
    registry = load_registry_file(arrangements_path())
    criteria = [(c.id, c.expr) for a in registry.agreements for c in a.criteria]
    assert {expr for _, expr in criteria} >= {
        "no conviction where category in {violent, sexual, terrorism}",
        "any conviction where category in {violent}",
        "no conviction",
        "age >= 18",
        'sex == "M"',
    }
    for rule_id, expr in criteria:
        rule = compile_rule(expr, rule_id)
        assert isinstance(rule, CompiledRule)
        assert (rule.rule_id, rule.expr) == (rule_id, expr)


def test_where_reads_the_rest_of_the_condition_and_parentheses_end_it_earlier() -> None:
    greedy = parse("no conviction where category in {violent} and has sentence_months")
    assert greedy == Quantified(
        "no",
        Name("conviction"),
        And(
            (
                InSet(Name("category"), SetOf((Const("violent", bare=True),))),
                Has(Name("sentence_months")),
            )
        ),
    )
    bounded = parse('(no conviction where has sentence_months) and sex == "M"')
    assert bounded == And(
        (
            Quantified("no", Name("conviction"), Has(Name("sentence_months"))),
            Compare("==", Name("sex"), Const("M")),
        )
    )


def test_precedence_is_not_then_and_then_or_with_comments_and_line_breaks() -> None:
    node = parse(
        """
        # adults, or women of any age
        not age < 18 and sex == "M"   # men only
          or sex == "F"
        """
    )
    assert node == Or(
        (
            And(
                (
                    Not(Compare("<", Name("age"), Const(18))),
                    Compare("==", Name("sex"), Const("M")),
                )
            ),
            Compare("==", Name("sex"), Const("F")),
        )
    )
    assert to_text(node) == 'not age < 18 and sex == "M" or sex == "F"'


def test_positions_are_kept_for_errors() -> None:
    node = parse('age >= 18 and\n  sex == "M"')
    assert isinstance(node, And)
    second = node.operands[1]
    assert (second.line, second.column) == (2, 3)


@pytest.mark.parametrize(
    ("text", "man_1990", "girl_2010"),
    [
        ("age >= 18", True, False),
        ("age < 18", False, True),
        ('sex == "M"', True, False),
        ('sex != "F"', True, False),
        ("sex in {F, X}", False, True),
        ("sex not in {F, X}", True, False),
        ('relationship == "head"', True, False),
        ('birth_date < date("2000-01-01")', True, False),
        ("birth_date <= transfer_date", True, True),
        ('given_name > "Ana"', True, False),
        ('family_name == "Test"', True, True),
        ("years_since(birth_date) >= 35", True, False),
        ("family_size <= 4", True, True),
        ("true", True, True),
        ("false or age > 30", True, False),
    ],
)
def test_comparisons_on_person_fields(text: str, man_1990: bool, girl_2010: bool) -> None:
    girl = make("P2", birth_date="2010-03-03", sex="F", relationship="child", given_name="Ana")
    assert results(text, make(), girl) == [man_1990, girl_2010]


def test_age_is_exactly_18_on_the_18th_birthday() -> None:
    born = make(birth_date="2008-01-15")
    assert passes("age >= 18", born, on=ON)
    assert not passes("age >= 18", born, on=ON - dt.timedelta(days=1))
    assert passes("age == 17", born, on=ON - dt.timedelta(days=1))


def test_a_29_february_birthday_counts_from_1_march_in_other_years() -> None:
    leap = make(birth_date="2008-02-29")
    assert not passes("age >= 18", leap, on=dt.date(2026, 2, 28))
    assert passes("age >= 18", leap, on=dt.date(2026, 3, 1))
    assert passes("age == 20", leap, on=dt.date(2028, 2, 29))


def test_family_size_counts_the_family_members_screened_together() -> None:
    family = [make(f"P{i}", family_id="F1") for i in range(5)] + [make("Q", family_id="F2")]
    assert results("family_size <= 4", *family) == [False] * 5 + [True]


def test_family_size_must_be_given_to_evaluate_one_person() -> None:
    rule = compile_rule("family_size <= 4")
    with pytest.raises(ValueError, match="pass family_size="):
        rule.evaluate(make(), ON)
    assert rule.evaluate(make(), ON, family_size=3)


CLEAN = make("clean")
OLD_DRUGS = make("old", convictions=[conviction("drugs", date="2010-02-01", final=True)])
VIOLENT_APPEALED = make("appeal", convictions=[conviction("violent", final=False)])
"""Convicted, but not finally: not in the receiver's view, so no criterion reads it."""
VIOLENT_FINAL = make(
    "violent", convictions=[conviction("violent", sentence_months=30), conviction("fraud")]
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no conviction", [True, False, True, False]),
        ("any conviction", [False, True, False, True]),
        (
            "no conviction where category in {violent, sexual, terrorism}",
            [True, True, True, False],
        ),
        ("any conviction where category in {violent}", [False, False, False, True]),
        ("any conviction where category not in {violent}", [False, True, False, True]),
        ("count(conviction) <= 1", [True, True, True, False]),
        ("count(conviction) == 0", [True, False, True, False]),
        ("any conviction where sentence_months >= 12", [False, False, False, True]),
        ("any conviction where has sentence_months", [False, False, False, True]),
        ("no conviction where not has sentence_months", [True, False, True, False]),
        ('any conviction where date >= date("2015-01-01")', [False, False, False, True]),
        ("any conviction where years_since(date) < 10", [False, False, False, True]),
        ('any conviction where jurisdiction == "US"', [False, True, False, True]),
        ("no conviction where category in {drugs}", [True, False, True, True]),
    ],
)
def test_quantifiers_over_convictions(text: str, expected: list[bool]) -> None:
    assert results(text, CLEAN, OLD_DRUGS, VIOLENT_APPEALED, VIOLENT_FINAL) == expected


def test_years_since_counts_whole_years_to_the_screening_date() -> None:
    ten_years = make(convictions=[conviction(date="2016-01-15")])
    assert passes("any conviction where years_since(date) == 10", ten_years)
    assert passes("any conviction where years_since(date) == 9", ten_years, on=ON - dt.timedelta(1))


def test_quantifiers_over_detention_incidents() -> None:
    fought = make("a", detention_incidents=[{"date": "2025-12-01", "kind": "fight"}])
    calm = make("b")
    assert results("no detention_incident", fought, calm) == [False, True]
    assert results('any detention_incident where kind == "fight"', fought, calm) == [True, False]
    assert results("count(detention_incident where years_since(date) < 1) >= 1", fought, calm) == [
        True,
        False,
    ]


def test_quantifiers_and_membership_over_lists_of_values() -> None:
    venezuelan = make("a", nationalities=["VE", "CO"], languages=["es", "en"])
    cuban = make("b", nationalities=["CU"], languages=["es"])
    stateless = make("c")
    people = (venezuelan, cuban, stateless)
    assert results("any nationality in {VE, CO}", *people) == [True, False, False]
    assert results("no nationality in {VE, CO}", *people) == [False, True, True]
    assert results("any nationality not in {VE}", *people) == [True, True, False]
    assert results('any nationality where nationality == "CU"', *people) == [False, True, False]
    assert results("count(nationality) >= 2", *people) == [True, False, False]
    assert results('"en" in languages', *people) == [True, False, False]
    assert results('"en" not in languages', *people) == [False, True, True]
    assert results("any language in {es}", *people) == [True, True, False]
    assert results("no alias", *people) == [True, True, True]


def test_travel_document() -> None:
    valid = make("a", nationalities=["VE"], travel_document=document("2027-01-01"))
    expires_today = make("b", travel_document=document(ON.isoformat(), country="CO"))
    expired = make("c", travel_document=document("2025-03-01", type="identity_card"))
    missing = make("d")
    people = (valid, expires_today, expired, missing)
    assert results("travel_document.valid_on(transfer_date)", *people) == [True, True, False, False]
    assert results('travel_document.valid_on(date("2026-06-01"))', *people) == [
        True,
        False,
        False,
        False,
    ]
    assert results("has travel_document", *people) == [True, True, True, False]
    assert results("not has travel_document", *people) == [False, False, False, True]
    assert results('travel_document.country == "VE"', *people) == [True, False, True, False]
    assert results("travel_document.type in {passport}", *people) == [True, True, False, False]
    assert results("travel_document.type not in {passport}", *people) == [False, False, True, False]
    assert results("travel_document.country in nationalities", *people) == [
        True,
        False,
        False,
        False,
    ]
    assert results("travel_document.expires > transfer_date", *people) == [
        True,
        False,
        False,
        False,
    ]


def test_a_missing_value_fails_every_test_on_it_and_not_inverts_the_result() -> None:
    missing = make()
    for text in (
        'travel_document.country == "VE"',
        'travel_document.country != "VE"',
        "travel_document.type in {passport}",
        "travel_document.type not in {passport}",
        "travel_document.country in nationalities",
        "travel_document.country not in nationalities",
    ):
        assert results(text, missing) == [False], text
        assert results(f"not ({text})", missing) == [True], text
    unsentenced = make(convictions=[conviction()])
    assert results("any conviction where sentence_months != 12", unsentenced) == [False]
    assert results("any conviction where not (sentence_months == 12)", unsentenced) == [True]


def test_empty_lists_no_holds_any_does_not_count_is_zero() -> None:
    nobody = make()
    assert results("no conviction where true", nobody) == [True]
    assert results("any conviction where true", nobody) == [False]
    assert results("count(conviction where true) == 0", nobody) == [True]
    assert results("no nationality in {VE}", nobody) == [True]


def test_a_rule_reading_no_field_still_gives_one_result_per_person() -> None:
    assert results('"VE" in {VE, CO}', make("a"), make("b")) == [True, True]


def test_strings_with_escapes() -> None:
    quoted = make(given_name='Luis "Lu"')
    assert passes('given_name == "Luis \\"Lu\\""', quoted)
    assert to_text(parse('given_name == "a\\"b"')) == 'given_name == "a\\"b"'


def test_errors_carry_the_rule_id() -> None:
    with pytest.raises(RuleError) as error:
        compile_rule("age >=", "adult")
    assert error.value.rule_id == "adult"
    assert str(error.value).startswith("adult:1:7: ")
