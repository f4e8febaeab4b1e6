"""Hypothesis strategies for the criteria language: people near the edges the rules test
(birthdays on the screening date, documents expiring on it, empty lists, missing values)
and random rules drawn from the grammar."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from accord.records.person import PersonRecord

SCREENING_DATES = [dt.date(2026, 1, 15), dt.date(2026, 2, 28), dt.date(2028, 2, 29)]
COUNTRIES = ["VE", "CO", "CU", "US", "SV"]
LANGUAGES = ["en", "es", "fr"]
CATEGORIES = ["violent", "sexual", "terrorism", "drugs", "fraud"]
INCIDENTS = ["fight", "escape", "damage"]
DOCUMENT_TYPES = ["passport", "travel_document", "identity_card"]

_BIRTHS = st.sampled_from(
    [dt.date(2008, 1, 15), dt.date(2008, 1, 16), dt.date(2008, 2, 29), dt.date(2010, 2, 28)]
) | st.dates(dt.date(1950, 1, 1), dt.date(2020, 12, 31))
_EVENTS = st.sampled_from([dt.date(2016, 1, 15), dt.date(2016, 1, 16)]) | st.dates(
    dt.date(2005, 1, 1), dt.date(2027, 12, 31)
)
_EXPIRIES = st.sampled_from(SCREENING_DATES) | st.dates(dt.date(2024, 1, 1), dt.date(2029, 1, 1))


def _conviction() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "category": st.sampled_from(CATEGORIES),
            "date": _EVENTS,
            "final": st.booleans(),
            "jurisdiction": st.sampled_from(COUNTRIES),
        },
        optional={"sentence_months": st.integers(0, 48)},
    )


def _incident() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"date": _EVENTS, "kind": st.sampled_from(INCIDENTS)})


def _document() -> st.SearchStrategy[dict[str, Any] | None]:
    return st.none() | st.fixed_dictionaries(
        {
            "type": st.sampled_from(DOCUMENT_TYPES),
            "country": st.sampled_from(COUNTRIES),
            "expires": _EXPIRIES,
        }
    )


@st.composite
def person(draw: st.DrawFn, case_id: str, family_id: str) -> PersonRecord:
    return PersonRecord.model_validate(
        {
            "case_id": case_id,
            "family_id": family_id,
            "relationship": draw(st.sampled_from(["head", "spouse", "child"])),
            "given_name": draw(st.sampled_from(["Ana", "Luis", "Marta", "Élodie"])),
            "family_name": "Test",
            "aliases": draw(st.lists(st.sampled_from(["Ana B", "Lu"]), max_size=2)),
            "birth_date": draw(_BIRTHS),
            "sex": draw(st.sampled_from(["F", "M", "X"])),
            "nationalities": draw(st.lists(st.sampled_from(COUNTRIES), max_size=2, unique=True)),
            "languages": draw(st.lists(st.sampled_from(LANGUAGES), max_size=2, unique=True)),
            "sender_status": "none",
            "convictions": draw(st.lists(_conviction(), max_size=3)),
            "detention_incidents": draw(st.lists(_incident(), max_size=2)),
            "travel_document": draw(_document()),
        }
    )


@st.composite
def people(draw: st.DrawFn) -> list[PersonRecord]:
    """A few people in a few families, so family sizes differ."""
    count = draw(st.integers(1, 8))
    families = draw(st.lists(st.sampled_from(["F1", "F2", "F3"]), min_size=count, max_size=count))
    return [draw(person(f"P{i}", family)) for i, family in enumerate(families)]


def _some(options: list[str], quoted: bool = False) -> st.SearchStrategy[str]:
    words = st.lists(st.sampled_from(options), min_size=1, max_size=3, unique=True)
    return words.map(lambda ws: "{" + ", ".join(f'"{w}"' if quoted else w for w in ws) + "}")


_OPS = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
_INTS = st.integers(-1, 30).map(str)
_DATES = st.sampled_from([*SCREENING_DATES, dt.date(2008, 1, 15), dt.date(2016, 1, 15)]).map(
    lambda d: f'date("{d.isoformat()}")'
)


def _conviction_test() -> st.SearchStrategy[str]:
    return st.one_of(
        _some(CATEGORIES).map(lambda s: f"category in {s}"),
        _some(CATEGORIES).map(lambda s: f"category not in {s}"),
        st.just("has sentence_months"),
        st.tuples(_OPS, _INTS).map(lambda t: f"sentence_months {t[0]} {t[1]}"),
        st.tuples(_OPS, _DATES).map(lambda t: f"date {t[0]} {t[1]}"),
        st.tuples(_OPS, _INTS).map(lambda t: f"years_since(date) {t[0]} {t[1]}"),
        _some(COUNTRIES).map(lambda s: f"jurisdiction in {s}"),
        st.just("true"),
    )


def _where(tests: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.lists(tests, min_size=1, max_size=2).flatmap(
        lambda ts: st.sampled_from([" and ", " or "]).map(lambda joiner: joiner.join(ts))
    )


def _atom() -> st.SearchStrategy[str]:
    quantifier = st.sampled_from(["any", "no"])
    incident_test = st.one_of(
        _some(INCIDENTS, quoted=True).map(lambda s: f"kind in {s}"),
        st.tuples(_OPS, _INTS).map(lambda t: f"years_since(date) {t[0]} {t[1]}"),
    )
    return st.one_of(
        st.tuples(_OPS, _INTS).map(lambda t: f"age {t[0]} {t[1]}"),
        st.tuples(_OPS, st.sampled_from(["F", "M", "X"])).map(lambda t: f'sex {t[0]} "{t[1]}"'),
        _some(["head", "spouse", "child", "parent"]).map(lambda s: f"relationship in {s}"),
        st.tuples(_OPS, _DATES).map(lambda t: f"birth_date {t[0]} {t[1]}"),
        st.tuples(_OPS, st.sampled_from(["Ana", "M", "Ö"])).map(
            lambda t: f'given_name {t[0]} "{t[1]}"'
        ),
        st.tuples(_OPS, _INTS).map(lambda t: f"family_size {t[0]} {t[1]}"),
        st.tuples(quantifier, st.sampled_from(["conviction", "detention_incident", "alias"])).map(
            " ".join
        ),
        st.tuples(quantifier, _where(_conviction_test())).map(
            lambda t: f"({t[0]} conviction where {t[1]})"
        ),
        st.tuples(quantifier, incident_test).map(
            lambda t: f"({t[0]} detention_incident where {t[1]})"
        ),
        st.tuples(_where(_conviction_test()), _OPS, _INTS).map(
            lambda t: f"count(conviction where {t[0]}) {t[1]} {t[2]}"
        ),
        st.tuples(_OPS, _INTS).map(lambda t: f"count(detention_incident) {t[0]} {t[1]}"),
        st.tuples(quantifier, st.sampled_from(["in", "not in"]), _some(COUNTRIES)).map(
            lambda t: f"{t[0]} nationality {t[1]} {t[2]}"
        ),
        st.tuples(quantifier, _some(LANGUAGES, quoted=True))
        .map(lambda t: f'{t[0]} language where language in {t[1]} or language == "en"')
        .map(lambda text: f"({text})"),
        st.tuples(st.sampled_from(LANGUAGES), st.sampled_from(["in", "not in"])).map(
            lambda t: f'"{t[0]}" {t[1]} languages'
        ),
        st.sampled_from(
            [
                "travel_document.valid_on(transfer_date)",
                'travel_document.valid_on(date("2026-06-01"))',
                "has travel_document",
                "travel_document.country in nationalities",
                "travel_document.country not in nationalities",
                "travel_document.expires >= transfer_date",
                "years_since(birth_date) >= 18",
                '"VE" in {VE, CO}',
            ]
        ),
        st.tuples(_OPS, st.sampled_from(COUNTRIES)).map(
            lambda t: f'travel_document.country {t[0]} "{t[1]}"'
        ),
        st.tuples(st.sampled_from(["in", "not in"]), _some(DOCUMENT_TYPES)).map(
            lambda t: f"travel_document.type {t[0]} {t[1]}"
        ),
    )


def rules() -> st.SearchStrategy[str]:
    """Random well-typed rules: atoms combined with not, and, or and parentheses."""
    return st.recursive(
        _atom(),
        lambda inner: st.one_of(
            inner.map(lambda r: f"not ({r})"),
            st.tuples(inner, inner).map(lambda t: f"({t[0]}) and ({t[1]})"),
            st.tuples(inner, inner).map(lambda t: f"{t[0]} or  # either\n  {t[1]}"),
        ),
        max_leaves=4,
    )
