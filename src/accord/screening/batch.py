"""Screening whole populations against agreements at once, vectorized with Polars.

Which rules block whom is decided here by column expressions, for every person in one pass
per agreement. The reason texts then come from the reference predicates (`single.py`) for the
blocked pairs only, and each reason doubles as a check: a rule the frame says blocks but the
predicate says does not is an internal error, never a silent result.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import polars as pl

from accord.records.agreement import REMOVAL_KINDS
from accord.records.person import PersonRecord
from accord.rules.fields import whole_years_expr
from accord.safeguards.predicates import (
    ADULT_AGE,
    PERSONAL,
    REOPENING_DAYS,
    Terms,
    protected_against,
    s7_minors,
    s8_assessment_date,
)
from accord.screening.frames import (
    PopulationFacts,
    facts_from_frame,
    minimized_from_frame,
    people_frame,
)
from accord.screening.results import Block, ScreeningResult, ordered, result_order
from accord.screening.single import Screen, family_unity


class ScreeningDisagreement(AssertionError):
    """The vectorized and the reference paths disagree: a defect, never a result."""


def _long(
    pairs: Sequence[tuple[Any, ...]], names: tuple[str, ...], schema: dict[str, Any]
) -> pl.DataFrame:
    """A long frame from (row, value, ...) tuples; empty with the right columns when none."""
    columns: list[Sequence[Any]] = list(zip(*pairs, strict=True)) if pairs else [() for _ in names]
    return pl.DataFrame(dict(zip(names, columns, strict=True)), schema=schema)


def population_facts(records: Sequence[PersonRecord], on: dt.date) -> PopulationFacts:
    people = pl.DataFrame(
        {
            "row": range(len(records)),
            "family_id": [r.family_id for r in records],
            "relationship": [r.relationship for r in records],
            "birth_date": [r.birth_date for r in records],
            "age_disputed": [r.age_disputed for r in records],
            "sender_status": [r.sender_status for r in records],
            "stateless": [not r.nationalities for r in records],
            "removal_status": [r.removal_order.status for r in records],
            "protection_pending": [
                any(p.status == "pending" for p in r.protection) for r in records
            ],
            "appeal_pending": [r.appeal_pending for r in records],
            "stay_of_removal": [r.stay_of_removal for r in records],
            "vulnerable": [bool(r.vulnerabilities) for r in records],
            "s8_assessed": [s8_assessment_date(r, on) is not None for r in records],
        },
        schema_overrides={"row": pl.Int64},
    ).with_columns(age=whole_years_expr(pl.col("birth_date"), on))
    return PopulationFacts(
        people,
        _long(
            [(i, c) for i, r in enumerate(records) for c in r.nationalities],
            ("row", "country"),
            {"row": pl.Int64, "country": pl.String},
        ),
        _long(
            [(i, c) for i, r in enumerate(records) for c in protected_against(r)],
            ("row", "country"),
            {"row": pl.Int64, "country": pl.String},
        ),
        _long(
            [
                (i, c.country, c.outcome, c.decided)
                for i, r in enumerate(records)
                for c in r.fear_claims
            ],
            ("row", "country", "outcome", "decided"),
            {"row": pl.Int64, "country": pl.String, "outcome": pl.String, "decided": pl.Date},
        ),
    )


def safeguard_expressions(facts: PopulationFacts, terms: Terms, on: dt.date) -> dict[str, pl.Expr]:
    """One boolean column per screening safeguard (S9 aside), over `facts.people`: true blocks."""
    country = pl.col("country")
    holds = facts.nationalities
    national_of_receiver = facts.rows_where(holds, country == terms.receiver)
    protected = facts.protected
    onward = pl.lit(False)
    if terms.onward_return:
        returned_home = protected.join(holds, on=["row", "country"], how="inner")
        onward = facts.rows_where(returned_home, pl.lit(True))
    window_opens = on - dt.timedelta(days=REOPENING_DAYS)
    feared = facts.fear_claims.with_columns(destination=country == terms.receiver)
    if terms.onward_return:  # a fear of the country the receiver would return them to
        home = holds.select("row", "country", returned_to=pl.lit(True))
        feared = feared.join(home, on=["row", "country"], how="left").with_columns(
            destination=pl.col("destination") | pl.col("returned_to").fill_null(False)
        )
    fear = facts.rows_where(
        feared,
        pl.col("destination")
        & (
            pl.col("outcome").is_in(["pending", "positive"])
            | ((pl.col("outcome") == "negative") & (pl.col("decided") > pl.lit(window_opens)))
        ),
    )
    minor = (pl.col("age") < ADULT_AGE) | pl.col("age_disputed")
    carer = (~minor & pl.col("relationship").is_in(["head", "spouse"])).any().over("family_id")
    scope = pl.lit(False)
    if terms.scope_include is not None:
        scope = scope | ~facts.rows_where(holds, country.is_in(sorted(terms.scope_include)))
    if terms.scope_exclude is not None:
        scope = scope | facts.rows_where(holds, country.is_in(sorted(terms.scope_exclude)))
    if terms.kind == "third_country_transfer":
        scope = scope | national_of_receiver
    if terms.kind == "own_nationals_return":
        scope = scope | ~national_of_receiver
    if terms.onward_return:
        scope = scope | pl.col("stateless")
    return {
        "S1": pl.col("sender_status").is_in(["citizen", "lpr"])
        | facts.rows_where(holds, country == terms.sender),
        "S2": pl.lit(terms.kind in REMOVAL_KINDS) & (pl.col("removal_status") != "final"),
        "S3": pl.col("protection_pending") | pl.col("appeal_pending") | pl.col("stay_of_removal"),
        "S4": facts.rows_where(protected, country == terms.receiver)
        | onward
        | (pl.lit(not terms.no_onward_removal) & facts.rows_where(protected, pl.lit(True))),
        "S5": fear,
        "S7": minor & ~carer,
        "S8": pl.col("vulnerable") & ~pl.col("s8_assessed"),
        "S11": scope,
    }


def decide(
    facts: PopulationFacts, minimized: pl.DataFrame, screen: Screen, on: dt.date
) -> pl.DataFrame:
    """Which rules block whom under one agreement: one boolean column per rule, S9 included.

    Pure column work on frames built once per population: this is the whole decision, and
    the part that scales. Criteria columns are named `c0`, `c1`, ... in the agreement's order.
    """
    safeguards = facts.people.select(**safeguard_expressions(facts, screen.terms, on))
    criteria = minimized.select(
        **{f"c{i}": ~rule.to_polars(on) for i, rule in enumerate(screen.criteria)}
    )
    flags = pl.concat([safeguards, criteria, facts.people.select("family_id")], how="horizontal")
    own = pl.any_horizontal(pl.exclude("family_id"))
    unity = (own.cast(pl.Int32).sum().over("family_id") - own.cast(pl.Int32)) > 0
    return flags.with_columns(S9=unity).drop("family_id")


def screen_population(
    records: Sequence[PersonRecord], screens: Sequence[Screen], on: dt.date
) -> list[ScreeningResult]:
    """Every (person, agreement) result, sorted by agreement then case id."""
    if not records:
        return []
    people = people_frame([record.model_dump_json() for record in records])
    facts = facts_from_frame(people, on)
    minimized = minimized_from_frame(people, on)
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
    facts: PopulationFacts,
    minimized: pl.DataFrame,
    screen: Screen,
    on: dt.date,
) -> list[ScreeningResult]:
    decided = decide(facts, minimized, screen, on)
    unity_flags = decided["S9"].to_list()
    flags = decided.drop("S9")
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
    for record, unity_flag in zip(records, unity_flags, strict=True):
        members = {m.case_id: own[m.case_id] for m in families[record.family_id]}
        blocks = list(own[record.case_id])
        unity = family_unity(record.case_id, members)
        if (unity is not None) != unity_flag:
            raise ScreeningDisagreement(
                f"{record.case_id} / {screen.agreement.id}: S9 differs between the paths"
            )
        if unity:
            blocks.append(unity)
        results.append(
            ScreeningResult(record.case_id, record.family_id, screen.agreement.id, ordered(blocks))
        )
    return results
