"""The solver's routes (network flow, direct MILP, decomposition, race): same proven optimum, a
correct certificate, a validated answer and the stage timings, on small instances of both bench
shapes."""

from __future__ import annotations

import numpy as np
import pytest

from accord.matching.constraints import violations
from accord.matching.milp import solve_milp
from accord.matching.problem import NO_LIMIT, Candidate, Pool, Problem, build_problem
from accord.matching.solver import STAGES, Method, Solution, choose_method, solve

ROUTES: tuple[Method, ...] = ("direct", "decomposed", "race")


def random_shape(n_families: int, n_pools: int, seed: int) -> Problem:
    """Families of 1–6 people, distinct scores, person limits only (the bench's default)."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 7, n_families)
    eligible = rng.random((n_families, n_pools)) < rng.uniform(0.3, 0.7, n_pools)
    limits = rng.dirichlet(np.full(n_pools, 4.0)) * sizes.sum() * 0.6
    return build_problem(
        [(f"F{i}", int(sizes[i]), None) for i in range(n_families)],
        [Pool(f"A{j}", int(limits[j])) for j in range(n_pools)],
        [
            Candidate(f"F{f}", f"A{p}", float(sizes[f] * rng.uniform(1, 10)))
            for f, p in zip(*np.nonzero(eligible), strict=True)
        ],
    )


def features_shape(n_families: int, n_pools: int, seed: int, size: int = 1) -> Problem:
    """One-person families (or of `size`), integer scores from features (many ties), families
    caps below the person caps, a 35 % nationality share in every pool (the bench's
    `--shape features`)."""
    rng = np.random.default_rng(seed)
    features = rng.integers(0, 4, (n_families, 4))
    weights = rng.integers(0, 3, (n_pools, 4))
    eligible = features[:, rng.integers(0, 4, n_pools)] >= rng.integers(0, 3, n_pools)
    eligible &= rng.random((n_families, n_pools)) < 0.6
    people = rng.dirichlet(np.full(n_pools, 4.0)) * n_families * 0.6
    nationalities = ["N0", "N0", "N1", "N2", "N3"]
    return build_problem(
        [(f"F{i}", size, nationalities[int(rng.integers(0, 5))]) for i in range(n_families)],
        [
            Pool(f"A{j}", int(people[j]), int(people[j] * rng.uniform(0.4, 0.8)), 0.35)
            for j in range(n_pools)
        ],
        [
            Candidate(f"F{f}", f"A{p}", float(1 + features[f] @ weights[p]))
            for f, p in zip(*np.nonzero(eligible), strict=True)
        ],
    )


def assert_certified(problem: Problem, solution: Solution, optimum: float) -> None:
    assert violations(problem, solution.assignment) == []
    assert solution.status == "optimal"
    assert solution.objective == pytest.approx(optimum, abs=1e-9)
    assert solution.bound >= solution.objective
    assert solution.bound == pytest.approx(optimum, rel=1e-9)
    assert solution.gap <= 1e-9
    chosen = np.flatnonzero(solution.assignment >= 0)
    scores = [problem.pair_index(int(f), int(solution.assignment[f])) for f in chosen]
    assert float(problem.pair_score[np.array(scores, dtype=np.int64)].sum()) == pytest.approx(
        solution.objective
    )


@pytest.mark.parametrize("shape", [random_shape, features_shape])
@pytest.mark.parametrize("seed", [1, 2])
def test_every_route_proves_the_direct_milps_optimum(shape: object, seed: int) -> None:
    problem = shape(60, 8, seed)  # type: ignore[operator]
    reference = solve_milp(problem, time_limit=30)
    assert reference.optimal
    routes = (*ROUTES, "network") if shape is features_shape else ROUTES
    for route in routes:
        solution = solve(problem, method=route, time_limit=30)
        assert solution.method == route
        assert_certified(problem, solution, reference.objective)


@pytest.mark.parametrize("shape", [random_shape, features_shape])
def test_the_chosen_route_is_certified(shape: object) -> None:
    problem = shape(150, 12, 3)  # type: ignore[operator]
    reference = solve_milp(problem, time_limit=30)
    assert reference.optimal
    solution = solve(problem)
    assert solution.method == choose_method(problem)
    assert_certified(problem, solution, reference.objective)


def test_a_gap_asked_is_certified_against_the_bound() -> None:
    problem = random_shape(120, 6, 4)
    reference = solve_milp(problem, time_limit=30)
    for route in ROUTES:
        solution = solve(problem, method=route, gap=0.05, time_limit=30)
        assert violations(problem, solution.assignment) == []
        assert solution.bound >= reference.objective - 1e-9  # a true upper bound
        assert solution.objective <= reference.objective + 1e-9
        assert solution.gap <= 0.05


def test_every_stage_is_timed() -> None:
    solution = solve(random_shape(200, 10, 5), method="decomposed")
    timings = [solution.stages[f"{stage}_seconds"] for stage in STAGES]
    assert all(seconds >= 0 for seconds in timings)
    assert sum(timings) <= solution.seconds + 1e-6
    assert solution.stages["search_seconds"] + solution.stages["proof_seconds"] > 0


def test_the_rule_sends_one_person_families_to_the_flow_and_small_tight_pools_to_the_milp() -> None:
    tight = random_shape(200, 60, 6)  # pools of a few families each
    assert choose_method(tight) == "direct"
    roomy = random_shape(2_000, 4, 6)  # hundreds of families a pool, distinct scores
    assert choose_method(roomy) == "decomposed"
    people = features_shape(2_000, 4, 6)  # one-person families: a min-cost flow
    assert choose_method(people) == "network"
    tied = features_shape(2_000, 4, 6, size=2)  # the same room, a few dozen distinct scores
    assert choose_method(tied) == "direct"
    empty = build_problem([("F0", 1, None)], [Pool("A0", 1, NO_LIMIT)], [])
    assert choose_method(empty) == "decomposed"
