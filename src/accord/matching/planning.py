"""Planning over a horizon: this month's pools chosen for the year's total, not the month's.

Families become eligible through the year and each agreement's places are counted per period
(a month, a quarter, a year), so the best pool this month can take places that a better family
arriving in a later month of the same period would need. The planner solves the remaining
months at once — the families known now plus a forecast of the families expected — and commits
only this month. This month's choice is integral and checked by the matcher's own validator;
the later months are an estimate (by default a linear relaxation over expected arrivals), solved
again next month with what has actually arrived.

Months are indices into the horizon: 0 is the month being proposed. Places are as the caller
counts them (what is left under each cap, pool factor applied or not): the planner never
widens them, and a family is only ever placed with an agreement it has a score for (screening
decided it may be proposed) and never before the month it becomes eligible.
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import highspy
import numpy as np
import scipy.sparse as sp

from accord.matching.constraints import violations
from accord.matching.milp import new_highs
from accord.matching.problem import NO_LIMIT, Candidate, FloatArray, Pool, Problem, build_problem

DEFAULT_DISCOUNT = 1.0
"""Weight of a score one month later, per month: none by default, the horizon's total is what
counts. Below 1 it prefers placing sooner; on the benchmark's years even 0.9999 placed worse,
because between equal values, waiting keeps the choice open for what actually arrives."""


class PlanningError(ValueError):
    """Inputs that do not describe a planning problem (a defect in the caller)."""


@dataclass(frozen=True)
class Cap:
    """Places an agreement has left over months `first_month`..`last_month` (both included).

    A monthly cap is one cap per month; a quarterly or yearly cap spans its months, so what one
    month takes the others no longer have. An agreement has places in a month only where a cap
    covers it; overlapping caps (a year's cap and a monthly pace) all hold. `persons` None is a
    cap on families alone (a `families_per_period` cap whose period is not the persons cap's).
    """

    agreement_id: str
    first_month: int
    last_month: int
    persons: int | None
    families: int | None = None


@dataclass(frozen=True, eq=False)
class Family:
    """A family of the caseload: known, with the month it becomes eligible (0: now).

    `scores` has an entry for each agreement the family may be proposed to (screening) and
    nothing else: an agreement without a score is never chosen for it.
    """

    family_id: str
    size: int
    scores: Mapping[str, float]
    eligible_from: int = 0


@dataclass(frozen=True, eq=False)
class ExpectedFamily:
    """A family the forecast expects to become eligible in `month` (≥ 1); `count` may be a
    fraction (an expected number rather than one sampled family)."""

    size: int
    month: int
    scores: Mapping[str, float]
    count: float = 1.0


@dataclass(frozen=True, eq=False)
class Scenario:
    weight: float
    arrivals: tuple[ExpectedFamily, ...]


@dataclass(frozen=True, eq=False)
class Forecast:
    """Future arrivals: one or more scenarios, each weighted. None: plan with the known only."""

    scenarios: tuple[Scenario, ...] = ()

    @classmethod
    def expected(cls, samples: Sequence[Sequence[ExpectedFamily]]) -> Forecast:
        """The average of sampled futures, as one scenario of expected (fractional) families:
        one plan for all of them, blind to how much the futures differ."""
        if not samples:
            return cls()
        share = 1.0 / len(samples)
        pooled = tuple(
            ExpectedFamily(f.size, f.month, f.scores, f.count * share) for s in samples for f in s
        )
        return cls((Scenario(1.0, pooled),))

    @classmethod
    def sampled(cls, samples: Sequence[Sequence[ExpectedFamily]]) -> Forecast:
        """One equally weighted scenario per sampled future: this month's decision is shared,
        the later months are planned per scenario, so the plan sees what waiting is worth when
        the futures differ."""
        return cls(tuple(Scenario(1.0, tuple(s)) for s in samples))


def forecast_from_history(
    past: Sequence[Sequence[Family]], months: int, *, samples: int = 4, seed: int = 0
) -> Forecast:
    """Futures resampled from the months behind, for a horizon of `months` (this one first).

    `past` holds, per past month, the families that became eligible in it, scored against
    today's agreements. Each later month of a sampled future is one past month's arrivals,
    drawn at random: no model of arrivals to fit, and the spread between months is kept.
    """
    if not past or months < 2:
        return Forecast()
    rng = np.random.default_rng(seed)
    futures = []
    for _ in range(samples):
        future: list[ExpectedFamily] = []
        for month in range(1, months):
            drawn = past[int(rng.integers(len(past)))]
            future.extend(ExpectedFamily(f.size, month, f.scores) for f in drawn)
        futures.append(future)
    return Forecast.sampled(futures)


@dataclass(frozen=True, eq=False)
class PlanningProblem:
    months: tuple[str, ...]
    """Labels of the horizon's months (used in the reasons); `months[0]` is being proposed."""
    caps: tuple[Cap, ...]
    families: tuple[Family, ...]
    forecast: Forecast = field(default_factory=Forecast)

    @property
    def agreements(self) -> tuple[str, ...]:
        return tuple(sorted({c.agreement_id for c in self.caps}))


@dataclass(frozen=True)
class Placement:
    family_id: str
    agreement_id: str
    month: int
    size: int
    score: float


@dataclass(frozen=True)
class HeldBack:
    """Places of an agreement this month's pool leaves free although a waiting family fits."""

    agreement_id: str
    places: int
    later_months: tuple[str, ...]
    """Months in which the plan expects to use the places of the same period."""
    later_score_per_person: float | None
    waiting_score_per_person: float
    """The best score per person among the families waiting now that would fit."""
    reason: str


@dataclass(frozen=True)
class Deferred:
    """A family eligible now that the plan places in a later month rather than now."""

    family_id: str
    agreement_id: str
    month: str
    likelihood: float
    """Weight of the scenarios (or share of the expected plan) that place it there."""


@dataclass(frozen=True)
class MonthPlan:
    month: str
    chosen: tuple[Placement, ...]
    held_back: tuple[HeldBack, ...]
    deferred: tuple[Deferred, ...]
    score_now: float
    expected_later: float
    """What the plan expects the later months to add (an estimate, discounted)."""
    optimal: bool
    """HiGHS proved the plan within the relative gap asked for."""
    seconds: float

    def pools(self) -> dict[str, tuple[str, ...]]:
        """This month's families per agreement, best first."""
        by_agreement: dict[str, list[Placement]] = defaultdict(list)
        for p in self.chosen:
            by_agreement[p.agreement_id].append(p)
        return {
            a: tuple(p.family_id for p in sorted(ps, key=lambda p: (-p.score, p.family_id)))
            for a, ps in sorted(by_agreement.items())
        }


@dataclass(frozen=True)
class Schedule:
    """Placements over the whole horizon, with HiGHS's proof of how good they are."""

    placements: tuple[Placement, ...]
    objective: float
    bound: float
    optimal: bool
    seconds: float


# The model: one column per way a family can be placed (agreement, segment of months), rows
# written once and used both to build the MILP and to check any schedule.


@dataclass(frozen=True)
class _Segment:
    """Consecutive months in which an agreement's caps are the same: a family placed in any
    of them uses the same places, so the model needs one column for all of them."""

    agreement: int
    first: int
    last: int
    caps: tuple[int, ...]


@dataclass
class _Model:
    score: list[float] = field(default_factory=list)
    """Objective coefficient: scenario weight and discount applied."""
    raw_score: list[float] = field(default_factory=list)
    size: list[int] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    integral: list[bool] = field(default_factory=list)
    agreement: list[int] = field(default_factory=list)
    month: list[int] = field(default_factory=list)
    segment: list[int] = field(default_factory=list)
    scenario: list[int] = field(default_factory=list)
    """-1 for this month's columns, shared by every scenario."""
    family: list[int] = field(default_factory=list)
    """Index of the known family, -1 for an expected one."""
    entries: list[tuple[int, int, float]] = field(default_factory=list)
    row_upper: list[float] = field(default_factory=list)
    row_label: list[str] = field(default_factory=list)

    def add_row(self, upper: float, label: str) -> int:
        self.row_upper.append(upper)
        self.row_label.append(label)
        return len(self.row_upper) - 1

    @property
    def n_columns(self) -> int:
        return len(self.score)

    def matrix(self) -> sp.csc_array:
        entries = np.array(self.entries, dtype=np.float64).reshape(-1, 3)
        rows, columns = entries[:, 0].astype(np.int64), entries[:, 1].astype(np.int64)
        return sp.csc_array(
            (entries[:, 2], (rows, columns)), shape=(len(self.row_upper), self.n_columns)
        )


def _check(problem: PlanningProblem) -> None:
    horizon = len(problem.months)
    if horizon < 1:
        raise PlanningError("the horizon has no month")
    for cap in problem.caps:
        if cap.first_month > cap.last_month or min(cap.persons or 0, cap.families or 0) < 0:
            raise PlanningError(f"cap of {cap.agreement_id}: bad months or limits")
    ids = [f.family_id for f in problem.families]
    if len(set(ids)) != len(ids):
        raise PlanningError("a family id appears twice")
    for family in problem.families:
        if family.size < 1 or family.eligible_from < 0:
            raise PlanningError(f"family {family.family_id}: bad size or eligible month")
    for scenario in problem.forecast.scenarios:
        if not scenario.weight > 0:
            raise PlanningError("a scenario's weight is not positive")
        for expected in scenario.arrivals:
            if expected.size < 1 or not 1 <= expected.month < horizon or expected.count < 0:
                raise PlanningError(
                    "an expected family needs a size, a later month within the horizon and a "
                    "non-negative count"
                )


def _segments(problem: PlanningProblem, agreements: Sequence[str]) -> list[list[_Segment]]:
    """Per agreement: month 0 alone, then the later months cut wherever a cap starts or ends;
    only months some cap covers (an agreement without a cap that month has no places)."""
    horizon = len(problem.months)
    caps_of: dict[str, list[int]] = defaultdict(list)
    for index, cap in enumerate(problem.caps):
        caps_of[cap.agreement_id].append(index)
    result = []
    for a, agreement_id in enumerate(agreements):
        cuts = {0, 1, horizon}
        for index in caps_of[agreement_id]:
            cap = problem.caps[index]
            cuts.update(m for m in (cap.first_month, cap.last_month + 1) if 0 <= m <= horizon)
        bounds = sorted(cuts)
        segments = []
        for first, stop in itertools.pairwise(bounds):
            covering = tuple(
                i
                for i in caps_of[agreement_id]
                if problem.caps[i].first_month <= first <= problem.caps[i].last_month
            )
            if covering:
                segments.append(_Segment(a, first, stop - 1, covering))
        result.append(segments)
    return result


def _build(
    problem: PlanningProblem, *, discount: float, integral_later: bool, with_forecast: bool = True
) -> _Model:
    _check(problem)
    agreements = problem.agreements
    agreement_index = {a: i for i, a in enumerate(agreements)}
    segments = _segments(problem, agreements)
    scenarios = problem.forecast.scenarios if with_forecast else ()
    total_weight = sum(s.weight for s in scenarios) or 1.0
    weights = [s.weight / total_weight for s in scenarios] or [1.0]
    model = _Model()
    n_scenarios = len(weights)

    last = len(problem.months) - 1
    cap_rows: dict[tuple[int, int], tuple[int | None, int | None]] = {}
    for s in range(n_scenarios):
        for c, cap in enumerate(problem.caps):
            where = f" (scenario {s + 1})" if n_scenarios > 1 else ""
            span = (
                f"{problem.months[min(max(0, cap.first_month), last)]}.."
                f"{problem.months[min(max(0, cap.last_month), last)]}"
            )
            persons = families = None
            if cap.persons is not None:
                persons = model.add_row(
                    cap.persons,
                    f"{cap.agreement_id} takes at most {cap.persons} people in {span}{where}",
                )
            if cap.families is not None:
                families = model.add_row(
                    cap.families,
                    f"{cap.agreement_id} takes at most {cap.families} families in that period"
                    f"{where}",
                )
            cap_rows[(s, c)] = (persons, families)

    def add_column(
        scores: Mapping[str, float],
        size: int,
        available: int,
        upper: float,
        scenario: int,
        family: int,
        once_rows: Sequence[int],
        first_month: bool,
    ) -> None:
        for agreement_id, score in sorted(scores.items()):
            a = agreement_index.get(agreement_id)
            if a is None or not np.isfinite(score):
                continue
            for k, segment in enumerate(segments[a]):
                if (segment.first == 0) != first_month or segment.last < available:
                    continue
                month = max(segment.first, available)
                column = model.n_columns
                weight = 1.0 if scenario < 0 else weights[scenario]
                model.score.append(weight * score * discount**month)
                model.raw_score.append(float(score))
                model.size.append(size)
                model.upper.append(upper)
                model.integral.append(first_month or integral_later)
                model.agreement.append(a)
                model.month.append(month)
                model.segment.append(k)
                model.scenario.append(scenario)
                model.family.append(family)
                for row in once_rows:
                    model.entries.append((row, column, 1.0))
                for s in range(n_scenarios) if scenario < 0 else (scenario,):
                    for c in segment.caps:
                        persons, families = cap_rows[(s, c)]
                        if persons is not None:
                            model.entries.append((persons, column, float(size)))
                        if families is not None:
                            model.entries.append((families, column, 1.0))

    for f, family in enumerate(problem.families):
        once = [
            model.add_row(
                1.0,
                f"family {family.family_id} is placed at most once"
                + (f" (scenario {s + 1})" if n_scenarios > 1 else ""),
            )
            for s in range(n_scenarios)
        ]
        if family.eligible_from == 0:
            add_column(family.scores, family.size, 0, 1.0, -1, f, once, first_month=True)
        for s in range(n_scenarios):
            add_column(
                family.scores,
                family.size,
                max(1, family.eligible_from),
                1.0,
                s,
                f,
                [once[s]],
                False,
            )
    for s, scenario in enumerate(scenarios):
        for g, expected in enumerate(scenario.arrivals):
            row = model.add_row(
                expected.count, f"expected family {g} of scenario {s + 1}: at most its count"
            )
            add_column(
                expected.scores, expected.size, expected.month, expected.count, s, -1, [row], False
            )
    return model


def _lp(model: _Model) -> highspy.HighsLp:
    n = model.n_columns
    matrix = model.matrix()
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = len(model.row_upper)
    lp.col_cost_ = -np.array(model.score)
    lp.col_lower_ = np.zeros(n)
    lp.col_upper_ = np.array(model.upper)
    lp.row_lower_ = np.full(len(model.row_upper), -highspy.kHighsInf)
    lp.row_upper_ = np.array(model.row_upper, dtype=np.float64)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data
    return lp


def _solve(
    model: _Model, time_limit: float, relative_gap: float
) -> tuple[FloatArray, float, float, bool]:
    """Column values, objective and bound (both in the model's weighted scores), optimal."""
    if model.n_columns == 0:
        return np.zeros(0), 0.0, 0.0, True
    score = np.array(model.score)
    integral = np.array(model.integral, dtype=np.bool_)
    lp = _lp(model)
    if integral.any():
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous
            for flag in integral
        ]
    highs = new_highs(time_limit)
    highs.setOptionValue("mip_rel_gap", relative_gap)
    highs.setOptionValue("mip_abs_gap", 1e-9)
    highs.passModel(lp)
    highs.run()
    info = highs.getInfo()
    if info.primal_solution_status == 0:
        raise PlanningError("HiGHS found no plan in time")
    values = np.asarray(highs.getSolution().col_value)
    values = np.where(integral, np.round(values), values)
    objective = float(score @ values)
    bound = -float(info.mip_dual_bound) if integral.any() else objective
    optimal = highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return values, objective, max(bound, objective), optimal


def this_month_problem(problem: PlanningProblem) -> Problem:
    """This month alone as the matcher's problem: the families eligible now, and per agreement
    the places every cap covering this month still has. Myopic matching solves exactly this;
    the planner's choice for this month is validated against it."""
    _check(problem)
    present = [f for f in problem.families if f.eligible_from == 0]
    everyone = sum(f.size for f in present)
    pools = []
    for agreement_id in problem.agreements:
        covering = [
            c
            for c in problem.caps
            if c.agreement_id == agreement_id and c.first_month <= 0 <= c.last_month
        ]
        if not covering:
            continue
        person_limits = [c.persons for c in covering if c.persons is not None]
        family_limits = [c.families for c in covering if c.families is not None]
        pools.append(
            Pool(
                agreement_id,
                min(person_limits) if person_limits else everyone,
                min(family_limits) if family_limits else NO_LIMIT,
            )
        )
    open_ids = {p.agreement_id for p in pools}
    return build_problem(
        [(f.family_id, f.size, None) for f in present],
        pools,
        [
            Candidate(f.family_id, a, s)
            for f in present
            for a, s in sorted(f.scores.items())
            if a in open_ids
        ],
    )


def month_violations(problem: PlanningProblem, chosen: Sequence[Placement]) -> list[str]:
    """Every way a choice for this month breaks the month's constraints (the matcher's own
    validator, over `this_month_problem`); empty when it may be proposed."""
    month_problem = this_month_problem(problem)
    index = {family_id: i for i, family_id in enumerate(month_problem.family_ids)}
    pool_index = {p.agreement_id: j for j, p in enumerate(month_problem.pools)}
    assignment = np.full(month_problem.n_families, -1, dtype=np.int64)
    found = []
    for p in chosen:
        if p.month != 0:
            found.append(f"family {p.family_id} is placed in month {p.month}, not this month")
        elif p.family_id not in index:
            found.append(f"family {p.family_id} is not eligible this month")
        elif p.agreement_id not in pool_index:
            found.append(f"{p.agreement_id} has no places this month")
        elif assignment[index[p.family_id]] >= 0:
            found.append(f"family {p.family_id} is chosen twice")
        else:
            assignment[index[p.family_id]] = pool_index[p.agreement_id]
    return found + violations(month_problem, assignment)


def schedule_violations(problem: PlanningProblem, placements: Sequence[Placement]) -> list[str]:
    """Every way a schedule over the horizon breaks a cap, places a family twice, before it
    is eligible or with an agreement it has no score for; empty when lawful and feasible.

    The rows are the planning model's own (forecast left out), so what the planner is asked to
    respect and what is checked are written once."""
    model = _build(problem, discount=1.0, integral_later=True, with_forecast=False)
    families = {f.family_id: (i, f) for i, f in enumerate(problem.families)}
    agreements = problem.agreements
    segments = _segments(problem, agreements)
    column_of = {
        (model.family[c], model.agreement[c], model.segment[c]): c for c in range(model.n_columns)
    }
    x = np.zeros(model.n_columns)
    found = []
    for p in placements:
        known = families.get(p.family_id)
        if known is None:
            found.append(f"family {p.family_id} is not in the caseload")
            continue
        f, family = known
        if not 0 <= p.month < len(problem.months):
            found.append(f"family {p.family_id} is placed outside the horizon (month {p.month})")
            continue
        if p.month < family.eligible_from:
            found.append(
                f"family {p.family_id} is placed in {problem.months[p.month]}, before it is "
                f"eligible ({problem.months[family.eligible_from]})"
            )
            continue
        a = agreements.index(p.agreement_id) if p.agreement_id in agreements else -1
        k = next((k for k, seg in enumerate(segments[a]) if seg.first <= p.month <= seg.last), -1)
        column = column_of.get((f, a, k)) if a >= 0 and k >= 0 else None
        if column is None:
            found.append(
                f"family {p.family_id} cannot go to {p.agreement_id} in "
                f"{problem.months[p.month]}: not eligible for it, or no places then"
            )
            continue
        x[column] += 1.0
    excess = model.matrix() @ x - np.array(model.row_upper)
    found.extend(model.row_label[int(i)] for i in np.flatnonzero(excess > 1e-9))
    return found


def best_schedule(
    problem: PlanningProblem, *, time_limit: float = 60.0, relative_gap: float = 1e-7
) -> Schedule:
    """The best schedule when every family and its eligible month are known in advance.

    No month-by-month policy can beat it (each of their schedules is one of its candidates),
    so it is the yardstick the planner is measured against; any forecast is ignored."""
    started = time.perf_counter()
    model = _build(problem, discount=1.0, integral_later=True, with_forecast=False)
    values, objective, bound, optimal = _solve(model, time_limit, relative_gap)
    placements = _placements(problem, model, values, scenario=None)
    found = schedule_violations(problem, placements)
    if found:
        raise AssertionError(f"the schedule breaks its constraints: {found[:5]}")
    return Schedule(placements, objective, bound, optimal, time.perf_counter() - started)


def _placements(
    problem: PlanningProblem, model: _Model, values: FloatArray, scenario: int | None
) -> tuple[Placement, ...]:
    """Known families' integral placements: this month's, or all (when `scenario` is None)."""
    agreements = problem.agreements
    result = []
    for c in np.flatnonzero(values > 0.5):
        f = model.family[c]
        if f < 0 or (scenario is not None and model.scenario[c] != scenario):
            continue
        family = problem.families[f]
        result.append(
            Placement(
                family.family_id,
                agreements[model.agreement[c]],
                model.month[c],
                family.size,
                model.raw_score[c],
            )
        )
    return tuple(sorted(result, key=lambda p: (p.month, p.agreement_id, -p.score, p.family_id)))


def plan_month(
    problem: PlanningProblem,
    *,
    discount: float = DEFAULT_DISCOUNT,
    integral_later: bool = False,
    time_limit: float = 30.0,
    relative_gap: float = 1e-3,
) -> MonthPlan:
    """This month's families per agreement, chosen for the horizon's total score.

    Later months are planned with the known families and the forecast (relaxed unless
    `integral_later`), then dropped: only this month's choice is returned, with what it held
    back for later and why. The choice is checked against this month's caps before it is
    returned, so an infeasible pool raises rather than reaches a proposal.

    The default gap (0.1 % of the horizon's value) is far below what the forecast is known to:
    closing it further only spends time choosing between near-equal plans.
    """
    started = time.perf_counter()
    model = _build(problem, discount=discount, integral_later=integral_later)
    values, objective, _, optimal = _solve(model, time_limit, relative_gap)
    chosen = _bring_forward(problem, model, values, _placements(problem, model, values, -1))
    found = month_violations(problem, chosen)
    if found:
        raise AssertionError(f"the planner chose an infeasible pool: {found[:5]}")
    score_now = sum(p.score for p in chosen)
    held_back, deferred = _explain(problem, model, values, chosen)
    return MonthPlan(
        problem.months[0],
        chosen,
        held_back,
        deferred,
        score_now,
        objective - score_now,
        optimal,
        time.perf_counter() - started,
    )


def _bring_forward(
    problem: PlanningProblem, model: _Model, values: FloatArray, chosen: tuple[Placement, ...]
) -> tuple[Placement, ...]:
    """Nobody waits for nothing: a family eligible now that the plan places later, in every
    scenario, within the very caps that cover this month, takes the same place now, when those
    caps keep room for another family like it in every scenario (the caps' totals and the
    plan's value are unchanged; the plan gives up no choice it may need when news comes)."""
    scenarios = problem.forecast.scenarios
    total_weight = sum(s.weight for s in scenarios) or 1.0
    weights = [s.weight / total_weight for s in scenarios] or [1.0]

    def covering(agreement_id: str, month: int) -> frozenset[int]:
        return frozenset(
            i
            for i, cap in enumerate(problem.caps)
            if cap.agreement_id == agreement_id and cap.first_month <= month <= cap.last_month
        )

    taken = {p.family_id for p in chosen}
    columns = np.flatnonzero(values > 1e-6)
    in_scenarios = sorted({model.scenario[c] for c in columns if model.scenario[c] >= 0}) or [0]

    def slack(agreement_id: str) -> float:
        """The least room any cap covering this month keeps, over the scenarios."""
        a = problem.agreements.index(agreement_id)
        least = float("inf")
        for i in covering(agreement_id, 0):
            cap = problem.caps[i]
            if cap.persons is None:
                continue
            for scenario in in_scenarios:
                used = sum(
                    float(values[c]) * model.size[c]
                    for c in columns
                    if model.agreement[c] == a
                    and model.scenario[c] in (-1, scenario)
                    and cap.first_month <= model.month[c] <= cap.last_month
                )
                least = min(least, cap.persons - used)
        return least

    later: dict[tuple[int, int], float] = defaultdict(float)
    for c in columns:
        f, a, month = model.family[c], model.agreement[c], model.month[c]
        if f < 0 or model.scenario[c] < 0 or month == 0:
            continue
        family = problem.families[f]
        agreement_id = problem.agreements[a]
        if family.eligible_from != 0 or family.family_id in taken:
            continue
        if covering(agreement_id, month) == covering(agreement_id, 0):
            later[(f, a)] += weights[model.scenario[c]] * float(values[c])
    moved = list(chosen)
    room: dict[str, float] = {}
    for (f, a), share in sorted(later.items(), key=lambda kv: -kv[1]):
        family, agreement_id = problem.families[f], problem.agreements[a]
        if agreement_id not in room:
            room[agreement_id] = slack(agreement_id)  # moving keeps the caps' totals: once
        if share < 1 - 1e-6 or family.family_id in taken or room[agreement_id] < family.size:
            continue
        trial = [
            *moved,
            Placement(family.family_id, agreement_id, 0, family.size, family.scores[agreement_id]),
        ]
        if not month_violations(problem, trial):
            moved, taken = trial, taken | {family.family_id}
    return tuple(moved)


def _explain(
    problem: PlanningProblem, model: _Model, values: FloatArray, chosen: Sequence[Placement]
) -> tuple[tuple[HeldBack, ...], tuple[Deferred, ...]]:
    """Why places that a waiting family could have taken are left free, and who waits."""
    agreements = problem.agreements
    scenarios = problem.forecast.scenarios
    total_weight = sum(s.weight for s in scenarios) or 1.0
    weights = [s.weight / total_weight for s in scenarios] or [1.0]
    month_problem = this_month_problem(problem)
    chosen_ids = {p.family_id for p in chosen}
    held: list[HeldBack] = []
    for pool in month_problem.pools:
        used = [p for p in chosen if p.agreement_id == pool.agreement_id]
        room = pool.person_limit - sum(p.size for p in used)
        family_room = pool.family_limit - len(used) if pool.family_limit != NO_LIMIT else room
        if room <= 0 or family_room <= 0:
            continue
        waiting = [
            f
            for f in problem.families
            if f.eligible_from == 0
            and f.family_id not in chosen_ids
            and f.size <= room
            and np.isfinite(f.scores.get(pool.agreement_id, np.nan))
        ]
        if not waiting:
            continue
        waiting_best = float(max(f.scores[pool.agreement_id] / f.size for f in waiting))
        a = agreements.index(pool.agreement_id)
        spanning = {
            c
            for c, cap in enumerate(problem.caps)
            if cap.agreement_id == pool.agreement_id and cap.first_month <= 0 < cap.last_month
        }
        persons_by_month: dict[int, float] = defaultdict(float)
        score_later = expected_persons = 0.0
        for c in np.flatnonzero(values > 1e-6):
            if model.agreement[c] != a or model.scenario[c] < 0:
                continue
            if not any(
                problem.caps[i].first_month <= model.month[c] <= problem.caps[i].last_month
                for i in spanning
            ):
                continue
            share = weights[model.scenario[c]] * float(values[c])
            persons_by_month[model.month[c]] += share * model.size[c]
            score_later += share * model.raw_score[c]
            expected_persons += share * model.size[c] if model.family[c] < 0 else 0.0
        later_persons = sum(persons_by_month.values())
        busiest = sorted(sorted(persons_by_month, key=lambda m: -persons_by_month[m])[:3])
        months = tuple(problem.months[m] for m in busiest)
        places = f"{room} place{'s' if room != 1 else ''} of {pool.agreement_id}"
        if later_persons > 1e-6:
            later = score_later / later_persons
            better = " with higher scores" if later > waiting_best else ""
            kind = "expected" if expected_persons >= later_persons / 2 else "planned"
            reason = (
                f"kept {places} for families {kind} in {', '.join(months)}{better}"
                f" ({later:.2f} per person against {waiting_best:.2f} for the best family"
                " waiting now that fits)"
            )
            held.append(HeldBack(pool.agreement_id, room, months, later, waiting_best, reason))
        else:
            reason = (
                f"{places} left free this month: the families waiting that fit are planned "
                "for other agreements or later months, where they score more"
            )
            held.append(HeldBack(pool.agreement_id, room, (), None, waiting_best, reason))
    deferred = _deferred(problem, model, values, weights, chosen_ids)
    return tuple(held), deferred


def _deferred(
    problem: PlanningProblem,
    model: _Model,
    values: FloatArray,
    weights: Sequence[float],
    chosen_ids: set[str],
) -> tuple[Deferred, ...]:
    likelihood: dict[tuple[int, int, int], float] = defaultdict(float)
    for c in np.flatnonzero(values > 1e-6):
        f = model.family[c]
        if f < 0 or model.scenario[c] < 0:
            continue
        family = problem.families[f]
        if family.eligible_from == 0 and family.family_id not in chosen_ids:
            likelihood[(f, model.agreement[c], model.month[c])] += (
                weights[model.scenario[c]] * values[c]
            )
    best: dict[int, tuple[float, int, int]] = {}
    for (f, a, month), share in likelihood.items():
        if share > best.get(f, (0.0, 0, 0))[0]:
            best[f] = (share, a, month)
    return tuple(
        Deferred(
            problem.families[f].family_id,
            problem.agreements[a],
            problem.months[month],
            round(float(share), 6),
        )
        for f, (share, a, month) in sorted(best.items())
        if share >= 0.5
    )
