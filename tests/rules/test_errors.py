"""Bad rules are refused with the position and a message an agreement author can act on."""

from __future__ import annotations

import pytest

from accord.errors import AccordError
from accord.rules import RuleError, compile_rule
from accord.rules.fields import PROTECTED_FIELDS

CATEGORIES = (
    "violent, sexual, terrorism, drugs, property, fraud, public_order, immigration, traffic, other"
)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        # types, pointing at the operand that does not fit
        ('age >= "x"', "1:8: cannot compare int with string"),
        ("age in {adult}", "1:9: cannot compare int with string"),
        ("age >= 18 and\n  sex == 1", "2:10: cannot compare string with int"),
        ('languages == "en"', "1:1: cannot compare list with string"),
        ("true < false", "1:8: cannot order bool values with '<'; use == or !="),
        ("age", "1:1: expected a condition, got int 'age'"),
        ("has age", "1:5: 'has' needs travel_document, got 'age'"),
        # names
        ('religon == "x"', "1:1: unknown field 'religon'"),
        ("agee > 1", "1:1: unknown field 'agee'; did you mean 'age'?"),
        (
            'travel_document.countri == "VE"',
            "1:17: travel_document has no field 'countri'; did you mean 'country'?"
            " (fields: type, country, expires)",
        ),
        (
            "travel_document.valid(transfer_date)",
            "1:17: travel_document has no method 'valid'; did you mean 'valid_on'?",
        ),
        (
            "no convictions",
            "1:4: unknown list 'convictions'; did you mean 'conviction'?"
            " (lists: alias, conviction, detention_incident, language, nationality)",
        ),
        (
            "no conviction where age > 1",
            "1:21: conviction has no field 'age'; conditions on the person go outside the"
            " 'where', in parentheses"
            " (conviction fields: category, date, sentence_months, jurisdiction)",
        ),
        # the view holds final convictions only: there is no other kind to ask about
        (
            "no conviction where category in {violent} and final",
            "1:47: conviction has no field 'final': the receiver sees final convictions only,"
            " so every conviction a rule reads is final (DESIGN §6)",
        ),
        # nesting is bounded where it goes too deep, before anything walks it recursively
        (
            "not " * 490 + "age >= 18",
            "1:129: the rule nests more than 32 levels deep here; write it more simply",
        ),
        (
            "convictions",
            "1:1: 'convictions' is a list; use 'any conviction where …', 'no conviction where …'"
            " or 'count(conviction where …)'",
        ),
        (
            "frobnicate(age)",
            "1:1: unknown function 'frobnicate'; functions: count, date, years_since",
        ),
        (
            "no conviction where any nationality",
            "1:21: a quantifier cannot be nested inside 'where'",
        ),
        # enumerated and coded values
        (
            "no conviction where category in {violent, violnt}",
            f"1:43: 'violnt' is not a valid category (did you mean 'violent'?); valid: {CATEGORIES}",
        ),
        ('sex == "Q"', "1:8: 'Q' is not a valid sex; valid: F, M, X"),
        (
            'travel_document.type == "visa"',
            "1:25: 'visa' is not a valid travel document type;"
            " valid: passport, travel_document, laissez_passer, identity_card",
        ),
        (
            'travel_document.country == "ve"',
            "1:28: 've' is not a country code (2 upper-case letters)",
        ),
        (
            "any nationality in {VE, VEN}",
            "1:25: 'VEN' is not a country code (2 upper-case letters)",
        ),
        ('"EN" in languages', "1:1: 'EN' is not a language code (2 lower-case letters)"),
        ('birth_date < date("2020-13-01")', "1:19: invalid date '2020-13-01'; use YYYY-MM-DD"),
        ("birth_date < date(2020)", '1:14: date() takes one string, like date("2020-01-01")'),
        (
            "any conviction in {violent}",
            "1:5: 'conviction in {…}' needs a list of values;"
            " write 'conviction where <field> in {…}'",
        ),
        # syntax, from Lark, with what was expected
        ("age = 18", "1:5: unexpected '='; use '==' to compare"),
        (
            'sex == "M" sex',
            "1:12: unexpected 'sex'; expected '.', 'and', 'or', the end of the rule",
        ),
        (
            "age >= 18 and  # then?\n",
            "1:14: unexpected end of rule; expected '(', 'any', 'count', 'false', 'has', 'no',"
            " 'not', 'true', a \"string\", a name, a number",
        ),
        ("(age >= 18", "1:1: '(' is never closed"),
        ('sex == "M', "1:8: unterminated string"),
        (
            "age >= 18 @",
            "1:11: unexpected character '@'; expected ')', ',', '.', 'and', 'in', 'not',"
            " 'or', a comparison (== != < <= > >=)",
        ),
    ],
)
def test_bad_rules_are_refused_where_they_go_wrong(text: str, error: str) -> None:
    with pytest.raises(RuleError) as raised:
        compile_rule(text, "public-order")
    assert str(raised.value) == f"public-order:{error}"
    line, column, message = error.split(":", 2)
    assert (raised.value.line, raised.value.column) == (int(line), int(column))
    assert raised.value.message == message.strip()
    assert raised.value.rule_id == "public-order"


def test_without_a_rule_id_the_message_starts_at_the_position() -> None:
    with pytest.raises(RuleError, match=r"^1:1: unknown field 'religon'$"):
        compile_rule('religon == "x"')


def test_a_rule_error_is_a_domain_error_rendered_as_a_refused_request() -> None:
    with pytest.raises(AccordError) as raised:
        compile_rule("age >")
    assert raised.value.status_code == 400


@pytest.mark.parametrize("field", sorted(PROTECTED_FIELDS))
def test_every_protected_field_is_refused_by_name_wherever_it_appears(field: str) -> None:
    message = f"field '{field}' is not visible to the receiver (DESIGN §6)"
    for text, column in ((field, 1), (f"age >= 18 and {field}", 15), (f"no {field}", 4)):
        with pytest.raises(RuleError) as raised:
            compile_rule(text)
        assert str(raised.value) == f"1:{column}: {message}", text
    with pytest.raises(RuleError, match="not visible to the receiver"):
        compile_rule(f"no conviction where {field}")


def test_protected_lists_named_in_the_singular_are_refused_too() -> None:
    for item in ("fear_claim", "vulnerability", "assessment"):
        with pytest.raises(RuleError, match=f"field '{item}' is not visible to the receiver"):
            compile_rule(f"any {item}")
