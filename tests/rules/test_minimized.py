"""The minimized view (DESIGN §6) is the only thing criteria read, and the frame matches it."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from accord.cases.minimized import FinalConviction, MinimizedPerson
from accord.records.person import PersonRecord
from accord.rules import RuleError, compile_rule
from accord.rules.fields import MINIMIZED_FIELDS, PROTECTED_FIELDS, entries, minimized_frame
from accord.screening.frames import minimized_from_frame, people_frame
from tests.rules.support import ON, conviction, document, make


def test_protected_fields_are_everything_a_receiver_may_not_see() -> None:
    sensitive = {
        "protection",
        "fear_claims",
        "appeal_pending",
        "stay_of_removal",
        "vulnerabilities",
        "medical_fit",
        "health_needs",
        "counsel",
        "consents",
        "assessments",
        "removal_order",
        "sender_status",
        "age_disputed",
    }
    assert sensitive == PROTECTED_FIELDS
    assert not PROTECTED_FIELDS & set(MINIMIZED_FIELDS)
    assert set(PersonRecord.model_fields) == PROTECTED_FIELDS | (
        set(MINIMIZED_FIELDS) - {"age", "family_size"}
    )


def test_the_frame_has_the_minimized_columns_only_with_their_types() -> None:
    frame = minimized_frame([make()], ON)
    assert frame.schema == pl.Schema(
        {
            "case_id": pl.String(),
            "family_id": pl.String(),
            "relationship": pl.String(),
            "given_name": pl.String(),
            "family_name": pl.String(),
            "aliases": pl.List(pl.String()),
            "birth_date": pl.Date(),
            "age": pl.Int64(),
            "sex": pl.String(),
            "nationalities": pl.List(pl.String()),
            "languages": pl.List(pl.String()),
            "travel_document_type": pl.String(),
            "travel_document_country": pl.String(),
            "travel_document_expires": pl.Date(),
            "convictions": pl.List(
                pl.Struct(
                    {
                        "category": pl.String(),
                        "date": pl.Date(),
                        "sentence_months": pl.Int64(),
                        "jurisdiction": pl.String(),
                    }
                )
            ),
            "detention_incidents": pl.List(pl.Struct({"date": pl.Date(), "kind": pl.String()})),
            "family_size": pl.Int64(),
        }
    )


def test_nothing_protected_reaches_the_frame() -> None:
    sensitive = make(
        sender_status="visa",
        protection=[{"type": "cat", "status": "pending", "against": "SV"}],
        fear_claims=[{"country": "SV", "asserted": "2025-01-01", "outcome": "pending"}],
        vulnerabilities=["torture_survivor"],
        health_needs=["insulin"],
        counsel={"name": "Counsel Name"},
        appeal_pending=True,
        removal_order={"status": "final", "date": "2025-01-01"},
    )
    rows = minimized_frame([sensitive], ON).to_dicts()
    text = repr(rows)
    for secret in ("SV", "torture", "insulin", "Counsel", "visa", "cat", "pending", "final"):
        assert secret not in text, secret


def test_rows_follow_the_records_with_age_and_family_size_computed() -> None:
    records = [
        make("A", family_id="F1", birth_date="2008-01-15", travel_document=document()),
        make("B", family_id="F1", birth_date="2008-01-16", convictions=[conviction()]),
        make("C", family_id="F2", birth_date="1990-01-15"),
    ]
    frame = minimized_frame(records, ON)
    assert frame["case_id"].to_list() == ["A", "B", "C"]
    assert frame["age"].to_list() == [18, 17, 36]
    assert frame["family_size"].to_list() == [2, 2, 1]
    assert frame["travel_document_expires"].to_list() == [dt.date(2027, 1, 1), None, None]
    assert frame["convictions"].to_list()[1] == [
        {
            "category": "violent",
            "date": dt.date(2018, 5, 26),
            "sentence_months": None,
            "jurisdiction": "US",
        }
    ]


def test_an_empty_population_gives_an_empty_typed_frame_that_rules_run_on() -> None:
    frame = minimized_frame([], ON)
    assert frame.height == 0
    rule = compile_rule("(no conviction) and travel_document.valid_on(transfer_date)")
    assert frame.select(rule.to_polars(ON)).to_series().to_list() == []


APPEALED = make(
    "appealed",
    convictions=[
        conviction("violent", final=False, jurisdiction="SV"),
        conviction("fraud", date="2012-03-04"),
    ],
)
"""A final fraud conviction the receiver may see, and a violent one under appeal it may not."""


def test_a_conviction_that_is_not_final_is_not_in_the_view() -> None:
    built = minimized_frame([APPEALED], ON)
    read = minimized_from_frame(people_frame([APPEALED.model_dump_json()]), ON)
    for frame in (built, read):
        assert frame["convictions"].to_list() == [
            [
                {
                    "category": "fraud",
                    "date": dt.date(2012, 3, 4),
                    "sentence_months": None,
                    "jurisdiction": "US",
                }
            ]
        ]


@pytest.mark.parametrize(
    ("text", "passed", "reason"),
    [
        ("no conviction where category in {violent}", True, "has no final conviction matching"),
        ("any conviction where category in {violent}", False, "has no final conviction matching"),
        ('no conviction where jurisdiction == "SV"', True, "has no final conviction matching"),
        ("count(conviction) == 1", True, "count(conviction) is 1 (== 1)"),
        ("no conviction", False, "has a final conviction: fraud, 2012-03-04"),
    ],
)
def test_criteria_read_final_convictions_only_in_batch_and_for_one_person(
    text: str, passed: bool, reason: str
) -> None:
    rule = compile_rule(text, "r")
    frame = minimized_frame([APPEALED], ON)
    assert frame.select(rule.to_polars(ON)).to_series().to_list() == [passed]
    explanation = rule.explain(APPEALED, ON)
    assert explanation.passed is passed
    assert explanation.reason.startswith(reason)
    assert "2018-05-26" not in explanation.reason  # the appealed conviction's day


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("no conviction where final", "r:1:21"),
        ("any conviction where category in {violent} and not final", "r:1:52"),
        ("count(conviction where final == false) == 0", "r:1:24"),
        ("no conviction where (final or category in {fraud})", "r:1:22"),
    ],
)
def test_asking_whether_a_conviction_is_final_fails_the_type_check_where_it_asks(
    text: str, place: str
) -> None:
    with pytest.raises(RuleError) as refused:
        compile_rule(text, "r")
    assert str(refused.value) == (
        f"{place}: conviction has no field 'final': the receiver sees final convictions only,"
        " so every conviction a rule reads is final (DESIGN §6)"
    )


def test_every_list_the_view_narrows_drops_the_field_that_narrows_it() -> None:
    """The schema says which entries the receiver sees; the view's entries do not carry it."""
    for name, field_type in MINIMIZED_FIELDS.items():
        only = getattr(field_type, "only", None)
        if only is not None:
            assert field_type.of.field(only) is None, name  # type: ignore[union-attr]


def test_criteria_read_the_convictions_a_receiver_is_shown_and_no_others() -> None:
    """The criteria's schema is the minimized view the API and the pages give a receiver: the
    same convictions (final ones), with the same fields."""
    conviction_fields = MINIMIZED_FIELDS["convictions"].of.names  # type: ignore[union-attr]
    assert set(conviction_fields) == set(FinalConviction.model_fields)
    shown = MinimizedPerson.of(APPEALED).convictions
    assert [c.model_dump() for c in shown] == [
        {k: getattr(c, k) for k in conviction_fields} for c in entries(APPEALED, "convictions")
    ]
