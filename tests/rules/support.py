"""Hand-made people and a runner that checks both evaluation paths at once."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from accord.records.person import PersonRecord
from accord.rules import compile_rule
from accord.rules.fields import minimized_frame

ON = dt.date(2026, 1, 15)


def make(case_id: str = "P1", **fields: Any) -> PersonRecord:
    """An adult man with nothing on record, changed by `fields`."""
    record: dict[str, Any] = {
        "case_id": case_id,
        "family_id": f"F-{case_id}",
        "relationship": "head",
        "given_name": "Luis",
        "family_name": "Test",
        "birth_date": "1990-06-01",
        "sex": "M",
        "sender_status": "none",
    }
    return PersonRecord.model_validate(record | fields)


def conviction(category: str = "violent", **fields: Any) -> dict[str, Any]:
    return {
        "category": category,
        "date": "2018-05-26",
        "final": True,
        "jurisdiction": "US",
    } | fields


def document(expires: str = "2027-01-01", **fields: Any) -> dict[str, Any]:
    return {"type": "passport", "country": "VE", "expires": expires} | fields


def results(text: str, *records: PersonRecord, on: dt.date = ON) -> list[bool]:
    """Each person's result, after checking the batch and the one-person paths agree."""
    rule = compile_rule(text, "test")
    sizes = Counter(r.family_id for r in records)
    batch = minimized_frame(records, on).select(rule.to_polars(on)).to_series().to_list()
    one_by_one = [rule.evaluate(r, on, family_size=sizes[r.family_id]) for r in records]
    assert batch == one_by_one, (text, batch, one_by_one)
    return one_by_one


def passes(text: str, record: PersonRecord, on: dt.date = ON) -> bool:
    (result,) = results(text, record, on=on)
    return result
