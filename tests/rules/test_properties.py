"""The key invariant: the Polars path and the interpreter agree on every person and rule."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from accord.records.person import PersonRecord
from accord.rules import compile_rule, parse, to_text
from accord.rules.fields import minimized_frame
from tests.rules.strategies import SCREENING_DATES, people, rules


@settings(max_examples=100, deadline=None)
@given(records=people(), text=rules(), on=st.sampled_from(SCREENING_DATES))
def test_vectorized_equals_interpreted(records: list[PersonRecord], text: str, on: dt.date) -> None:
    rule = compile_rule(text, "random")
    sizes = Counter(r.family_id for r in records)
    frame = minimized_frame(records, on)
    vectorized = frame.select(rule.to_polars(on)).to_series().to_list()
    interpreted = [rule.evaluate(r, on, family_size=sizes[r.family_id]) for r in records]
    assert vectorized == interpreted
    for record, passed in zip(records, interpreted, strict=True):
        explanation = rule.explain(record, on, family_size=sizes[record.family_id])
        assert explanation.passed == passed
        assert explanation.reason


@settings(max_examples=100, deadline=None)
@given(text=rules())
def test_printing_a_rule_and_parsing_it_again_gives_the_same_tree(text: str) -> None:
    node = parse(text)
    assert parse(to_text(node)) == node
    checked = compile_rule(text).node
    assert compile_rule(to_text(checked)).node == checked
