"""From screening results to proposal pools: pool limits, scores, pins, the solver, the file.

Screening decides who may be proposed; this module only chooses among the eligible. A family
enters the problem for an agreement only when every member is eligible for it, so neither a
score nor a pin can ever reach a blocked person.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from accord.errors import InvalidInput
from accord.errors import Problem as ProblemAt
from accord.matching.problem import NO_LIMIT, Candidate, Pool, build_problem
from accord.matching.scoring import PairScore, Scorer
from accord.matching.solver import Solution, solve
from accord.records.agreement import AgreementIn, CapIn
from accord.records.person import PersonRecord
from accord.screening.results import ScreeningResult


@dataclass(frozen=True)
class Balance:
    """Optional balance constraints users ask for; none by default."""

    max_nationality_share: float = 1.0
    """At most this share of each pool from one nationality (the head's first)."""
    pace_monthly: bool = False
    """Spread a period's cap evenly across its months: only the months begun so far count."""


Progress = Callable[[float, float], None]
"""Told the best plan's objective and the proven bound as a long solve improves either."""


@dataclass(frozen=True)
class PoolLimit:
    agreement_id: str
    persons: int | None
    families: int | None
    note: str
    """How the limit was reached, or why there is no pool (unknown cap, nothing left)."""


@dataclass(frozen=True)
class Used:
    """What an agreement's current period has already taken (reserved or consumed)."""

    persons: int = 0
    families: int = 0


def period_months(period: str | None) -> int | None:
    """An ISO 8601 duration of years and months (`P1Y`, `P18M`) in months; None otherwise."""
    match = re.fullmatch(r"P(?:(\d+)Y)?(?:(\d+)M)?", period or "")
    if not match or not (match.group(1) or match.group(2)):
        return None
    return int(match.group(1) or 0) * 12 + int(match.group(2) or 0)


def _months_begun(agreement: AgreementIn, cap: CapIn, on: dt.date, months: int) -> int:
    """Months of the current period begun on `on` (1 in its first month)."""
    if cap.anchor == "calendar":
        start = dt.date(on.year, 1, 1)
    elif agreement.term and agreement.term.start:
        start = agreement.term.start
    else:
        return months
    elapsed = (on.year - start.year) * 12 + on.month - start.month - (on.day < start.day)
    return max(0, elapsed) % months + 1


def pool_limit(
    agreement: AgreementIn, on: dt.date, used: Used = Used(), balance: Balance = Balance()
) -> PoolLimit:
    """floor(pool_factor × what is left under the cap) (DESIGN §7), per persons and families."""
    factor = agreement.selection.pool_factor
    limits: dict[str, int | None] = {"persons_per_period": None, "families_per_period": None}
    notes = []
    for kind in limits:
        cap = next((c for c in agreement.caps if c.kind == kind), None)
        if cap is None:
            continue
        if cap.limit is None or cap.lower_bound:
            return PoolLimit(
                agreement.id, None, None, f"{kind} cap not known as a figure: no pool proposed"
            )
        allowance = Decimal(cap.limit)
        months = period_months(cap.period)
        if balance.pace_monthly and months:
            begun = _months_begun(agreement, cap, on, months)
            allowance = (allowance * begun / months).to_integral_value(ROUND_FLOOR)
            notes.append(f"paced: {begun} of {months} months")
        left = max(Decimal(0), allowance - (used.persons if "persons" in kind else used.families))
        limits[kind] = int((factor * left).to_integral_value(ROUND_FLOOR))
        notes.append(f"{kind.split('_')[0]}: {factor} × {left} left of {cap.limit}")
    if limits["persons_per_period"] is None:
        return PoolLimit(agreement.id, None, None, "no persons cap recorded: no pool proposed")
    return PoolLimit(
        agreement.id, limits["persons_per_period"], limits["families_per_period"], "; ".join(notes)
    )


@dataclass(frozen=True)
class ProposedFamily:
    family_id: str
    size: int
    score: float
    why: str
    pinned: bool = False


@dataclass(frozen=True)
class ProposedPool:
    agreement_id: str
    pool_limit: int
    families: tuple[ProposedFamily, ...]


@dataclass(frozen=True)
class Proposal:
    pools: tuple[ProposedPool, ...]
    solution: Solution
    skipped: tuple[PoolLimit, ...] = ()
    """Agreements for which no pool could be formed, with the reason."""
    pinned_out: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    eligible_pairs: int = 0
    scored_pairs: int = 0
    """Eligible pairs the scorer gave a score; an unscored pair is never proposed."""

    @property
    def objective(self) -> float:
        return self.solution.objective

    def to_json(self) -> dict[str, Any]:
        """Exactly DESIGN §7's proposal format."""
        return {
            "objective": round(self.objective, 9),
            "agreements": [
                {
                    "agreement_id": pool.agreement_id,
                    "pool_limit": pool.pool_limit,
                    "families": [
                        {
                            "family_id": f.family_id,
                            "size": f.size,
                            "score": round(f.score, 9),
                            "why": f.why,
                        }
                        for f in pool.families
                    ],
                }
                for pool in self.pools
            ],
        }


def eligible_families(results: Sequence[ScreeningResult]) -> dict[str, set[str]]:
    """Agreement -> families whose every member is eligible for it."""
    members: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for result in results:
        members[(result.agreement_id, result.family_id)].append(result.eligible)
    eligible: dict[str, set[str]] = defaultdict(set)
    for (agreement_id, family_id), flags in members.items():
        if any(flags) and not all(flags):
            raise AssertionError(f"family {family_id} is partly eligible for {agreement_id}")
        if all(flags):
            eligible[agreement_id].add(family_id)
    return eligible


def _nationality(members: Sequence[PersonRecord]) -> str | None:
    head = next((m for m in members if m.relationship == "head"), members[0])
    return head.nationalities[0] if head.nationalities else None


def propose(
    agreements: Sequence[AgreementIn],
    records: Sequence[PersonRecord],
    results: Sequence[ScreeningResult],
    on: dt.date,
    scorer: Scorer,
    *,
    used: Mapping[str, Used] | None = None,
    balance: Balance = Balance(),
    pinned_in: Sequence[tuple[str, str]] = (),
    pinned_out: Sequence[tuple[str, str]] = (),
    time_limit: float = 30.0,
    progress: Progress | None = None,
) -> Proposal:
    """The best pools for these agreements on `on`, from screening results already made;
    `progress` hears how the solve goes."""
    families: dict[str, list[PersonRecord]] = defaultdict(list)
    for record in records:
        families[record.family_id].append(record)
    limits = [pool_limit(a, on, (used or {}).get(a.id, Used()), balance) for a in agreements]
    open_limits = [limit for limit in limits if limit.persons is not None]
    by_id = {a.id: a for a in agreements}
    eligible = eligible_families(results)
    pairs = sorted(
        (family_id, limit.agreement_id)
        for limit in open_limits
        for family_id in eligible.get(limit.agreement_id, ())
    )
    scores: dict[tuple[str, str], PairScore] = {
        (s.family_id, s.agreement_id): s
        for s in scorer.score(
            families,
            {limit.agreement_id: by_id[limit.agreement_id] for limit in open_limits},
            pairs,
            on,
        )
    }
    eligible_pairs = set(pairs)
    bad_pins = [
        ProblemAt(f"pin {family_id}:{agreement_id}", f"not eligible for it on {on}")
        for family_id, agreement_id in pinned_in
        if (family_id, agreement_id) not in eligible_pairs
    ]
    if bad_pins:
        raise InvalidInput("pins", bad_pins)
    pinned_out = [pin for pin in pinned_out if pin in eligible_pairs]  # others are out anyway
    unscored = [pin for pin in pinned_in if pin not in scores]
    if unscored:
        raise InvalidInput(
            "pins",
            [ProblemAt(f"pin {f}:{a}", "the scores give no score for it") for f, a in unscored],
        )
    family_ids = sorted(families)
    problem = build_problem(
        [(f, len(families[f]), _nationality(families[f])) for f in family_ids],
        [
            Pool(
                limit.agreement_id,
                limit.persons or 0,
                NO_LIMIT if limit.families is None else limit.families,
                balance.max_nationality_share,
            )
            for limit in open_limits
        ],
        [Candidate(f, a, s.score) for (f, a), s in sorted(scores.items())],
        pinned_in=pinned_in,
        pinned_out=pinned_out,
    )
    solution = solve(problem, time_limit=time_limit, progress=progress)
    chosen: dict[str, list[ProposedFamily]] = defaultdict(list)
    pins = set(pinned_in)
    for index in [i for i in range(problem.n_families) if solution.assignment[i] >= 0]:
        family_id = problem.family_ids[index]
        agreement_id = problem.pools[int(solution.assignment[index])].agreement_id
        score = scores[(family_id, agreement_id)]
        pinned = (family_id, agreement_id) in pins
        chosen[agreement_id].append(
            ProposedFamily(
                family_id,
                len(families[family_id]),
                score.score,
                ("pinned in by a person; " if pinned else "") + score.why,
                pinned,
            )
        )
    pools = tuple(
        ProposedPool(
            limit.agreement_id,
            limit.persons or 0,
            tuple(sorted(chosen[limit.agreement_id], key=lambda f: (-f.score, f.family_id))),
        )
        for limit in open_limits
    )
    skipped = tuple(limit for limit in limits if limit.persons is None)
    return Proposal(pools, solution, skipped, tuple(pinned_out), len(pairs), len(scores))


def gap_text(solution: Solution) -> str:
    """The certified quality of an answer in words."""
    if solution.status == "optimal":
        return "proven optimal"
    return f"within {solution.gap:.5%} of optimal (bound {solution.bound:,.3f})"
