"""The matcher against brute force and HiGHS, and the validator from failing cases."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.matching.constraints import violations
from accord.matching.milp import solve_milp
from accord.matching.problem import (
    NO_LIMIT,
    Candidate,
    Pool,
    Problem,
    ProblemError,
    build_problem,
)
from accord.matching.solver import solve


def small_problem(
    sizes: Sequence[int] = (2, 1, 3),
    limits: Sequence[int] = (3, 4),
    scores: dict[tuple[int, int], float] | None = None,
    **options: Any,
) -> Problem:
    scores = scores if scores is not None else {(0, 0): 5.0, (1, 0): 2.0, (2, 1): 4.0}
    groups = options.pop("groups", [None] * len(sizes))
    return build_problem(
        [(f"F{i}", size, groups[i]) for i, size in enumerate(sizes)],
        [
            Pool(
                f"A{j}",
                limit,
                options.get("family_limits", [NO_LIMIT] * len(limits))[j],
                options.get("shares", [1.0] * len(limits))[j],
            )
            for j, limit in enumerate(limits)
        ],
        [Candidate(f"F{f}", f"A{p}", s) for (f, p), s in scores.items()],
        pinned_in=options.get("pinned_in", ()),
        pinned_out=options.get("pinned_out", ()),
    )


def assignment(*pools: int) -> np.ndarray:
    return np.array(pools, dtype=np.int64)


# The validator, one failing case per constraint.


def test_a_feasible_assignment_has_no_violations() -> None:
    assert violations(small_problem(), assignment(0, -1, 1)) == []


def test_an_over_full_pool_is_named() -> None:
    problem = small_problem(scores={(0, 0): 1.0, (1, 0): 1.0, (2, 0): 1.0})
    assert violations(problem, assignment(0, 0, 0)) == ["pool A0 holds at most 3 people"]


def test_an_ineligible_pair_is_named() -> None:
    assert violations(small_problem(), assignment(1, -1, -1)) == [
        "family F0 is not eligible for A1"
    ]


def test_a_pinned_out_pair_is_named_as_such() -> None:
    problem = small_problem(pinned_out=[("F0", "A0")])
    assert violations(problem, assignment(0, -1, -1)) == ["family F0 was pinned out of A0"]


def test_a_pin_left_out_is_named() -> None:
    problem = small_problem(pinned_in=[("F2", "A1")])
    assert violations(problem, assignment(0, -1, -1)) == ["family F2 is pinned into A1"]


def test_the_family_limit_is_named() -> None:
    problem = small_problem(
        sizes=(1, 1), limits=(5,), scores={(0, 0): 1.0, (1, 0): 1.0}, family_limits=[1]
    )
    assert violations(problem, assignment(0, 0)) == ["pool A0 holds at most 1 families"]


def test_the_nationality_share_is_named() -> None:
    problem = small_problem(
        sizes=(2, 2, 1),
        limits=(10,),
        scores={(0, 0): 1.0, (1, 0): 1.0, (2, 0): 1.0},
        shares=[0.3],
        groups=["VE", "VE", "CU"],
    )
    assert violations(problem, assignment(0, 0, 0)) == [
        "pool A0 takes at most 3 people of nationality VE"
    ]
    assert violations(problem, assignment(0, -1, 0)) == []


def test_a_pool_that_does_not_exist_is_reported() -> None:
    assert violations(small_problem(), assignment(7, -1, -1)) == [
        "the assignment names a pool that does not exist"
    ]


def test_a_pin_on_an_ineligible_pair_is_refused() -> None:
    with pytest.raises(ProblemError, match="pinned into A1 but is not eligible"):
        small_problem(pinned_in=[("F0", "A1")])


def test_one_family_pinned_into_two_pools_is_refused() -> None:
    scores = {(0, 0): 1.0, (0, 1): 1.0}
    with pytest.raises(ProblemError, match="more than one pool"):
        small_problem(scores=scores, pinned_in=[("F0", "A0"), ("F0", "A1")])


# The solver.


def brute_force(problem: Problem) -> float:
    options = [
        [-1, *problem.pair_pool[problem.pair_family == f]] for f in range(problem.n_families)
    ]
    best = -np.inf
    for choice in itertools.product(*options):
        candidate = np.array(choice, dtype=np.int64)
        if not violations(problem, candidate):
            x_scores = [
                problem.pair_score[problem.pair_index(f, p)]  # type: ignore[index]
                for f, p in enumerate(choice)
                if p >= 0
            ]
            best = max(best, float(sum(x_scores)))
    return best


@st.composite
def problems(draw: st.DrawFn, max_families: int = 6, max_pools: int = 3) -> Problem:
    n_families = draw(st.integers(1, max_families))
    n_pools = draw(st.integers(1, max_pools))
    sizes = draw(st.lists(st.integers(1, 6), min_size=n_families, max_size=n_families))
    groups = draw(
        st.lists(st.sampled_from(["VE", "CU", None]), min_size=n_families, max_size=n_families)
    )
    limits = draw(st.lists(st.integers(0, 12), min_size=n_pools, max_size=n_pools))
    family_limits = draw(
        st.lists(st.sampled_from([NO_LIMIT, 1, 2]), min_size=n_pools, max_size=n_pools)
    )
    shares = draw(st.lists(st.sampled_from([1.0, 0.5]), min_size=n_pools, max_size=n_pools))
    pairs = draw(
        st.sets(
            st.tuples(st.integers(0, n_families - 1), st.integers(0, n_pools - 1)),
            max_size=n_families * n_pools,
        )
    )
    scores = {
        pair: draw(st.floats(0.0, 10.0, allow_nan=False).map(lambda v: round(v, 3)))
        for pair in sorted(pairs)
    }
    return small_problem(
        sizes,
        limits,
        scores,
        groups=groups,
        family_limits=family_limits,
        shares=shares,
    )


@settings(max_examples=300, deadline=None)
@given(problems())
def test_the_solver_equals_brute_force_on_small_instances(problem: Problem) -> None:
    solution = solve(problem)
    assert violations(problem, solution.assignment) == []
    assert solution.status == "optimal"
    assert solution.objective == pytest.approx(brute_force(problem), abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(problems(max_families=12, max_pools=4))
def test_answers_are_feasible_and_bounded_even_when_cut_short(problem: Problem) -> None:
    solution = solve(problem, close_with_milp=False)
    assert violations(problem, solution.assignment) == []
    assert solution.bound >= solution.objective - 1e-9
    assert 0.0 <= solution.gap <= 1.0
    chosen = solution.assignment >= 0
    assert solution.objective == pytest.approx(
        sum(
            problem.pair_score[problem.pair_index(f, int(solution.assignment[f]))]  # type: ignore[index]
            for f in np.flatnonzero(chosen)
        )
    )


def random_problem(n_families: int, n_pools: int, seed: int, *, balance: bool = False) -> Problem:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 7, n_families)
    rates = rng.uniform(0.3, 0.7, n_pools)
    eligible = rng.random((n_families, n_pools)) < rates
    limits = rng.dirichlet(np.ones(n_pools)) * sizes.sum() * 0.6
    nationalities = ["VE", "CU", "HN", "GT"]
    families = [
        (f"F{i}", int(sizes[i]), nationalities[int(rng.integers(0, 4))]) for i in range(n_families)
    ]
    pools = [
        Pool(
            f"A{j}",
            int(limits[j]),
            int(limits[j] / 3) if balance and j % 2 else NO_LIMIT,
            0.4 if balance and j % 3 == 0 else 1.0,
        )
        for j in range(n_pools)
    ]
    candidates = [
        Candidate(f"F{f}", f"A{p}", float(rng.random() * sizes[f] * 10))
        for f, p in zip(*np.nonzero(eligible), strict=True)
    ]
    return build_problem(families, pools, candidates)


@pytest.mark.parametrize(
    ("n_families", "n_pools", "seed", "balance"),
    [(200, 5, 1, False), (400, 8, 2, False), (300, 6, 3, True), (500, 10, 4, True)],
)
def test_the_solver_equals_highs_on_the_full_model(
    n_families: int, n_pools: int, seed: int, balance: bool
) -> None:
    problem = random_problem(n_families, n_pools, seed, balance=balance)
    reference = solve_milp(problem, time_limit=120)
    assert reference.optimal
    solution = solve(problem)
    assert solution.status == "optimal"
    assert violations(problem, solution.assignment) == []
    assert solution.objective == pytest.approx(reference.objective, abs=1e-9)


def test_the_same_input_gives_the_same_answer() -> None:
    first = solve(random_problem(300, 6, 7))
    second = solve(random_problem(300, 6, 7))
    assert np.array_equal(first.assignment, second.assignment)
    assert first.objective == second.objective


def test_pins_are_respected_even_when_they_cost_score() -> None:
    problem = small_problem(
        sizes=(3, 1),
        limits=(3,),
        scores={(0, 0): 1.0, (1, 0): 9.0},
        pinned_in=[("F0", "A0")],
    )
    solution = solve(problem)
    assert list(solution.assignment) == [0, -1]
    assert solution.objective == 1.0


def test_pins_that_cannot_all_fit_are_refused() -> None:
    problem = small_problem(
        sizes=(3, 2),
        limits=(4,),
        scores={(0, 0): 1.0, (1, 0): 1.0},
        pinned_in=[("F0", "A0"), ("F1", "A0")],
    )
    with pytest.raises(ProblemError, match="pinned families alone exceed"):
        solve(problem)


def test_a_pinned_out_pair_is_never_chosen() -> None:
    problem = small_problem(scores={(0, 0): 5.0, (0, 1): 1.0}, pinned_out=[("F0", "A0")])
    solution = solve(problem)
    assert list(solution.assignment) == [1, -1, -1]


def test_an_empty_problem_is_solved() -> None:
    problem = small_problem(scores={})
    solution = solve(problem)
    assert list(solution.assignment) == [-1, -1, -1]
    assert solution.objective == 0.0
    assert solution.status == "optimal"


# Closing the gap: reduced-cost fixing at any slack, and the neighbourhood MILP.


def _lagrangian(problem: Problem) -> tuple[Any, float, np.ndarray]:
    from accord.matching.solver import _initial_multipliers, _Relaxation

    relaxation = _Relaxation(problem)
    bound, _, reduced = relaxation.evaluate(_initial_multipliers(relaxation))
    return relaxation, bound, reduced


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_fixing_at_a_slack_keeps_every_answer_scoring_above_bound_minus_slack(seed: int) -> None:
    from accord.matching.solver import _fixings, _losses

    problem = random_problem(60, 4, seed, balance=seed == 6)
    reference = solve_milp(problem, time_limit=60)
    relaxation, bound, reduced = _lagrangian(problem)
    losses = _losses(relaxation, reduced)
    slack = bound - reference.objective
    fixed, free = _fixings(relaxation, losses, slack)
    assert set(fixed) <= set(reference.chosen)
    assert set(reference.chosen) <= set(fixed) | set(free)
    # A smaller slack never frees more, and never fixes fewer.
    fewer_fixed, fewer_free = _fixings(relaxation, losses, slack / 4)
    assert set(fewer_free) <= set(free)
    assert set(fixed) <= set(fewer_fixed)


@pytest.mark.parametrize("seed", [8, 9])
@pytest.mark.parametrize("share", [0.02, 0.2, 1.0])
def test_a_neighbourhood_milp_gives_a_proven_bound(seed: int, share: float) -> None:
    from accord.matching.milp import FixedOverflow
    from accord.matching.solver import _fixings, _losses

    problem = random_problem(60, 4, seed)
    reference = solve_milp(problem, time_limit=60)
    relaxation, bound, reduced = _lagrangian(problem)
    slack = share * (bound - reference.objective)
    fixed, free = _fixings(relaxation, _losses(relaxation, reduced), slack)
    try:
        result = solve_milp(problem, columns=free, fixed=fixed, time_limit=60, heuristics=False)
    except FixedOverflow:
        assert bound - slack >= reference.objective - 1e-9
        return
    assert violations(problem, _assign(problem, result.chosen)) == []
    proven = max(result.bound, bound - slack)
    assert proven >= reference.objective - 1e-9
    if result.optimal and result.objective >= bound - slack:
        assert result.objective == pytest.approx(reference.objective, abs=1e-9)


def _assign(problem: Problem, chosen: np.ndarray) -> np.ndarray:
    answer = np.full(problem.n_families, -1, dtype=np.int64)
    answer[problem.pair_family[chosen]] = problem.pair_pool[chosen]
    return answer


@pytest.mark.parametrize(("seed", "balance"), [(10, False), (11, True), (12, False)])
@pytest.mark.parametrize("growth", [0, 16])
def test_a_tiny_neighbourhood_still_ends_proven_optimal(
    seed: int, balance: bool, growth: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whether the rounds grow fourfold or jump to the proof (`PROOF_GROWTH`)."""
    import accord.matching.solver as solver

    monkeypatch.setattr(solver, "NEIGHBOURHOOD_PAIRS", 3)
    monkeypatch.setattr(solver, "PROOF_GROWTH", growth)
    problem = random_problem(300, 6, seed, balance=balance)
    reference = solve_milp(problem, time_limit=60)
    solution = solve(problem, method="decomposed")
    assert violations(problem, solution.assignment) == []
    assert solution.status == "optimal"
    assert solution.objective == pytest.approx(reference.objective, abs=1e-9)
    assert solution.bound == pytest.approx(reference.objective, abs=1e-6)


