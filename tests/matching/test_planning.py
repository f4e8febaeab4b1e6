"""The planner over a horizon: lawful pools every month, places kept for better families
expected later, and its place between myopic matching and hindsight."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import numpy as np
import pytest

from accord.matching.planning import (
    Cap,
    ExpectedFamily,
    Family,
    Forecast,
    Placement,
    PlanningError,
    PlanningProblem,
    best_schedule,
    forecast_from_history,
    month_violations,
    plan_month,
    schedule_violations,
    this_month_problem,
)
from accord.matching.solver import solve

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun")
CAPS = (
    Cap("quarterly", 0, 2, 7),
    Cap("quarterly", 3, 5, 7),
    *(Cap("monthly", m, m, 3, families=1) for m in range(6)),
)


def people(cap: Cap) -> int:
    assert cap.persons is not None  # every cap of CAPS counts people
    return cap.persons


def draw(rng: np.random.Generator, first_month: int, prefix: str) -> list[Family]:
    """Families becoming eligible from `first_month` on, from one fixed distribution."""
    families = []
    for month in range(first_month, len(MONTHS)):
        for i in range(int(rng.poisson(4 if month else 6))):
            size = int(rng.integers(1, 5))
            quality = float(rng.lognormal(0.0, 0.5))
            scores = {
                a: round(size * quality * float(rng.uniform(0.5, 1.5)), 3)
                for a in ("quarterly", "monthly")
                if rng.random() < 0.7
            }
            if scores:
                families.append(Family(f"{prefix}{month}-{i}", size, scores, month))
    return families


Policy = Callable[[PlanningProblem, int], Sequence[Placement]]


def replay(
    families: Sequence[Family],
    policy: Policy,
    forecast_samples: int = 0,
    forecast_from: Callable[[Sequence[Sequence[ExpectedFamily]]], Forecast] = Forecast.expected,
) -> float:
    """Month by month, each month's pools checked here (not by the planner) before they count."""
    used = [[0, 0] for _ in CAPS]
    placed: set[str] = set()
    total = 0.0
    by_id = {f.family_id: f for f in families}
    samples = [draw(np.random.default_rng([99, k]), 1, "X") for k in range(forecast_samples)]
    for month in range(len(MONTHS)):
        caps = tuple(
            Cap(
                c.agreement_id,
                c.first_month - month,
                c.last_month - month,
                people(c) - u[0],
                None if c.families is None else c.families - u[1],
            )
            for c, u in zip(CAPS, used, strict=True)
            if c.last_month >= month
        )
        waiting = tuple(
            Family(f.family_id, f.size, f.scores)
            for f in families
            if f.eligible_from <= month and f.family_id not in placed
        )
        forecast = forecast_from(
            [
                [ExpectedFamily(f.size, f.eligible_from - month, f.scores) for f in sample]
                for sample in ([f for f in s if f.eligible_from > month] for s in samples)
            ]
        )
        problem = PlanningProblem(MONTHS[month:], caps, waiting, forecast)
        chosen = list(policy(problem, month))
        assert month_violations(problem, chosen) == []
        for p in chosen:
            family = by_id[p.family_id]
            assert p.month == 0
            assert family.eligible_from <= month, "placed before it is eligible"
            assert p.family_id not in placed, "placed twice"
            assert p.agreement_id in family.scores, "placed where it may not be proposed"
            placed.add(p.family_id)
            total += family.scores[p.agreement_id]
            for c, u in zip(CAPS, used, strict=True):
                if c.agreement_id == p.agreement_id and c.first_month <= month <= c.last_month:
                    u[0] += family.size
                    u[1] += 1
        for c, u in zip(CAPS, used, strict=True):
            assert u[0] <= people(c) and (c.families is None or u[1] <= c.families), c
    return total


def planner(problem: PlanningProblem, month: int) -> Sequence[Placement]:
    return plan_month(problem).chosen


def myopic(problem: PlanningProblem, month: int) -> Sequence[Placement]:
    month_problem = this_month_problem(problem)
    solution = solve(month_problem, time_limit=10.0)
    return [
        Placement(
            month_problem.family_ids[f],
            month_problem.pools[int(solution.assignment[f])].agreement_id,
            0,
            int(month_problem.family_size[f]),
            0.0,
        )
        for f in np.flatnonzero(solution.assignment >= 0)
    ]


