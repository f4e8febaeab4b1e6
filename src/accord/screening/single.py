"""Screening one family against one agreement, rule by rule: the reference path.

This path reads like the law and explains itself; the batch path computes the same results
for whole populations at once and is tested against this one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from accord.records.agreement import AgreementIn
from accord.records.person import PersonRecord
from accord.rules import CompiledRule, compile_rule
from accord.safeguards.catalog import SAFEGUARDS, SCREENING_RULES, rule_order
from accord.safeguards.predicates import PERSONAL, Terms, s7_minors
from accord.screening.results import Block, ScreeningResult, ordered


@dataclass(frozen=True, slots=True)
class Screen:
    """An agreement ready to screen against: its terms and its compiled criteria."""

    agreement: AgreementIn
    terms: Terms
    criteria: tuple[CompiledRule, ...]

    @classmethod
    def of(cls, agreement: AgreementIn) -> Screen:
        return cls(
            agreement,
            Terms.of(agreement),
            tuple(compile_rule(c.expr, c.id) for c in agreement.criteria),
        )


def own_blocks(
    person: PersonRecord, family: Sequence[PersonRecord], screen: Screen, on: dt.date
) -> list[Block]:
    """Every rule but S9 that blocks this person: safeguards first, then the criteria."""
    blocks = []
    for rule, predicate in PERSONAL:
        reason = predicate(person, screen.terms, on)
        if reason:
            blocks.append(Block(rule, reason))
    reason = s7_minors(person, family, screen.terms, on)
    if reason:
        blocks.append(Block("S7", reason))
    for criterion in screen.criteria:
        explanation = criterion.explain(person, on, family_size=len(family))
        if not explanation.passed:
            blocks.append(Block(criterion.rule_id, explanation.reason))
    return blocks


def family_unity(case_id: str, blocked_members: dict[str, list[Block]]) -> Block | None:
    """S9: another member blocked by anything but S9 blocks this one too, naming them."""
    others = sorted(
        other for other, blocks in blocked_members.items() if blocks and other != case_id
    )
    if not others:
        return None
    named = ", ".join(
        f"{other} ({', '.join(sorted({b.rule for b in blocked_members[other]}, key=rule_order))})"
        for other in others
    )
    noun = "member" if len(others) == 1 else "members"
    return Block("S9", f"family {noun} blocked: {named}")


def screen_family(
    family: Sequence[PersonRecord], screen: Screen, on: dt.date
) -> list[ScreeningResult]:
    own = {person.case_id: own_blocks(person, family, screen, on) for person in family}
    results = []
    for person in family:
        blocks = list(own[person.case_id])
        unity = family_unity(person.case_id, own)
        if unity:
            blocks.append(unity)
        results.append(
            ScreeningResult(person.case_id, person.family_id, screen.agreement.id, ordered(blocks))
        )
    return results


@dataclass(frozen=True, slots=True)
class Check:
    """One rule checked for one person, for the plain-words explanation."""

    rule: str
    text: str
    passed: bool
    reason: str
    sources: tuple[str, ...]


def explain_person(
    person: PersonRecord, family: Sequence[PersonRecord], screen: Screen, on: dt.date
) -> list[Check]:
    """Every rule checked for one person against one agreement, with outcome and source."""
    result = next(r for r in screen_family(family, screen, on) if r.case_id == person.case_id)
    reasons = {b.rule: b.reason for b in result.blocked_by}
    checks = [
        Check(
            rule,
            SAFEGUARDS[rule].rule,
            rule not in reasons,
            reasons.get(rule, "passed"),
            SAFEGUARDS[rule].sources,
        )
        for rule in SCREENING_RULES
    ]
    for criterion, spec in zip(screen.criteria, screen.agreement.criteria, strict=True):
        explanation = criterion.explain(person, on, family_size=len(family))
        source = screen.agreement.sources.get(spec.source) if spec.source else None
        checks.append(
            Check(
                criterion.rule_id,
                spec.text,
                explanation.passed,
                explanation.reason,
                (f"{source.publisher}, {source.date}",) if source else ("the agreement",),
            )
        )
    return checks
