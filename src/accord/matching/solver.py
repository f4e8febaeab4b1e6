"""The matcher: a Lagrangian bound, a repaired primal, then a small MILP to close the gap.

Relaxing the capacity rows (pool person and family limits, nationality shares) with
multipliers λ ≥ 0 leaves one independent choice per family: its best pair by reduced score,
or nothing. That gives, for any λ, an upper bound on the optimum in one vectorized pass; the
best λ is found by a proximal bundle method (a small QP per step, solved by HiGHS) over the few multipliers. The
subproblem's answer, trimmed to fit and topped up greedily, is a feasible solution, so every
answer carries a certified gap `(bound − objective) / bound`. Pairs whose reduced score proves
they cannot be in any better solution are then fixed out, and HiGHS solves the MILP over the
rest, which proves optimality (or improves the gap) within the time limit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

import highspy
import numpy as np
import scipy.sparse as sp

from accord.matching.constraints import all_rows, violations
from accord.matching.milp import FixedOverflow, new_highs, solve_milp
from accord.matching.problem import BoolArray, FloatArray, IntArray, Problem, ProblemError

Status = Literal["optimal", "within_gap", "time_limit"]

OPTIMALITY_TOLERANCE = 1e-9
"""Relative gap under which an answer counts as proven optimal (floating-point scores)."""


@dataclass(frozen=True, eq=False)
class Solution:
    assignment: IntArray
    """Pool index per family; -1 for families not proposed."""
    objective: float
    bound: float
    status: Status
    seconds: float
    stages: dict[str, float] = field(default_factory=dict)
    """Where the time went, and counters (iterations, pairs left to the MILP)."""

    @property
    def gap(self) -> float:
        """Certified relative distance to optimal: the answer is at least (1 − gap) × best."""
        if self.bound <= 0:
            return 0.0
        return max(0.0, (self.bound - self.objective) / self.bound)


class _Relaxation:
    """Everything the Lagrangian needs, computed once per problem."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        relaxed = [rows for rows in all_rows(problem) if rows.relaxed and rows.count]
        self.matrix = (
            sp.csr_array(sp.vstack([r.matrix for r in relaxed], format="csr"))
            if relaxed
            else sp.csr_array((0, problem.n_pairs))
        )
        self.transposed = sp.csr_array(self.matrix.T)
        self.columns = sp.csc_array(self.matrix)
        self.upper: FloatArray = (
            np.concatenate([r.upper for r in relaxed]) if relaxed else np.zeros(0)
        )
        self.starts = problem.family_starts
        self.family_of_start = problem.pair_family[self.starts]
        self.counts = np.diff(np.append(self.starts, problem.n_pairs))
        pinned_families = np.zeros(problem.n_families, dtype=np.bool_)
        pinned_families[problem.pair_family[problem.pinned_in]] = True
        self.pinned_family = pinned_families
        # Pairs a pinned family may not take (its other pools) and the "take nothing" option.
        self.blocked: BoolArray = pinned_families[problem.pair_family] & ~problem.pinned_in
        self.nothing: FloatArray = np.where(pinned_families[self.family_of_start], -np.inf, 0.0)

    def reduced(self, multipliers: FloatArray) -> FloatArray:
        reduced = self.problem.pair_score - self.transposed @ multipliers
        reduced[self.blocked] = -np.inf
        return reduced

    def family_values(self, reduced: FloatArray) -> FloatArray:
        """Per family with pairs: its best reduced score, or 0 for taking nothing."""
        if not len(self.starts):
            return np.zeros(0)
        return np.maximum(np.maximum.reduceat(reduced, self.starts), self.nothing)

    def best_pairs(self, reduced: FloatArray, values: FloatArray) -> IntArray:
        """The first pair reaching each family's value, for families that take one."""
        per_pair = np.repeat(values, self.counts)
        hits = np.flatnonzero((reduced == per_pair) & ((per_pair > 0) | self.problem.pinned_in))
        families = self.problem.pair_family[hits]
        first = np.ones(len(hits), dtype=np.bool_)
        first[1:] = families[1:] != families[:-1]  # pairs are sorted by family
        return np.asarray(hits[first], dtype=np.int64)

    def evaluate(self, multipliers: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        """The bound L(λ), a subgradient, and the reduced scores it came from."""
        reduced = self.reduced(multipliers)
        values = self.family_values(reduced)
        chosen = self.best_pairs(reduced, values)
        x = np.zeros(self.problem.n_pairs)
        x[chosen] = 1.0
        bound = float(values.sum() + multipliers @ self.upper)
        return bound, self.upper - self.matrix @ x, reduced


def _master(
    cuts: list[tuple[float, FloatArray, FloatArray]],
    center: FloatArray,
    step: float,
    time_limit: float,
) -> tuple[FloatArray, float] | None:
    """The proximal bundle step: minimize the cutting-plane model of L plus ||λ − c||² / 2t.

    Returns the candidate multipliers and the model's value there (without the proximal term),
    or None when the QP is not solved in time (it can cycle on degenerate bundles): the dual
    phase then ends and the MILP closes what is left.
    """
    m = len(center)
    highs = new_highs(time_limit)
    lp = highspy.HighsLp()
    lp.num_col_ = m + 1
    lp.num_row_ = len(cuts)
    # (1/2t)(λ − c)² = (1/2t)λ² − (c/t)λ + const
    lp.col_cost_ = np.concatenate([-center / step, [1.0]])
    lp.col_lower_ = np.concatenate([np.zeros(m), [-highspy.kHighsInf]])
    lp.col_upper_ = np.full(m + 1, highspy.kHighsInf)
    # θ − g·λ ≥ L_i − g·λ_i
    matrix = sp.csc_array(np.array([np.concatenate([-g, [1.0]]) for _, g, _ in cuts]))
    lp.row_lower_ = np.array([value - g @ point for value, g, point in cuts])
    lp.row_upper_ = np.full(len(cuts), highspy.kHighsInf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data
    highs.passModel(lp)
    hessian = highspy.HighsHessian()
    hessian.dim_ = m + 1
    hessian.format_ = highspy.HessianFormat.kTriangular
    hessian.start_ = np.concatenate([np.arange(m + 1), [m]]).astype(np.int32)
    hessian.index_ = np.arange(m).astype(np.int32)
    hessian.value_ = np.full(m, 1.0 / step)
    highs.passHessian(hessian)
    highs.run()
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    values = np.asarray(highs.getSolution().col_value)
    candidate = np.maximum(values[:m], 0.0)
    model = max(value + g @ (candidate - point) for value, g, point in cuts)
    return candidate, float(model)


def _fixings(
    relaxation: _Relaxation, reduced: FloatArray, slack: float
) -> tuple[IntArray, IntArray]:
    """Pairs every better answer must take, and the pairs still free to choose.

    Any answer scores at most the bound minus, per family, what its choice loses against the
    family's best reduced option. A better answer than the incumbent loses less than `slack`
    in total, so a pair losing more is out, and a family whose best option beats its second by
    more than `slack` must take it (when that option is a pair).
    """
    problem = relaxation.problem
    tolerance = 1e-9 * max(1.0, slack)
    values = relaxation.family_values(reduced)
    loss = np.repeat(values, relaxation.counts) - reduced
    possible = (loss <= slack + tolerance) & ~relaxation.blocked
    best = relaxation.best_pairs(reduced, values)
    others = reduced.copy()
    others[best] = -np.inf
    second = np.maximum(np.maximum.reduceat(others, relaxation.starts), relaxation.nothing)
    family_best = np.full(problem.n_families, -1, dtype=np.int64)
    family_best[problem.pair_family[best]] = best
    forced_family = np.zeros(problem.n_families, dtype=np.bool_)
    margin = values - second
    decided = margin > slack + tolerance
    forced_family[relaxation.family_of_start[decided]] = True
    forced_family &= family_best >= 0
    fixed = np.sort(family_best[forced_family])
    free = np.flatnonzero(possible & ~forced_family[problem.pair_family])
    return fixed, free


def _repair(relaxation: _Relaxation, reduced: FloatArray, chosen: IntArray) -> IntArray:
    """Drop the least valuable choices from every over-full row until all fit."""
    matrix, upper = relaxation.matrix, relaxation.upper
    x = np.zeros(relaxation.problem.n_pairs, dtype=np.bool_)
    x[chosen] = True
    pinned = relaxation.problem.pinned_in
    for _ in range(len(upper) + 1):
        load = matrix @ x.astype(np.float64)
        over = np.flatnonzero(load > upper + 1e-9)
        if not len(over):
            return np.flatnonzero(x)
        for row in over:
            start, stop = matrix.indptr[row], matrix.indptr[row + 1]
            pairs, weights = matrix.indices[start:stop], matrix.data[start:stop]
            taken = x[pairs]
            excess = float(weights[taken].sum()) - upper[row]
            if excess <= 1e-9:
                continue  # an earlier drop this round already relieved this row
            keep = taken & ~pinned[pairs] & (weights > 0)
            pairs, weights = pairs[keep], weights[keep]
            order = np.lexsort((pairs, reduced[pairs] / weights))
            dropped = int(np.searchsorted(np.cumsum(weights[order]), excess - 1e-9)) + 1
            if dropped > len(order):
                raise ProblemError("the pinned families alone exceed a pool's limits")
            x[pairs[order[:dropped]]] = False
    raise AssertionError("repair did not converge")  # pragma: no cover - each round drops


def _fits(
    relaxation: _Relaxation, residual: FloatArray, pairs: IntArray | None = None
) -> BoolArray:
    """Whether every coefficient of each pair (default: all pairs) fits what is left of its rows."""
    columns = relaxation.columns
    if pairs is None:
        if not len(residual):
            return np.ones(relaxation.problem.n_pairs, dtype=np.bool_)
        over = columns.data - residual[columns.indices] > 1e-9
        owner = np.repeat(np.arange(relaxation.problem.n_pairs), np.diff(columns.indptr))
        return ~np.bincount(owner[over], minlength=relaxation.problem.n_pairs).astype(np.bool_)
    if not len(residual) or not len(pairs):
        return np.ones(len(pairs), dtype=np.bool_)
    starts, stops = columns.indptr[pairs], columns.indptr[pairs + 1]
    lengths = stops - starts
    entries = np.repeat(stops - np.cumsum(lengths), lengths) + np.arange(lengths.sum())
    over = columns.data[entries] - residual[columns.indices[entries]] > 1e-9
    owner = np.repeat(np.arange(len(pairs)), lengths)
    return ~np.bincount(owner[over], minlength=len(pairs)).astype(np.bool_)


def _fill(relaxation: _Relaxation, reduced: FloatArray, chosen: IntArray) -> IntArray:
    """Top up every pool with the unplaced families that still fit, best reduced score first.

    Greedy in rounds rather than one pair at a time (see `_fill_rounds`), and over a batch of
    the best-ranked pairs rather than all of them: only a few can use up what is left.
    """
    problem = relaxation.problem
    x = np.zeros(problem.n_pairs)
    x[chosen] = 1.0
    residual = relaxation.upper - relaxation.matrix @ x
    placed = np.zeros(problem.n_families, dtype=np.bool_)
    placed[problem.pair_family[chosen]] = True
    remaining = np.flatnonzero(
        ~placed[problem.pair_family]
        & (problem.pair_score > 0)
        & ~relaxation.blocked
        & _fits(relaxation, residual)
    )
    added: list[IntArray] = [chosen]
    while len(remaining):
        batch_size = int(min(len(remaining), 8 * (residual.clip(0).sum() + 1) + 1000))
        if batch_size < len(remaining):
            top = np.argpartition(-reduced[remaining], batch_size - 1)[:batch_size]
            in_batch = np.zeros(len(remaining), dtype=np.bool_)
            in_batch[top] = True
            candidates, remaining = remaining[in_batch], remaining[~in_batch]
        else:
            candidates, remaining = remaining, remaining[:0]
        candidates = candidates[np.lexsort((candidates, -reduced[candidates]))]
        added.extend(_fill_rounds(relaxation, residual, placed, candidates))
        remaining = remaining[~placed[problem.pair_family[remaining]]]
        remaining = remaining[_fits(relaxation, residual, remaining)]
    return np.sort(np.concatenate(added).astype(np.int64))


def _fill_rounds(
    relaxation: _Relaxation, residual: FloatArray, placed: BoolArray, candidates: IntArray
) -> list[IntArray]:
    """Accept ranked candidates in rounds, updating `residual` and `placed` in place.

    Each round offers every unplaced family's best remaining pair and accepts, row by row, the
    prefix that fits: feasible by construction, and the round's best pair always fits, so
    every round makes progress.
    """
    problem = relaxation.problem
    columns = relaxation.columns
    added: list[IntArray] = []
    while len(candidates):
        candidates = candidates[~placed[problem.pair_family[candidates]]]
        candidates = candidates[_fits(relaxation, residual, candidates)]
        if not len(candidates):
            break
        _, first = np.unique(problem.pair_family[candidates], return_index=True)
        offered = candidates[np.sort(first)]
        starts, stops = columns.indptr[offered], columns.indptr[offered + 1]
        lengths = stops - starts
        entries = np.repeat(stops - np.cumsum(lengths), lengths) + np.arange(lengths.sum())
        owner = np.repeat(np.arange(len(offered)), lengths)
        rows, weights = columns.indices[entries], columns.data[entries]
        order = np.lexsort((owner, rows))
        cumulative = np.cumsum(weights[order])
        row_sorted = rows[order]
        group_start = np.flatnonzero(np.r_[True, row_sorted[1:] != row_sorted[:-1]])
        before = np.repeat(
            np.r_[0.0, cumulative][group_start], np.diff(np.r_[group_start, len(order)])
        )
        too_much = cumulative - before > residual[row_sorted] + 1e-9
        rejected = np.zeros(len(offered), dtype=np.bool_)
        rejected[owner[order][too_much]] = True
        accepted = offered[~rejected]
        np.subtract.at(residual, rows[~rejected[owner]], weights[~rejected[owner]])
        placed[problem.pair_family[accepted]] = True
        added.append(accepted)
    return added


def _primal(relaxation: _Relaxation, reduced: FloatArray) -> IntArray:
    values = relaxation.family_values(reduced)
    chosen = relaxation.best_pairs(reduced, values)
    return _fill(relaxation, reduced, _repair(relaxation, reduced, chosen))


def _assignment(problem: Problem, chosen: IntArray) -> IntArray:
    assignment = np.full(problem.n_families, -1, dtype=np.int64)
    assignment[problem.pair_family[chosen]] = problem.pair_pool[chosen]
    return assignment


def _initial_multipliers(relaxation: _Relaxation) -> FloatArray:
    """Start near the price at which each row would fill: scores per unit of the row."""
    matrix, upper = relaxation.matrix, relaxation.upper
    scores = relaxation.problem.pair_score
    guess = np.zeros(len(upper))
    for row in range(len(upper)):
        start, stop = matrix.indptr[row], matrix.indptr[row + 1]
        pairs, weights = matrix.indices[start:stop], matrix.data[start:stop]
        if not len(pairs) or weights.sum() <= upper[row]:
            continue
        density = np.sort(scores[pairs] / weights)[::-1]
        share = upper[row] / weights.sum()
        guess[row] = max(0.0, float(density[min(len(density) - 1, int(share * len(density)))]))
    return guess * 0.5


def solve(
    problem: Problem,
    *,
    gap: float = 0.0,
    time_limit: float = 60.0,
    close_with_milp: bool = True,
    max_milp_pairs: int = 400_000,
) -> Solution:
    """The best proposal pools found within `time_limit`, with the certified gap.

    Stops as soon as the gap is at most `gap` (0: proven optimal, up to floating point).
    Deterministic for the same problem and options, as long as the time limit is not hit.
    """
    started = time.perf_counter()
    stages: dict[str, float] = {}
    target = max(gap, OPTIMALITY_TOLERANCE)
    relaxation = _Relaxation(problem)
    scores = problem.pair_score

    def elapsed() -> float:
        return time.perf_counter() - started

    def gap_of(objective: float, bound: float) -> float:
        return 0.0 if bound <= 0 else (bound - objective) / bound

    # Dual: proximal bundle over the multipliers; `step` is the proximal parameter t.
    center = _initial_multipliers(relaxation)
    center_value, gradient, reduced = relaxation.evaluate(center)
    best_bound, best_reduced, best_multipliers = center_value, reduced, center
    incumbent = _primal(relaxation, reduced)
    objective = float(scores[incumbent].sum())
    cuts = [(center_value, gradient, center)]
    step = 1.0 / max(1.0, float(np.abs(relaxation.upper).max(initial=1.0)))
    iterations = serious_steps = 0
    history: list[float] = []
    dual_budget = time_limit * (0.6 if close_with_milp else 0.95)
    while (
        len(center)
        and gap_of(objective, best_bound) > target
        and elapsed() < dual_budget
        and iterations < 2000
    ):
        iterations += 1
        before = time.perf_counter()
        master = _master(cuts, center, step, min(1.0, max(0.01, dual_budget - elapsed())))
        stages["master_seconds"] = stages.get("master_seconds", 0.0) + time.perf_counter() - before
        if master is None:
            stages["master_unsolved"] = 1
            break
        candidate, model_value = master
        history.append(best_bound)
        stalled = max(1e-8 * abs(best_bound), 0.001 * (best_bound - objective))
        if len(history) > 15 and history[-16] - best_bound <= stalled:
            break  # the bound moves too slowly to close the gap: the MILP closes it
        predicted = center_value - model_value
        if predicted <= max(1e-12, 1e-12 * abs(center_value)):
            break  # the model proves the centre optimal: the bound cannot improve
        value, gradient, reduced = relaxation.evaluate(candidate)
        cuts.append((value, gradient, candidate))
        if len(cuts) > 4 * len(center) + 50:
            cuts.pop(1)
        if value < best_bound:
            best_bound, best_reduced, best_multipliers = value, reduced, candidate
        if center_value - value >= 0.1 * predicted:
            if center_value - value >= 0.5 * predicted:
                step *= 2.0
            center, center_value = candidate, value
            serious_steps += 1
            if serious_steps % 8 == 0:
                trial = _primal(relaxation, reduced)
                if (trial_objective := float(scores[trial].sum())) > objective:
                    incumbent, objective = trial, trial_objective
        else:
            step = max(step * 0.7, 1e-12)
    trial = _primal(relaxation, best_reduced)
    if (trial_objective := float(scores[trial].sum())) > objective:
        incumbent, objective = trial, trial_objective
    stages["dual_iterations"] = iterations
    stages["dual_seconds"] = elapsed()
    bound = best_bound

    # Close the gap: reduced-cost fixing, then a MILP over the pairs that can still matter.
    status: Status = "within_gap"
    if gap_of(objective, bound) > target and close_with_milp and elapsed() < time_limit:
        fixed, free = _fixings(relaxation, best_reduced, bound - objective)
        stages["milp_pairs"] = len(free)
        stages["fixed_pairs"] = len(fixed)
        if len(free) <= max_milp_pairs:
            try:
                result = solve_milp(
                    problem,
                    columns=free,
                    start=np.setdiff1d(incumbent, fixed),
                    fixed=fixed,
                    time_limit=time_limit - elapsed(),
                    relative_gap=gap,
                )
            except FixedOverflow:
                bound = objective  # no better answer can hold every forced pair
            else:
                if result.objective > objective:
                    incumbent, objective = result.chosen, result.objective
                bound = min(bound, max(result.bound, objective))
                if result.optimal and gap == 0.0:
                    bound = min(bound, objective)
        stages["milp_seconds"] = elapsed() - stages["dual_seconds"]
    del best_multipliers

    assignment = _assignment(problem, incumbent)
    problems = violations(problem, assignment)
    if problems:
        raise AssertionError(f"the matcher produced an infeasible answer: {problems[:5]}")
    final_gap = gap_of(objective, bound)
    if final_gap <= OPTIMALITY_TOLERANCE:
        status = "optimal"
    elif final_gap <= target:
        status = "within_gap"
    else:
        status = "time_limit"
    return Solution(assignment, objective, max(bound, objective), status, elapsed(), stages)