def hindsight(families: Sequence[Family]) -> float:
    schedule = best_schedule(PlanningProblem(MONTHS, CAPS, tuple(families)))
    assert schedule.optimal
    assert (
        schedule_violations(PlanningProblem(MONTHS, CAPS, tuple(families)), schedule.placements)
        == []
    )
    return schedule.objective


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("forecast_from", [Forecast.expected, Forecast.sampled])
def test_every_month_of_the_planner_is_lawful_and_within_caps(
    seed: int, forecast_from: Callable[[Sequence[Sequence[ExpectedFamily]]], Forecast]
) -> None:
    families = draw(np.random.default_rng(seed), 0, "F")
    assert replay(families, planner, 4, forecast_from) > 0


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_the_planner_is_near_or_above_myopic_and_never_above_hindsight(seed: int) -> None:
    families = draw(np.random.default_rng(seed), 0, "F")
    planned = replay(families, planner, forecast_samples=4)
    best = hindsight(families)
    assert planned <= best + 1e-6
    assert planned >= replay(families, myopic) - 0.01 * best


# A constructed case: one better family is known to come next month.

TWO_MONTHS = ("March", "April")
SHARED = (Cap("demo-xk-year", 0, 1, 4),)
NOW = Family("F-now", 4, {"demo-xk-year": 4.0})
LATER = ExpectedFamily(4, 1, {"demo-xk-year": 12.0})


@pytest.mark.parametrize("integral_later", [False, True])
def test_the_planner_keeps_places_for_a_better_family_expected_later(integral_later: bool) -> None:
    problem = PlanningProblem(TWO_MONTHS, SHARED, (NOW,), Forecast.expected([[LATER]]))
    plan = plan_month(problem, integral_later=integral_later)
    assert plan.chosen == ()
    (held,) = plan.held_back
    assert held.agreement_id == "demo-xk-year" and held.places == 4
    assert held.later_months == ("April",)
    assert held.reason.startswith("kept 4 places of demo-xk-year for families expected in April")
    assert plan.expected_later == pytest.approx(12.0)


def test_myopic_matching_spends_those_places_now() -> None:
    problem = PlanningProblem(TWO_MONTHS, SHARED, (NOW,), Forecast.expected([[LATER]]))
    solution = solve(this_month_problem(problem))
    assert solution.assignment.tolist() == [0]


def test_places_are_not_held_for_families_no_better_than_those_waiting() -> None:
    """(Without a discount, F-now now or F-now in April would be a tie.)"""
    worse = ExpectedFamily(4, 1, {"demo-xk-year": 3.0})
    problem = PlanningProblem(TWO_MONTHS, SHARED, (NOW,), Forecast.expected([[worse]]))
    plan = plan_month(problem, discount=0.99)
    assert [p.family_id for p in plan.chosen] == ["F-now"] and plan.held_back == ()


def test_a_discount_places_a_family_now_rather_than_later_for_the_same_score() -> None:
    plan = plan_month(PlanningProblem(TWO_MONTHS, SHARED, (NOW,)), discount=0.99)
    assert [p.family_id for p in plan.chosen] == ["F-now"]


def test_sampled_scenarios_share_this_months_decision_and_not_the_later_ones() -> None:
    """Held for the family three scenarios in four expect; in the fourth, F-now goes in April."""
    forecast = Forecast.sampled([[LATER], [LATER], [LATER], []])
    plan = plan_month(PlanningProblem(TWO_MONTHS, SHARED, (NOW,), forecast))
    assert plan.chosen == ()
    assert plan.expected_later == pytest.approx((3 * 12.0 + 4.0) / 4)


def test_a_family_better_placed_later_elsewhere_is_deferred() -> None:
    """Only April has places under demo-b; demo-a's March place goes to the other family."""
    caps = (Cap("demo-a", 0, 0, 2), Cap("demo-b", 1, 1, 2))
    families = (
        Family("F-both", 2, {"demo-a": 3.0, "demo-b": 10.0}),
        Family("F-a", 2, {"demo-a": 2.0}),
    )
    plan = plan_month(PlanningProblem(TWO_MONTHS, caps, families))
    assert plan.pools() == {"demo-a": ("F-a",)}
    (deferred,) = plan.deferred
    assert (deferred.family_id, deferred.agreement_id, deferred.month) == (
        "F-both",
        "demo-b",
        "April",
    )


def test_a_family_never_goes_before_its_month_nor_where_it_has_no_score() -> None:
    caps = (Cap("demo-a", 0, 1, 10),)
    families = (Family("F-later", 2, {"demo-a": 50.0}, 1), Family("F-elsewhere", 1, {"x": 9.0}))
    plan = plan_month(PlanningProblem(TWO_MONTHS, caps, families))
    assert plan.chosen == ()


def test_a_cap_on_families_alone_limits_families_not_people() -> None:
    caps = (Cap("a", 0, 1, None, families=1),)
    families = (Family("F-big", 6, {"a": 7.0}), Family("F-small", 1, {"a": 2.0}))
    plan = plan_month(PlanningProblem(TWO_MONTHS, caps, families))
    assert [p.family_id for p in plan.chosen] in ([], ["F-big"])
    assert plan.score_now + plan.expected_later == pytest.approx(7.0)
    assert month_violations(
        PlanningProblem(TWO_MONTHS, caps, families),
        [Placement("F-big", "a", 0, 6, 7.0), Placement("F-small", "a", 0, 1, 2.0)],
    ) == ["pool a holds at most 1 families"]


