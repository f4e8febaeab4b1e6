"""This month's pools planned over a horizon (`accord propose --horizon P12M`, the builder's
"plan over the year"): the store's caseload and caps turned into the planner's problem
(`accord.matching.planning`), and its answer stored as pools through the workflow.

- **Months and places.** The horizon's months start with the current one. Each per-period cap
  becomes one span per period over the horizon: the current period's span holds what its
  ledger leaves, each later period its whole limit (a rolling anchor is read as the term's).
  Places are pool places, as the matcher's: `pool_factor` × what a cap leaves.
- **The caseload.** Families in no open item and never transferred, screened today; scored by
  the matcher's scorer; all eligible now.
- **What is expected.** Futures resampled from the months behind (`forecast_from_history`):
  for each of the last twelve months, the families first recorded in it, screened and scored
  against today's agreements.

Pins and the nationality share are not part of the plan: a planned proposal has none.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.access import Actor, may_make
from accord.agreements.service import stored_agreement
from accord.audit.service import Entry, record_many
from accord.cases.service import stored_people
from accord.clock import Clock, today
from accord.errors import Forbidden, InvalidInput, Problem
from accord.matching import planning
from accord.matching.proposal import Used, eligible_families, period_months
from accord.matching.scoring import Scorer
from accord.matching.transparent import TransparentScorer
from accord.models import Person
from accord.models import Proposal as StoredProposal
from accord.proposals.pools import PoolFamily, create_pool, matcher_input
from accord.records.agreement import AgreementIn, CapIn
from accord.records.person import PersonRecord
from accord.screening.batch import screen_population
from accord.screening.results import ScreeningResult
from accord.screening.single import Screen
from accord.workflow.transitions import PROPOSE

HISTORY_MONTHS = 12
"""How far back the forecast looks for the families that came each month."""


def horizon_months(text: str) -> int:
    """`P12M`, `P1Y`, `P18M`: the horizon in months (1 to 36)."""
    months = period_months(text.strip().upper()) or 0
    if not 1 <= months <= 36:
        raise InvalidInput(
            "the horizon", [Problem("--horizon", f"{text!r}: a duration of 1 to 36 months (P12M)")]
        )
    return months


def month_label(day: dt.date, ahead: int) -> str:
    index = day.year * 12 + day.month - 1 + ahead
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _begun(agreement: AgreementIn, cap: CapIn, day: dt.date, months: int) -> int:
    """Months of the current period begun on `day` (1 in its first month). With no start to
    count from, the period is taken to begin now (pacing, `proposal.pool_limit`, takes it as
    all begun instead: it must not hold places back, a plan must not spend a year's at once)."""
    if cap.anchor == "calendar":
        start = dt.date(day.year, 1, 1)
    elif agreement.term and agreement.term.start:
        start = agreement.term.start
    else:
        return 1
    elapsed = (day.year - start.year) * 12 + day.month - start.month - (day.day < start.day)
    return max(0, elapsed) % months + 1


def caps_over(
    agreement: AgreementIn, day: dt.date, months: int, used: Used
) -> tuple[list[planning.Cap], str | None]:
    """The agreement's per-period caps as spans over the horizon (pool places), or why it gets
    no pool (a cap not known as a figure, no persons cap)."""
    factor = agreement.selection.pool_factor
    spans: list[planning.Cap] = []
    kinds = {
        c.kind: c for c in agreement.caps if c.kind in ("persons_per_period", "families_per_period")
    }
    if "persons_per_period" not in kinds:
        return [], "no persons cap recorded: no pool planned"
    for kind, cap in kinds.items():
        if cap.limit is None or cap.lower_bound:
            return [], f"{kind} cap not known as a figure: no pool planned"
        period = period_months(cap.period) or months
        first_end = period - _begun(agreement, cap, day, period)
        left = max(0, cap.limit - (used.persons if kind == "persons_per_period" else used.families))
        start, limit = 0, left
        end = min(first_end, months - 1)
        while start < months:
            places = int((factor * Decimal(limit)).to_integral_value(ROUND_FLOOR))
            persons_cap = kind == "persons_per_period"
            spans.append(
                planning.Cap(
                    agreement.id,
                    start,
                    end,
                    places if persons_cap else None,
                    None if persons_cap else places,
                )
            )
            start, limit = end + 1, cap.limit
            end = min(start + period - 1, months - 1)
    return spans, None


def _scored(
    records: Sequence[PersonRecord],
    results: Sequence[ScreeningResult],
    agreements: Sequence[AgreementIn],
    day: dt.date,
    scorer: Scorer,
    eligible_from: int = 0,
) -> list[planning.Family]:
    members: dict[str, list[PersonRecord]] = defaultdict(list)
    for record in records:
        members[record.family_id].append(record)
    eligible = eligible_families(results)
    by_id = {a.id: a for a in agreements}
    pairs = sorted((f, a) for a in by_id for f in eligible.get(a, ()))
    scores: dict[str, dict[str, float]] = defaultdict(dict)
    for s in scorer.score(members, by_id, pairs, day):
        scores[s.family_id][s.agreement_id] = s.score
    return [
        planning.Family(family, len(members[family]), scores[family], eligible_from)
        for family in sorted(scores)
    ]


def history(
    session: Session, agreements: Sequence[AgreementIn], day: dt.date, scorer: Scorer
) -> list[list[planning.Family]]:
    """Per month of the last twelve, the families first recorded in it, screened and scored
    against today's agreements."""
    query = select(Person.family_id, func.min(Person.created_at)).group_by(Person.family_id)
    first_seen = {family: at for family, at in session.execute(query)}
    by_month: dict[int, set[str]] = defaultdict(set)
    now = day.year * 12 + day.month - 1
    for family, at in first_seen.items():
        back = now - (at.year * 12 + at.month - 1)
        if 1 <= back <= HISTORY_MONTHS:
            by_month[back].add(family)
    if not by_month:
        return []
    wanted = set().union(*by_month.values())
    records = [r for r in stored_people(session) if r.family_id in wanted]
    results = screen_population(records, [Screen.of(a) for a in agreements], day)
    families = {f.family_id: f for f in _scored(records, results, agreements, day, scorer)}
    return [
        [families[f] for f in sorted(by_month[back]) if f in families] for back in sorted(by_month)
    ]


@dataclass(frozen=True)
class Planned:
    plan: planning.MonthPlan
    months: int
    skipped: tuple[tuple[str, str], ...]
    """(agreement, why it gets no pool)."""
    sizes: dict[str, int]
    agreements: tuple[str, ...]
    """The agreements planned for (those with caps known as figures)."""
    stored: tuple[StoredProposal, ...] = ()


def plan_pools(
    session: Session,
    agreements: Sequence[AgreementIn],
    day: dt.date,
    months: int,
    *,
    scorer: Scorer | None = None,
    samples: int = 4,
    seed: int = 0,
) -> Planned:
    """The planner's answer for this month on the store; stores nothing."""
    scorer = scorer or TransparentScorer()
    given = matcher_input(session, agreements, day)
    caps: list[planning.Cap] = []
    skipped = []
    for agreement in agreements:
        spans, why = caps_over(agreement, day, months, given.used[agreement.id])
        caps += spans
        if why:
            skipped.append((agreement.id, why))
    planned_for = [a for a in agreements if all(a.id != s for s, _ in skipped)]
    families = _scored(given.records, given.results, planned_for, day, scorer)
    forecast = planning.forecast_from_history(
        history(session, planned_for, day, scorer), months, samples=samples, seed=seed
    )
    problem = planning.PlanningProblem(
        tuple(month_label(day, n) for n in range(months)), tuple(caps), tuple(families), forecast
    )
    plan = planning.plan_month(problem)
    return Planned(
        plan,
        months,
        tuple(skipped),
        {f.family_id: f.size for f in families},
        tuple(a.id for a in planned_for),
    )


def propose_planned(
    session: Session,
    agreement_ids: Sequence[str],
    actor: Actor,
    clock: Clock,
    months: int,
    *,
    scorer: Scorer | None = None,
    dry_run: bool = False,
) -> Planned:
    """This month's planned pools, each stored as a proposal through the workflow (every family
    screened again), or with `dry_run` only computed and audited."""
    if not may_make(actor.role, PROPOSE):
        raise Forbidden(f"{actor.name} ({actor.role}) may not propose a pool")
    agreements = [stored_agreement(session, a) for a in agreement_ids]
    day = today(clock)
    planned = plan_pools(session, agreements, day, months, scorer=scorer)
    record_computed_plan(session, actor.name, planned, day)
    if dry_run:
        return planned
    by_agreement: dict[str, list[planning.Placement]] = defaultdict(list)
    for placement in planned.plan.chosen:
        by_agreement[placement.agreement_id].append(placement)
    stored = []
    for agreement_id, placed in sorted(by_agreement.items()):
        held = [h.reason for h in planned.plan.held_back if h.agreement_id == agreement_id]
        why = f"planned over {months} months" + (f"; {held[0]}" if held else "")
        stored.append(
            create_pool(
                session,
                agreement_id,
                [
                    PoolFamily(p.family_id, p.score, why)
                    for p in sorted(placed, key=lambda p: -p.score)
                ],
                actor,
                clock,
                method="planner",
                pool_limit=sum(p.size for p in placed),
                objective=planned.plan.score_now,
                gap=None,
            )
        )
    return Planned(
        planned.plan, months, planned.skipped, planned.sizes, planned.agreements, tuple(stored)
    )


def record_computed_plan(session: Session, actor: str, planned: Planned, day: dt.date) -> None:
    """A planned run is audited as a matcher run is, with what it held back and why."""
    chosen = planned.plan.pools()
    record_many(
        session,
        actor,
        [
            Entry(
                "proposal.planned",
                "agreement",
                agreement_id,
                {
                    "on": day.isoformat(),
                    "months": planned.months,
                    "families": list(chosen.get(agreement_id, ())),
                    "held_back": [
                        {"places": h.places, "reason": h.reason}
                        for h in planned.plan.held_back
                        if h.agreement_id == agreement_id
                    ],
                    "score_now": planned.plan.score_now,
                    "expected_later": planned.plan.expected_later,
                },
            )
            for agreement_id in planned.agreements
        ],
    )