def test_a_milp_without_heuristics_or_over_a_subset_finds_the_same_optimum() -> None:
    problem = random_problem(150, 5, 13, balance=True)
    reference = solve_milp(problem, time_limit=60)
    plain = solve_milp(problem, time_limit=60, heuristics=False)
    assert plain.objective == pytest.approx(reference.objective, abs=1e-9)
    # The reference's own pairs plus a few others, with one pair fixed: the same optimum.
    others = np.setdiff1d(np.arange(problem.n_pairs), reference.chosen)[::7]
    columns = np.union1d(reference.chosen[1:], others)
    subset = solve_milp(problem, columns=columns, fixed=reference.chosen[:1], time_limit=60)
    assert subset.optimal
    assert subset.objective == pytest.approx(reference.objective, abs=1e-9)
    assert violations(problem, _assign(problem, subset.chosen)) == []


# The dual's windows and the primal's fit test, against every pair.


@pytest.mark.parametrize(("seed", "balance"), [(14, False), (15, True)])
def test_a_window_evaluates_exactly_like_every_pair(seed: int, balance: bool) -> None:
    import dataclasses

    from accord.matching.solver import _initial_multipliers, _Relaxation, _Window

    problem = random_problem(300, 6, seed, balance=balance)
    pins = problem.pinned_in.copy()
    pins[problem.family_starts[3]] = True  # a pinned family keeps its pin in every window
    problem = dataclasses.replace(problem, pinned_in=pins)
    relaxation = _Relaxation(problem)
    center = _initial_multipliers(relaxation) * 1.3
    _, _, reduced = relaxation.evaluate(center)
    window = _Window(relaxation, center, reduced)
    assert 0 < window.size < problem.n_pairs
    rng = np.random.default_rng(seed)
    moves = [rng.uniform(-1, 1, len(center)) for _ in range(20)] + [np.ones(len(center))]
    for move in moves:
        point = np.maximum(center + 0.999 * window.radius * move, 0.0)
        assert window.holds(point)
        bound, gradient = window.evaluate(point)
        full_bound, full_gradient, _ = relaxation.evaluate(point)
        assert bound == full_bound
        assert np.array_equal(gradient, full_gradient)
    assert not window.holds(center + 2 * window.radius + 1e-6)