# Hindsight against brute force, and the schedule check from failing cases.


def brute_force(problem: PlanningProblem) -> float:
    options: list[list[tuple[str, int] | None]] = [
        [None] + [(a, m) for a in f.scores for m in range(f.eligible_from, len(problem.months))]
        for f in problem.families
    ]
    best = 0.0
    for choice in itertools.product(*options):
        placements = [
            Placement(f.family_id, pick[0], pick[1], f.size, f.scores[pick[0]])
            for f, pick in zip(problem.families, choice, strict=True)
            if pick is not None
        ]
        if not schedule_violations(problem, placements):
            best = max(best, sum(p.score for p in placements))
    return best


@pytest.mark.parametrize("seed", range(6))
def test_hindsight_is_the_best_schedule(seed: int) -> None:
    rng = np.random.default_rng(seed)
    caps = (Cap("a", 0, 1, 4), Cap("a", 2, 2, 3), Cap("b", 0, 2, 5, families=2))
    families = tuple(
        Family(
            f"F{i}",
            int(rng.integers(1, 4)),
            {a: float(rng.integers(1, 10)) for a in ("a", "b") if rng.random() < 0.7},
            int(rng.integers(0, 3)),
        )
        for i in range(5)
    )
    problem = PlanningProblem(("m0", "m1", "m2"), caps, families)
    assert best_schedule(problem).objective == pytest.approx(brute_force(problem))


def test_the_schedule_check_names_each_broken_rule() -> None:
    caps = (Cap("a", 0, 1, 3, families=1),)
    families = (Family("F1", 2, {"a": 1.0}, 1), Family("F2", 2, {"a": 1.0}), Family("F3", 1, {}))
    problem = PlanningProblem(TWO_MONTHS, caps, families)
    early = [Placement("F1", "a", 0, 2, 1.0)]
    assert schedule_violations(problem, early) == [
        "family F1 is placed in March, before it is eligible (April)"
    ]
    twice = [Placement("F2", "a", 0, 2, 1.0), Placement("F2", "a", 1, 2, 1.0)]
    assert "family F2 is placed at most once" in schedule_violations(problem, twice)
    over = [Placement("F1", "a", 1, 2, 1.0), Placement("F2", "a", 0, 2, 1.0)]
    assert schedule_violations(problem, over) == [
        "a takes at most 3 people in March..April",
        "a takes at most 1 families in that period",
    ]
    assert schedule_violations(problem, [Placement("F3", "a", 0, 1, 0.0)]) == [
        "family F3 cannot go to a in March: not eligible for it, or no places then"
    ]


def test_month_check_refuses_a_family_not_yet_eligible() -> None:
    caps = (Cap("a", 0, 1, 3),)
    problem = PlanningProblem(TWO_MONTHS, caps, (Family("F1", 2, {"a": 1.0}, 1),))
    assert month_violations(problem, [Placement("F1", "a", 0, 2, 1.0)]) == [
        "family F1 is not eligible this month"
    ]


@pytest.mark.parametrize(
    "problem",
    [
        PlanningProblem((), (), ()),
        PlanningProblem(TWO_MONTHS, (Cap("a", 1, 0, 3),), ()),
        PlanningProblem(TWO_MONTHS, (), (NOW, NOW)),
        PlanningProblem(TWO_MONTHS, (), (Family("F", 0, {}),)),
        PlanningProblem(TWO_MONTHS, (), (), Forecast.expected([[ExpectedFamily(1, 0, {})]])),
        PlanningProblem(TWO_MONTHS, (), (), Forecast.expected([[ExpectedFamily(1, 2, {})]])),
    ],
)
def test_inputs_that_are_not_a_planning_problem_are_refused(problem: PlanningProblem) -> None:
    with pytest.raises(PlanningError):
        plan_month(problem)


def test_a_forecast_from_history_resamples_past_months() -> None:
    past = [[Family("P1", 2, {"a": 1.0})], [], [Family("P2", 3, {"b": 2.0}), NOW]]
    forecast = forecast_from_history(past, 4, samples=3, seed=7)

    def drawn(forecast: Forecast) -> list[list[tuple[int, int]]]:
        return [[(f.month, f.size) for f in s.arrivals] for s in forecast.scenarios]

    assert drawn(forecast) == drawn(forecast_from_history(past, 4, samples=3, seed=7))
    assert len(forecast.scenarios) == 3
    for scenario in forecast.scenarios:
        assert {f.month for f in scenario.arrivals} <= {1, 2, 3}
        assert {(f.size, tuple(f.scores)) for f in scenario.arrivals} <= {
            (2, ("a",)),
            (3, ("b",)),
            (4, ("demo-xk-year",)),
        }
    assert forecast_from_history([], 4).scenarios == ()
