"""The network route (one-person families as a min-cost flow) against HiGHS's MILP: the same
optimum, a true bound whether or not the scores are exact integers, pins kept, and the rule
that chooses it only where the flow is the whole problem."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.matching import network
from accord.matching.constraints import violations
from accord.matching.milp import solve_milp
from accord.matching.problem import NO_LIMIT, Candidate, Pool, Problem, ProblemError, build_problem
from accord.matching.solver import choose_method, solve


def unit_families(
    seed: int,
    n_families: int = 40,
    n_pools: int = 5,
    *,
    integer_scores: bool = False,
    pins: int = 0,
    sizes: tuple[int, ...] = (1,),
) -> Problem:
    """Families of `sizes` people (one by default), some without a nationality; pools with
    and without families limits and shares; scores drawn as floats (some below 0) or small
    integers; `pins` families pinned into one of their pools."""
    rng = np.random.default_rng(seed)
    groups = [None, "N0", "N0", "N1", "N2"]
    eligible = rng.random((n_families, n_pools)) < 0.5
    scores = (
        rng.integers(1, 6, (n_families, n_pools)).astype(float)
        if integer_scores
        else rng.uniform(-2.0, 9.7, (n_families, n_pools))  # a pair may be worth less than none
    )
    pools = [
        Pool(
            f"A{j}",
            int(rng.integers(2, 12)),
            int(rng.integers(1, 10)) if rng.random() < 0.5 else NO_LIMIT,
            float(rng.choice([1.0, 0.5, 0.35])),
        )
        for j in range(n_pools)
    ]
    pairs = list(zip(*np.nonzero(eligible), strict=True))
    pinned = {}
    for f, p in pairs:
        if len(pinned) < pins and f not in pinned:
            pinned[f] = p
    return build_problem(
        [
            (f"F{i}", int(rng.choice(sizes)), groups[int(rng.integers(0, len(groups)))])
            for i in range(n_families)
        ],
        pools,
        [Candidate(f"F{f}", f"A{p}", float(scores[f, p])) for f, p in pairs],
        pinned_in=[(f"F{f}", f"A{p}") for f, p in pinned.items()],
    )


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), integer_scores=st.booleans(), pins=st.integers(0, 3))
def test_the_flow_finds_the_milps_optimum_with_a_true_bound(
    seed: int, integer_scores: bool, pins: int
) -> None:
    problem = unit_families(seed, integer_scores=integer_scores, pins=pins)
    reference = solve_milp(problem, time_limit=30)
    if not network.applies(problem):  # the pins alone overfill a pool: nothing is feasible
        assert pins > 0 and reference.objective == -np.inf
        return
    assert reference.optimal
    solution = solve(problem)
    assert solution.method == "network"
    assert violations(problem, solution.assignment) == []
    assert solution.status == "optimal"
    assert solution.objective == pytest.approx(reference.objective, rel=1e-9, abs=1e-9)
    assert solution.bound >= reference.objective - 1e-9
    assert solution.bound - solution.objective <= 1e-9 * max(1.0, solution.objective)
    pinned = np.flatnonzero(problem.pinned_in)
    assert (solution.assignment[problem.pair_family[pinned]] == problem.pair_pool[pinned]).all()


def test_integer_scores_are_solved_exactly_and_their_bound_is_the_optimum() -> None:
    problem = unit_families(7, 200, 8, integer_scores=True)
    flow = network.solve_flow(problem)
    assert flow.scale == 1.0
    assert flow.bound == flow.objective
    assert flow.objective == pytest.approx(solve_milp(problem, time_limit=30).objective)


def test_scores_no_factor_makes_exact_are_scaled_and_the_bound_counts_the_rounding() -> None:
    problem = unit_families(8, 200, 8)
    flow = network.solve_flow(problem)
    assert flow.scale > 1_000_000 and np.log2(flow.scale).is_integer()
    assert flow.bound > flow.objective  # what rounding could have hidden is added
    assert flow.bound - flow.objective < 1e-6
    assert flow.objective == pytest.approx(solve_milp(problem, time_limit=30).objective)


def test_decimal_scores_use_the_decimal_factor() -> None:
    problem = build_problem(
        [("F0", 1, None), ("F1", 1, None)],
        [Pool("A0", 1)],
        [Candidate("F0", "A0", 2.5), Candidate("F1", "A0", 2.75)],
    )
    flow = network.solve_flow(problem)
    assert (flow.scale, flow.bound, flow.objective) == (4.0, 2.75, 2.75)


def test_the_route_is_chosen_only_for_one_person_families_whose_pins_fit() -> None:
    assert choose_method(unit_families(1)) == "network"
    families = unit_families(1, sizes=(1, 2))
    assert choose_method(families) != "network"
    with pytest.raises(ProblemError, match="one-person families"):
        solve(families, method="network")
    overfilled = build_problem(
        [("F0", 1, None), ("F1", 1, None)],
        [Pool("A0", 1)],
        [Candidate("F0", "A0", 1.0), Candidate("F1", "A0", 1.0)],
        pinned_in=[("F0", "A0"), ("F1", "A0")],
    )
    assert not network.applies(overfilled)
    with pytest.raises(ProblemError, match="pinned families alone exceed"):
        solve(overfilled)


def test_a_pin_is_kept_even_where_it_costs_the_pool_a_better_family() -> None:
    problem = build_problem(
        [("F0", 1, "N0"), ("F1", 1, "N0"), ("F2", 1, "N1")],
        [Pool("A0", 2, NO_LIMIT, 0.5)],  # at most one person of each nationality
        [Candidate("F0", "A0", 9.0), Candidate("F1", "A0", 1.0), Candidate("F2", "A0", 3.0)],
        pinned_in=[("F1", "A0")],
    )
    solution = solve(problem)
    assert solution.method == "network"
    assert solution.assignment.tolist() == [-1, 0, 0]
    assert (solution.objective, solution.status) == (4.0, "optimal")


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_a_restricted_first_flow_is_completed_by_pricing_until_the_bound_proves_it(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As on national-scale problems: the first flow gets only the pairs near each family's
    best at a sample's prices (here too narrow to hold the optimum), and the pairs the prices
    then say could improve are added until the bound over every pair meets the answer."""
    monkeypatch.setattr(network, "ALL_PAIRS_UP_TO", 0)
    monkeypatch.setattr(network, "SAMPLE_EVERY", 3)
    monkeypatch.setattr(network, "NEAR_BEST", 0.0)
    problem = unit_families(seed, 300, 6)
    reference = solve_milp(problem, time_limit=30)
    told: list[tuple[float, float]] = []
    flow = network.solve_flow(problem, progress=lambda answer, bound: told.append((answer, bound)))
    assert flow.rounds > 1 and flow.arcs < problem.n_pairs
    assert len(told) == flow.rounds and told[-1] == (flow.objective, flow.bound)
    assert all(answer <= bound for answer, bound in told)
    assert flow.objective == pytest.approx(reference.objective, rel=1e-9)
    assert reference.objective - 1e-9 <= flow.bound <= flow.objective * (1 + 1e-9)