@pytest.mark.parametrize("balance", [False, True])
def test_fits_agrees_with_each_rows_residual(balance: bool) -> None:
    from accord.matching.solver import _fits, _Relaxation

    problem = random_problem(120, 5, 16, balance=balance)
    relaxation = _Relaxation(problem)
    assert relaxation.one_entry_each is not balance
    dense = relaxation.matrix.toarray()
    residual = np.random.default_rng(16).uniform(0, 6, len(relaxation.upper))
    expected = (dense <= residual[:, None] + 1e-9).all(axis=0)
    assert np.array_equal(_fits(relaxation, residual), expected)
    some = np.arange(0, problem.n_pairs, 3)
    assert np.array_equal(_fits(relaxation, residual, some), expected[some])


def test_with_a_gap_asked_primals_wait_until_the_bound_has_settled() -> None:
    from accord.matching.solver import PRIMAL_EVERY, _primal_due

    moving = [100.0 - i for i in range(20)]  # one unit a step on a bound near 80
    settled = [80.0 + 1e-9 * i for i in range(20)][::-1]
    assert _primal_due(PRIMAL_EVERY, moving, 81.0, 0.0)
    assert not _primal_due(PRIMAL_EVERY - 1, moving, 81.0, 0.0)
    assert not _primal_due(PRIMAL_EVERY, moving, 81.0, 1e-6)
    assert _primal_due(2, settled, 80.0, 1e-6)
    assert not _primal_due(1, settled, 80.0, 1e-6)
    assert not _primal_due(PRIMAL_EVERY, moving[:3], 98.0, 1e-6)  # too few steps to tell
