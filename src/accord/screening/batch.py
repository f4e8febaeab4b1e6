"""Screening whole populations against agreements at once, vectorized with Polars.

Which rules block whom is decided here by column expressions, for every person in one pass
per agreement. The reason texts then come from the reference predicates (`single.py`) for the
blocked pairs only, and each reason doubles as a check: a rule the frame says blocks but the
predicate says does not is an internal error, never a silent result.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

import polars as pl

from accord.agreements.schemas import REMOVAL_KINDS
from accord.cases.schemas import PersonRecord
from accord.rules.fields import minimized_frame
from accord.safeguards.predicates import (
    ADULT_AGE,
    PERSONAL,
    REOPENING_DAYS,
    Terms,
    protected_against,
    s7_minors,
    s8_assessment_date,
)
from accord.screening.results import Block, ScreeningResult, ordered, result_order
from accord.screening.single import Screen, family_unity

_STRING_LIST = pl.List(pl.String)
_FEAR_CLAIM = pl.Struct({"country": pl.String, "outcome": pl.String, "decided": pl.Date})


class ScreeningDisagreement(AssertionError):
    """The vectorized and the reference paths disagree: a defect, never a result."""


def safeguard_frame(records: Sequence[PersonRecord], on: dt.date) -> pl.DataFrame:
    """The sender-side facts the safeguards read, one row per person, in input order."""
    return pl.DataFrame(
        {
            "case_id": [r.case_id for r in records],
            "family_id": [r.family_id for r in records],
            "relationship": [r.relationship for r in records],
            "birth_date": [r.birth_date for r in records],
            "age_disputed": [r.age_disputed for r in records],
            "sender_status": [r.sender_status for r in records],
            "nationalities": [list(r.nationalities) for r in records],
            "removal_status": [r.removal_order.status for r in records],
            "protected_against": [protected_against(r) for r in records],
            "protection_pending": [
                any(p.status == "pending" for p in r.protection) for r in records
            ],
            "appeal_pending": [r.appeal_pending for r in records],
            "stay_of_removal": [r.stay_of_removal for r in records],
            "fear_claims": [
                [
                    {"country": c.country, "outcome": c.outcome, "decided": c.decided}
                    for c in r.fear_claims
                ]
                for r in records
            ],
            "vulnerable": [bool(r.vulnerabilities) for r in records],
            "s8_assessed": [s8_assessment_date(r, on) is not None for r in records],
        },
        schema_overrides={
            "nationalities": _STRING_LIST,
            "protected_against": _STRING_LIST,
            "fear_claims": pl.List(_FEAR_CLAIM),
        },
    ).with_columns(age=_age_expr(on))


def _age_expr(on: dt.date) -> pl.Expr:
    birth = pl.col("birth_date")
    before_birthday = (birth.dt.month() > on.month) | (
        (birth.dt.month() == on.month) & (birth.dt.day() > on.day)
    )
    return pl.lit(on.year) - birth.dt.year() - before_birthday.cast(pl.Int32)


def _contains(column: str, value: str) -> pl.Expr:
    return pl.col(column).list.contains(pl.lit(value))


def _overlaps(column: str, values: Iterable[str]) -> pl.Expr:
    wanted = sorted(values)
    if not wanted:
        return pl.lit(False)
    return pl.col(column).list.eval(pl.element().is_in(wanted)).list.any().fill_null(False)


def safeguard_expressions(terms: Terms, on: dt.date) -> dict[str, pl.Expr]:
    """One boolean column per screening safeguard (S9 aside): true where it blocks."""
    protected = pl.col("protected_against")
    is_protected = protected.list.len() > 0
    onward = (
        pl.col("protected_against").list.set_intersection(pl.col("nationalities")).list.len() > 0
        if terms.onward_return
        else pl.lit(False)
    )
    claim = pl.element().struct
    fear = (
        pl.col("fear_claims")
        .list.eval(
            (claim.field("country") == terms.receiver)
            & (
                claim.field("outcome").is_in(["pending", "positive"])
                | (
                    (claim.field("outcome") == "negative")
                    & (claim.field("decided") > pl.lit(on - dt.timedelta(days=REOPENING_DAYS)))
                )
            )
        )
        .list.any()
        .fill_null(False)
    )
    minor = (pl.col("age") < ADULT_AGE) | pl.col("age_disputed")
    carer = (~minor & pl.col("relationship").is_in(["head", "spouse"])).any().over("family_id")
    scope = pl.lit(False)
    if terms.scope_include is not None:
        scope = scope | ~_overlaps("nationalities", terms.scope_include)
    if terms.scope_exclude is not None:
        scope = scope | _overlaps("nationalities", terms.scope_exclude)
    if terms.kind == "third_country_transfer":
        scope = scope | _contains("nationalities", terms.receiver)
    if terms.kind == "own_nationals_return":
        scope = scope | ~_contains("nationalities", terms.receiver)
    if terms.onward_return:
        scope = scope | (pl.col("nationalities").list.len() == 0)
    return {
        "S1": pl.col("sender_status").is_in(["citizen", "lpr"])
        | _contains("nationalities", terms.sender),
        "S2": pl.lit(terms.kind in REMOVAL_KINDS) & (pl.col("removal_status") != "final"),
        "S3": pl.col("protection_pending") | pl.col("appeal_pending") | pl.col("stay_of_removal"),
        "S4": _contains("protected_against", terms.receiver)
        | onward
        | (pl.lit(not terms.no_onward_removal) & is_protected),
        "S5": fear,
        "S7": minor & ~carer,
        "S8": pl.col("vulnerable") & ~pl.col("s8_assessed"),
        "S11": scope,
    }


def screen_population(
    records: Sequence[PersonRecord], screens: Sequence[Screen], on: dt.date
) -> list[ScreeningResult]:
    """Every (person, agreement) result, sorted by agreement then case id."""
    if not records:
        return []
    facts = safeguard_frame(records, on)
    minimized = minimized_frame(records, on)
    families: dict[str, list[PersonRecord]] = defaultdict(list)
    for record in records:
        families[record.family_id].append(record)
    results: list[ScreeningResult] = []
    for screen in screens:
        results += _screen_one(records, families, facts, minimized, screen, on)
    return sorted(results, key=result_order)


def _screen_one(
    records: Sequence[PersonRecord],
    families: dict[str, list[PersonRecord]],
    facts: pl.DataFrame,
    minimized: pl.DataFrame,
    screen: Screen,
    on: dt.date,
) -> list[ScreeningResult]:
    safeguards = facts.select(**safeguard_expressions(screen.terms, on))
    criteria = minimized.select(
        **{f"c{i}": ~rule.to_polars(on) for i, rule in enumerate(screen.criteria)}
    )
    flags = pl.concat([safeguards, criteria], how="horizontal")
    predicates = dict(PERSONAL)
    own: dict[str, list[Block]] = {}
    for record, row in zip(records, flags.iter_rows(named=True), strict=True):
        blocks = []
        for rule, blocked in row.items():
            if not blocked:
                continue
            if rule == "S7":
                reason = s7_minors(record, families[record.family_id], screen.terms, on)
            elif rule in predicates:
                reason = predicates[rule](record, screen.terms, on)
            else:
                criterion = screen.criteria[int(rule[1:])]
                family_size = len(families[record.family_id])
                explanation = criterion.explain(record, on, family_size=family_size)
                reason = None if explanation.passed else explanation.reason
                rule = criterion.rule_id
            if reason is None:
                raise ScreeningDisagreement(
                    f"{record.case_id} / {screen.agreement.id}: {rule} blocks in the batch path"
                    " but not in the reference path"
                )
            blocks.append(Block(rule, reason))
        own[record.case_id] = blocks
    results = []
    for record in records:
        members = {m.case_id: own[m.case_id] for m in families[record.family_id]}
        blocks = list(own[record.case_id])
        unity = family_unity(record.case_id, members)
        if unity:
            blocks.append(unity)
        results.append(
            ScreeningResult(record.case_id, record.family_id, screen.agreement.id, ordered(blocks))
        )
    return results