def test_a_gap_asked_stops_the_rounds_with_a_true_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(network, "ALL_PAIRS_UP_TO", 0)
    monkeypatch.setattr(network, "NEAR_BEST", 0.0)
    problem = unit_families(2, 300, 6)
    reference = solve_milp(problem, time_limit=30)
    flow = network.solve_flow(problem, gap=0.01)
    assert flow.rounds < network.solve_flow(problem).rounds
    assert flow.bound >= reference.objective - 1e-9
    assert flow.objective <= reference.objective + 1e-9
    assert 0 < flow.bound - flow.objective <= 0.01 * flow.bound


def test_the_prices_meet_the_answer_with_complementary_slackness() -> None:
    """The certificate itself: at the prices, every placed family takes its best pair and
    gains from it, no unplaced family gains from any, and only full rows have a price."""
    problem = unit_families(9, 200, 6)
    flow = network.solve_flow(problem)
    group = np.maximum(problem.pair_group, 0)
    shared = np.array([p.max_group_share < 1 for p in problem.pools])[problem.pair_pool]
    price = flow.prices.pool[problem.pair_pool] + np.where(
        shared & (problem.pair_group >= 0), flow.prices.group[problem.pair_pool, group], 0.0
    )
    reduced = problem.pair_score - price
    best = np.full(problem.n_families, 0.0)
    np.maximum.at(best, problem.pair_family, reduced)
    placed = np.zeros(problem.n_pairs, dtype=np.bool_)
    placed[flow.chosen] = True
    assert np.allclose(reduced[placed], best[problem.pair_family[placed]], atol=1e-6)
    unplaced = np.ones(problem.n_families, dtype=np.bool_)
    unplaced[problem.pair_family[flow.chosen]] = False
    assert (best[unplaced] <= 1e-6).all()
    assert (flow.prices.pool >= 0).all() and (flow.prices.group >= -1e-9).all()
    load = np.bincount(problem.pair_pool[flow.chosen], minlength=problem.n_pools)
    room = load < np.minimum(
        problem.person_limit, np.where(problem.family_limit >= 0, problem.family_limit, 1 << 40)
    )
    assert (flow.prices.pool[room] == 0).all()
