"""The minimized view (DESIGN §6) is the only thing criteria read, and the frame matches it."""

from __future__ import annotations

import datetime as dt

import polars as pl

from accord.cases.schemas import PersonRecord
from accord.rules import compile_rule
from accord.rules.fields import MINIMIZED_FIELDS, PROTECTED_FIELDS, minimized_frame
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
                        "final": pl.Boolean(),
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
            "final": True,
            "sentence_months": None,
            "jurisdiction": "US",
        }
    ]


def test_an_empty_population_gives_an_empty_typed_frame_that_rules_run_on() -> None:
    frame = minimized_frame([], ON)
    assert frame.height == 0
    rule = compile_rule("(no conviction where final) and travel_document.valid_on(transfer_date)")
    assert frame.select(rule.to_polars(ON)).to_series().to_list() == []
