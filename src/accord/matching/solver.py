"""The matcher: a Lagrangian bound, a repaired primal, then a small MILP to close the gap.

Relaxing the capacity rows (pool person and family limits, nationality shares) with
multipliers λ ≥ 0 leaves one independent choice per family: its best pair by reduced score,
or nothing. That gives, for any λ, an upper bound on the optimum in one vectorized pass; the
best λ is found by a proximal bundle method (a small QP per step, solved by HiGHS) over the
few multipliers; once its steps are small, it evaluates over a window of the pairs that can
still be a family's best near the current multipliers (`_Window`): exact, and cheaper. The
subproblem's answer, trimmed to fit and topped up greedily, is a feasible solution, so every
answer carries a certified gap `(bound − objective) / bound`. Pairs whose reduced score proves
they cannot be in any better solution are then fixed out, and HiGHS solves the MILP over the
rest, which proves optimality (or improves the gap) within the time limit.

When every family is one person the problem is a min-cost flow, solved exactly with its own
dual certificate (`network`): `choose_method` takes that route first. Otherwise, where pools
hold only a few families each, or the scores tie a lot, the Lagrangian bound (the LP bound)
leaves almost every pair free; there HiGHS's own cuts win, so `choose_method` hands the whole
MILP to HiGHS (a measured rule, see `DIRECT_MAX_PAIRS`). A further route races the last two in
two threads. Whatever the route, the answer carries a proven bound and is validated.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import highspy
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from accord.matching import network
from accord.matching.constraints import CONSTRAINTS, one_pool_per_family, pinned, violations
from accord.matching.milp import FixedOverflow, MilpResult, new_highs, solve_milp
from accord.matching.problem import BoolArray, FloatArray, IntArray, Problem, ProblemError

Status = Literal["optimal", "within_gap", "time_limit"]
Method = Literal["network", "decomposed", "direct", "race"]

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
    """Where the time went (`*_seconds`, see `STAGES`), and counters (iterations, pairs left
    to the MILP)."""
    method: Method = "decomposed"

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
        # The subproblem keeps one pool per family and the pins itself: their rows (one entry
        # per pair, the largest block) are not built here.
        relaxed = [
            rows
            for build in CONSTRAINTS
            if build not in (one_pool_per_family, pinned)
            if (rows := build(problem)).relaxed and rows.count
        ]
        if len(relaxed) == 1:
            self.matrix = relaxed[0].matrix
        elif relaxed:
            self.matrix = sp.csr_array(sp.vstack([r.matrix for r in relaxed], format="csr"))
        else:
            self.matrix = sp.csr_array((0, problem.n_pairs))
        self.transposed = sp.csr_array(self.matrix.T)
        # The same arrays read by column: no second conversion of tens of millions of entries.
        transposed = self.transposed
        self.columns = sp.csc_array(
            (transposed.data, transposed.indices, transposed.indptr), shape=self.matrix.shape
        )
        lengths = np.diff(transposed.indptr)
        self.one_entry_each = bool(len(lengths)) and bool((lengths == 1).all())
        """Each pair in exactly one relaxed row (pool person limits only): entry i is pair i."""
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
        self.blocked_pairs = np.flatnonzero(self.blocked)
        self.nothing: FloatArray = np.where(pinned_families[self.family_of_start], -np.inf, 0.0)
        self._reach: npt.NDArray[np.float32] | None = None

    def reduced(self, multipliers: FloatArray) -> FloatArray:
        reduced: FloatArray = self.transposed @ multipliers
        np.subtract(self.problem.pair_score, reduced, out=reduced)
        reduced[self.blocked_pairs] = -np.inf
        return reduced

    def family_values(self, reduced: FloatArray) -> FloatArray:
        """Per family with pairs: its best reduced score, or 0 for taking nothing."""
        if not len(self.starts):
            return np.zeros(0)
        return np.maximum(np.maximum.reduceat(reduced, self.starts), self.nothing)

    def best_pairs(self, reduced: FloatArray, values: FloatArray) -> IntArray:
        """The first pair reaching each family's value, for families that take one."""
        hits = np.flatnonzero(reduced == np.repeat(values, self.counts))
        # Filtered on the hits (about one per family), not on every pair: taking nothing is
        # better unless the value is positive, or the pair is a pin (its family's only option).
        return _first_per_family(
            hits, reduced[hits], self.problem.pair_family[hits], self.problem.pinned_in[hits]
        )

    def evaluate(self, multipliers: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        """The bound L(λ), a subgradient, and the reduced scores it came from."""
        reduced = self.reduced(multipliers)
        values = self.family_values(reduced)
        chosen = self.best_pairs(reduced, values)
        bound = float(values.sum() + multipliers @ self.upper)
        return bound, self.upper - self.load(chosen), reduced

    def reach(self) -> npt.NDArray[np.float32]:
        """Per pair, the most its lag behind its family's best reduced score can shrink per
        unit the multipliers move (max norm): its column's sum plus the family's largest.

        Computed once, kept in single precision rounded up (still an upper bound): half the
        memory on the largest problems."""
        if self._reach is None:
            exact = self._exact_reach()
            rounded = exact.astype(np.float32)
            low = rounded < exact
            rounded[low] = np.nextafter(rounded[low], np.float32(np.inf))
            self._reach = rounded
        return self._reach

    def forget_reach(self) -> None:
        """Only windows use it: its memory is freed for the primal and the MILP."""
        self._reach = None

    def _exact_reach(self) -> FloatArray:
        columns = self.columns
        norms: FloatArray
        if self.one_entry_each:
            norms = np.abs(np.asarray(columns.data, dtype=np.float64))
        else:
            running = np.concatenate([[0.0], np.cumsum(np.abs(columns.data))])
            norms = np.asarray(running[columns.indptr[1:]] - running[columns.indptr[:-1]])
        if not len(self.starts):
            return norms
        largest = np.maximum.reduceat(norms, self.starts)
        norms += np.repeat(largest, self.counts)
        return norms

    def load(self, chosen: IntArray) -> FloatArray:
        """What the chosen pairs use of each relaxed row: from their columns only, since a
        product with the whole matrix costs as much as every pair."""
        columns = self.columns
        starts, stops = columns.indptr[chosen], columns.indptr[chosen + 1]
        lengths = stops - starts
        entries = np.repeat(stops - np.cumsum(lengths), lengths) + np.arange(lengths.sum())
        return np.bincount(
            columns.indices[entries], weights=columns.data[entries], minlength=len(self.upper)
        ).astype(np.float64)


def _first_per_family(
    hits: IntArray, hit_values: FloatArray, families: IntArray, pinned: BoolArray
) -> IntArray:
    """The first hit per family (hits sorted), among those a family takes: taking nothing is
    better unless the value is positive, or the pair is a pin (its family's only option)."""
    takes = (hit_values > 0) | pinned
    hits, families = hits[takes], families[takes]
    first = np.ones(len(hits), dtype=np.bool_)
    first[1:] = families[1:] != families[:-1]
    return np.asarray(hits[first], dtype=np.int64)


WINDOW_SHARE = 0.25
"""Share of the pairs a window (`_Window`) keeps. Measured on 100,000 x 200 (random shape): the
bundle's late steps stay inside one for a dozen steps or more, each evaluated in about 20 ms
against 56–65 ms over every pair; building one costs about 0.25 s."""


class _Window:
    """The pairs that can still be their family's best while the multipliers stay within
    `radius` (max norm) of `center`; evaluating over them gives exactly L(λ), its subgradient
    and the same ties, at a fraction of the cost of every pair.

    A pair's reduced score moves by at most its column's sum times the move, and its family's
    best by at most the family's largest column sum, so a pair trailing by more than `reach`
    times the radius cannot catch up.
    """

    def __init__(self, relaxation: _Relaxation, center: FloatArray, reduced: FloatArray) -> None:
        self.relaxation = relaxation
        self.center = center
        values = relaxation.family_values(reduced)
        finite = np.abs(values[np.isfinite(values)])
        scores = relaxation.problem.pair_score
        largest = max(-scores.min(initial=0.0), scores.max(initial=0.0))
        # Rounding in the reduced scores never leaves a pair out wrongly.
        rounding = 1e-9 * (1.0 + finite.max(initial=0.0) + largest)
        ratio = np.repeat(values, relaxation.counts)
        ratio -= reduced
        ratio -= rounding
        reach = relaxation.reach()
        still = reach == 0
        np.divide(ratio, reach, out=ratio, where=~still)
        if still.any():  # pairs in no relaxed row never move against their family
            ratio[still & (ratio > 0)] = np.inf
            ratio[still & (ratio <= 0)] = 0.0
        del still
        sample = ratio[:: max(1, len(ratio) // 200_000)]
        sample = sample[np.isfinite(sample)]
        at = int(WINDOW_SHARE * len(sample))
        self.radius = float(np.partition(sample, at)[at]) if at < len(sample) else 0.0
        self.radius = max(0.0, self.radius)
        pairs = np.flatnonzero(ratio <= self.radius)
        del ratio
        problem = relaxation.problem
        self.pairs = pairs
        self.size = len(pairs)
        self.scores = problem.pair_score[pairs]
        rows = sp.csr_array(relaxation.transposed[pairs])
        if rows.nnz < 2**31 - 1:  # 32-bit indices: the window is kept while the primal runs
            rows = sp.csr_array(
                (rows.data, rows.indices.astype(np.int32), rows.indptr.astype(np.int32)),
                shape=rows.shape,
            )
        self.transposed = rows
        families = problem.pair_family[pairs]
        boundaries = np.flatnonzero(families[1:] != families[:-1]) + 1
        self.starts = np.concatenate([np.zeros(min(1, len(pairs)), dtype=np.int64), boundaries])
        self.counts = np.diff(np.append(self.starts, len(pairs)))
        self.slots = np.searchsorted(relaxation.family_of_start, families[self.starts])
        """Each window family's place among all families with pairs."""
        self.nothing = relaxation.nothing[self.slots]

    def holds(self, multipliers: FloatArray) -> bool:
        return bool(np.abs(multipliers - self.center).max(initial=0.0) <= self.radius)

    def evaluate(self, multipliers: FloatArray) -> tuple[float, FloatArray]:
        """L(λ) and a subgradient, as `_Relaxation.evaluate` gives them, for λ the window holds.

        Families with no pair in the window take nothing (their value there is 0: a pinned
        family's pin is always in the window)."""
        relaxation = self.relaxation
        reduced: FloatArray = self.transposed @ multipliers
        np.subtract(self.scores, reduced, out=reduced)
        values = (
            np.maximum(np.maximum.reduceat(reduced, self.starts), self.nothing)
            if len(self.starts)
            else np.zeros(0)
        )
        local = np.flatnonzero(reduced == np.repeat(values, self.counts))
        hits = self.pairs[local]
        problem = relaxation.problem
        chosen = _first_per_family(
            hits, reduced[local], problem.pair_family[hits], problem.pinned_in[hits]
        )
        # Summed in the same places as over every pair: the same bound to the last bit.
        every = np.zeros(len(relaxation.starts))
        every[self.slots] = values
        bound = float(every.sum() + multipliers @ relaxation.upper)
        return bound, relaxation.upper - relaxation.load(chosen)


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


def _losses(relaxation: _Relaxation, reduced: FloatArray) -> tuple[FloatArray, IntArray]:
    """Per pair, the least slack at which reduced-cost fixing leaves it free; per family, its
    best pair (-1 when its best option is taking nothing).

    Any answer scores at most the bound minus, per family, what its choice loses against the
    family's best reduced option. A better answer than the incumbent loses less than the
    slack in total, so a pair losing more is out, and a family whose best option beats its
    second by more than the slack must take it. A best pair's key is that margin; any other
    pair's is its own loss (never less than the margin), so one threshold on the keys gives
    both fixings, for any slack.
    """
    problem = relaxation.problem
    values = relaxation.family_values(reduced)
    keys = np.repeat(values, relaxation.counts) - reduced
    best = relaxation.best_pairs(reduced, values)
    others = reduced.copy()
    others[best] = -np.inf
    second = np.maximum(np.maximum.reduceat(others, relaxation.starts), relaxation.nothing)
    del others
    family_best = np.full(problem.n_families, -1, dtype=np.int64)
    family_best[problem.pair_family[best]] = best
    margin = values - second
    keys[best] = margin[np.searchsorted(relaxation.family_of_start, problem.pair_family[best])]
    keys[relaxation.blocked & ~problem.pinned_in] = np.inf
    return keys, family_best


def _fixings(
    relaxation: _Relaxation,
    losses: tuple[FloatArray, IntArray],
    slack: float,
) -> tuple[IntArray, IntArray]:
    """Pairs every answer better than `bound − slack` must take, and the pairs still free.

    `losses` comes from `_losses`; an answer outside these fixings scores at most the
    Lagrangian bound minus `slack`.
    """
    keys, family_best = losses
    tolerance = 1e-9 * max(1.0, slack)
    best = family_best[family_best >= 0]
    forced = best[keys[best] > slack + tolerance]
    free = keys <= slack + tolerance
    free[forced] = False
    return np.sort(forced), np.flatnonzero(free)


def _neighbourhood(keys: FloatArray, pairs: int) -> float:
    """The slack at which about `pairs` pairs stay free: a first MILP that small finds the
    optimum or nearly so in a fraction of the time the whole slack would take."""
    finite = keys[np.isfinite(keys)]
    if len(finite) <= pairs:
        return float(np.inf)
    return float(np.partition(finite, pairs)[pairs])


def _repair(relaxation: _Relaxation, reduced: FloatArray, chosen: IntArray) -> IntArray:
    """Drop the least valuable choices from every over-full row until all fit."""
    matrix, upper = relaxation.matrix, relaxation.upper
    x = np.zeros(relaxation.problem.n_pairs, dtype=np.bool_)
    x[chosen] = True
    pinned = relaxation.problem.pinned_in
    for _ in range(len(upper) + 1):
        load = relaxation.load(np.flatnonzero(x))
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
    """Whether every coefficient of each pair (default: all pairs) fits what is left of its rows.

    One pass over the pairs' entries, counted per pair by a running sum: no per-entry owner
    array (tens of millions of entries on the largest problems).
    """
    columns = relaxation.columns
    count = relaxation.problem.n_pairs if pairs is None else len(pairs)
    if not len(residual) or not count:
        return np.ones(count, dtype=np.bool_)
    if pairs is None:
        rows, data, indptr = columns.indices, columns.data, columns.indptr
    elif relaxation.one_entry_each:
        at = columns.indptr[pairs]
        rows, data, indptr = columns.indices[at], columns.data[at], None
    else:
        starts, stops = columns.indptr[pairs], columns.indptr[pairs + 1]
        lengths = stops - starts
        entries = np.repeat(stops - np.cumsum(lengths), lengths) + np.arange(lengths.sum())
        rows, data = columns.indices[entries], columns.data[entries]
        indptr = np.concatenate([[0], np.cumsum(lengths)])
    over = data > residual[rows] + 1e-9
    if indptr is None or relaxation.one_entry_each:
        return ~over
    running = np.concatenate([[0], np.cumsum(over)])
    return np.asarray(running[indptr[1:]] == running[indptr[:-1]], dtype=np.bool_)


def _fill(relaxation: _Relaxation, reduced: FloatArray, chosen: IntArray) -> IntArray:
    """Top up every pool with the unplaced families that still fit, best reduced score first.

    Greedy in rounds rather than one pair at a time (see `_fill_rounds`), and over a batch of
    the best-ranked pairs rather than all of them: only a few can use up what is left.
    """
    problem = relaxation.problem
    residual = relaxation.upper - relaxation.load(chosen)
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
        # The density ranked at the row's share, largest first: a selection, not a sort.
        share = upper[row] / weights.sum()
        rank = len(pairs) - 1 - min(len(pairs) - 1, int(share * len(pairs)))
        density = np.partition(scores[pairs] / weights, rank)[rank]
        guess[row] = max(0.0, float(density))
    return guess * 0.5


STAGES = ("build", "relaxation", "primal", "reduction", "search", "proof", "validate")
"""The stages a solve reports, in order: building the rows, the Lagrangian (bound and
multipliers), the repaired primal, reduced-cost fixing, the MILP until it found its answer,
the MILP proving it, and the independent check. In a race the own method's stages and the
direct MILP's (search, proof) ran at the same time. On the network route, build is the rows
and the sample's prices, search the flows, proof the prices and the bound over every pair."""

DIRECT_MAX_PAIRS = 150_000
DIRECT_MAX_FAMILIES_PER_POOL = 6.0
"""The whole MILP goes to HiGHS alone up to this many pairs when pools hold on average at most
this many families. Measured with bench/matching.py: at 1,000 x 200 (random shape, 3 families a
pool; features shape, 1.3) HiGHS without presolve proves the optimum in 14 s and 2 s where the
decomposition needs 36 s and 4 s: its bound leaves every pair free."""

TIED_MAX_PAIRS = 1_000_000
TIED_MAX_DISTINCT_SHARE = 0.01
"""Also direct, up to this many pairs, when the scores take few distinct values (at most this
share of the pairs): ties make the Lagrangian subproblem degenerate, so its primal is poor and
fixing removes nothing. Measured: features shape 10,000 x 50 (25 distinct scores), HiGHS alone
7 s, the decomposition over 60 s; random shape 10,000 x 50 (all distinct), the decomposition
3 s, HiGHS without presolve no proof in 60 s (117 s with presolve)."""


def choose_method(problem: Problem) -> Method:
    """The route expected to prove the optimum soonest: the flow for one-person families (exact
    in polynomial time, measured ahead of every other route on the bench's features shape at
    every size), else by the limits above.

    The race is never chosen here: on two cores shared with other work, its two threads slowed
    each other about twofold (10,000 x 50, both shapes); it is there for machines with cores
    to spare.
    """
    if network.applies(problem):
        return "network"
    if problem.n_pairs == 0 or problem.n_pairs > max(DIRECT_MAX_PAIRS, TIED_MAX_PAIRS):
        return "decomposed"
    mean_size = float(problem.family_size.mean()) if problem.n_families else 1.0
    capacity = np.minimum(
        problem.person_limit / mean_size,
        np.where(problem.family_limit >= 0, problem.family_limit, np.inf),
    )
    if problem.n_pairs <= DIRECT_MAX_PAIRS and capacity.mean() <= DIRECT_MAX_FAMILIES_PER_POOL:
        return "direct"
    distinct = len(np.unique(problem.pair_score))
    if problem.n_pairs <= TIED_MAX_PAIRS and distinct <= TIED_MAX_DISTINCT_SHARE * problem.n_pairs:
        return "direct"
    return "decomposed"


@dataclass
class _Answer:
    """The best answer so far and the best proven bound, merged from whichever route."""

    incumbent: IntArray
    objective: float
    bound: float = float(np.inf)
    listener: Callable[[float, float], None] | None = None
    """Told the objective and the bound after every offer (a job's progress)."""

    def offer(self, chosen: IntArray, objective: float, bound: float) -> None:
        if objective > self.objective:
            self.incumbent, self.objective = chosen, objective
        self.bound = min(self.bound, max(bound, self.objective))
        if self.listener is not None:
            self.listener(self.objective, self.bound)


MAX_MILP_PAIRS = 200_000
"""The most free pairs a closing MILP is given: above it the answer stands with its certified
gap. HiGHS does not keep to its time limit on every large model (a 384,093-pair closing MILP of
the features shape ran 633 s on a 120 s limit, and its interrupt callbacks did not fire either:
docs/benchmarks.md); the random shape's largest closing MILP is 66,953 pairs."""


def solve(
    problem: Problem,
    *,
    gap: float = 0.0,
    time_limit: float = 60.0,
    close_with_milp: bool = True,
    max_milp_pairs: int = MAX_MILP_PAIRS,
    method: Method | None = None,
    progress: Callable[[float, float], None] | None = None,
) -> Solution:
    """The best proposal pools found within `time_limit`, with the certified gap; `progress`
    is told the best objective and the proven bound each time either moves.

    Stops as soon as the gap is at most `gap` (0: proven optimal, up to floating point).
    Deterministic for the same problem and options, as long as the time limit is not hit and
    the route is not a race (a race returns an answer just as good, but among equally good
    answers which one depends on timing). `method` overrides `choose_method`; without
    `close_with_milp` only the decomposition runs.
    """
    started = time.perf_counter()
    route = "decomposed" if not close_with_milp else method or choose_method(problem)
    stages = {f"{stage}_seconds": 0.0 for stage in STAGES}
    target = max(gap, OPTIMALITY_TOLERANCE)
    if route == "network":
        if method == "network" and not network.applies(problem):  # else choose_method asked
            raise ProblemError("the network route needs one-person families whose pins fit")
        flow = network.solve_flow(problem, gap=gap, progress=progress)
        stages["build_seconds"], stages["search_seconds"] = flow.build_seconds, flow.solve_seconds
        stages["proof_seconds"] = flow.proof_seconds
        stages["milp_pairs"], stages["flow_rounds"], stages["flow_pairs"] = (
            0,
            flow.rounds,
            flow.arcs,
        )
        answer = _Answer(flow.chosen, flow.objective, flow.bound)
        return _checked(problem, answer, target, started, stages, route)
    relaxation = _Relaxation(problem)
    clock = time.perf_counter()
    stages["build_seconds"] = clock - started
    multipliers = _initial_multipliers(relaxation)
    first = relaxation.evaluate(multipliers)
    first_bound, _, reduced = first
    stages["relaxation_seconds"] = time.perf_counter() - clock
    clock = time.perf_counter()
    start = _primal(relaxation, reduced)
    answer = _Answer(start, float(problem.pair_score[start].sum()), first_bound, progress)
    if progress is not None:
        progress(answer.objective, answer.bound)
    stages["primal_seconds"] = time.perf_counter() - clock

    def direct(stop: threading.Event | None) -> MilpResult:
        result = solve_milp(
            problem,
            start=start,
            time_limit=max(0.01, time_limit - (time.perf_counter() - started)),
            relative_gap=gap,
            presolve=False,
            stop=stop,
        )
        if stop is not None and _proven(result, gap):
            stop.set()
        return result

    if route == "direct":
        result = direct(None)
        _take_milp(answer, result, gap, stages)
        stages["milp_pairs"] = problem.n_pairs
    elif route == "race":
        stop = threading.Event()
        raced: list[MilpResult] = []
        thread = threading.Thread(target=lambda: raced.append(direct(stop)), daemon=True)
        thread.start()
        own = _Answer(answer.incumbent, answer.objective, answer.bound, progress)
        own_stages = dict(stages)
        _decompose(
            relaxation,
            multipliers,
            first,
            own,
            own_stages,
            gap,
            time_limit,
            started,
            close_with_milp=True,
            max_milp_pairs=max_milp_pairs,
            stop=stop,
        )
        if _gap(own.objective, own.bound) <= target:
            stop.set()
        thread.join()
        result = raced[0]
        stages = own_stages
        stages["direct_won"] = float(
            _proven(result, gap) and _gap(own.objective, own.bound) > target
        )
        if stages["direct_won"]:
            stages["search_seconds"] = result.found_seconds
            stages["proof_seconds"] = result.seconds - result.found_seconds
        answer = own
        if result.objective > -np.inf:
            answer.offer(result.chosen, result.objective, _milp_bound(result, gap))
    else:
        _decompose(
            relaxation,
            multipliers,
            first,
            answer,
            stages,
            gap,
            time_limit,
            started,
            close_with_milp=close_with_milp,
            max_milp_pairs=max_milp_pairs,
            stop=None,
        )
    return _checked(problem, answer, target, started, stages, route)


def _gap(objective: float, bound: float) -> float:
    return 0.0 if bound <= 0 else (bound - objective) / bound


def _proven(result: MilpResult, gap: float) -> bool:
    """Whether HiGHS proved its answer optimal, or within `gap`."""
    return result.optimal or (
        result.objective > -np.inf and _gap(result.objective, result.bound) <= gap
    )


def _milp_bound(result: MilpResult, gap: float) -> float:
    """HiGHS's bound; at `gap` 0 a proven optimum is its own bound (no floating-point slack)."""
    return result.objective if result.optimal and gap == 0.0 else result.bound


def _take_milp(
    answer: _Answer,
    result: MilpResult,
    gap: float,
    stages: dict[str, float],
    outside: float = -np.inf,
) -> None:
    """Offer HiGHS's answer; `outside` bounds the answers its model left out (fixing)."""
    stages["search_seconds"] += result.found_seconds
    stages["proof_seconds"] += result.seconds - result.found_seconds
    if result.objective > -np.inf:
        answer.offer(result.chosen, result.objective, max(_milp_bound(result, gap), outside))
    elif outside < answer.bound:
        answer.offer(answer.incumbent, answer.objective, max(result.bound, outside))


def _decompose(
    relaxation: _Relaxation,
    center: FloatArray,
    evaluated: tuple[float, FloatArray, FloatArray],
    answer: _Answer,
    stages: dict[str, float],
    gap: float,
    time_limit: float,
    started: float,
    *,
    close_with_milp: bool,
    max_milp_pairs: int,
    stop: threading.Event | None,
) -> None:
    """The own method: the Lagrangian dual, repaired primals, fixing, the MILP over the rest.

    Starts from `center`, already `evaluated` (bound, subgradient, reduced scores); improves
    `answer` in place; returns early once `stop` is set (the other route proved).
    """
    problem = relaxation.problem
    scores = problem.pair_score
    target = max(gap, OPTIMALITY_TOLERANCE)

    def elapsed() -> float:
        return time.perf_counter() - started

    def stopped() -> bool:
        return stop is not None and stop.is_set()

    def lap(stage: str, since: float) -> float:
        now = time.perf_counter()
        stages[f"{stage}_seconds"] += now - since
        return now

    # Dual: proximal bundle over the multipliers; `step` is the proximal parameter t.
    clock = time.perf_counter()
    center_value, gradient, reduced = evaluated
    best_reduced: FloatArray | None = reduced
    best_bound, best_point = center_value, center
    window: _Window | None = None
    previous, radius = center, float(np.inf)

    def evaluate(candidate: FloatArray) -> tuple[float, FloatArray, FloatArray | None]:
        """Over the window when it holds the candidate; otherwise over every pair, and a new
        window there when the steps have become small enough to stay in one for a while."""
        nonlocal window, previous, radius
        step = float(np.abs(candidate - previous).max(initial=0.0))
        previous = candidate
        if window is not None and window.holds(candidate):
            stages["window_evaluations"] = stages.get("window_evaluations", 0) + 1
            return (*window.evaluate(candidate), None)
        window = None
        value, gradient, reduced = relaxation.evaluate(candidate)
        if step <= radius / 2:
            window = _Window(relaxation, candidate, reduced)
            radius = window.radius
            stages["windows"] = stages.get("windows", 0) + 1
        return value, gradient, reduced

    cuts = [(center_value, gradient, center)]
    step = 1.0 / max(1.0, float(np.abs(relaxation.upper).max(initial=1.0)))
    iterations = serious_steps = since_primal = 0
    history: list[float] = []
    dual_budget = time_limit * (0.6 if close_with_milp else 0.95)
    while (
        len(center)
        and _gap(answer.objective, best_bound) > target
        and elapsed() < dual_budget
        and iterations < 2000
        and not stopped()
    ):
        iterations += 1
        master = _master(cuts, center, step, min(1.0, max(0.01, dual_budget - elapsed())))
        if master is None:
            stages["master_unsolved"] = 1
            break
        candidate, model_value = master
        history.append(best_bound)
        stalled = max(1e-8 * abs(best_bound), 0.001 * (best_bound - answer.objective))
        if len(history) > 15 and history[-16] - best_bound <= stalled:
            break  # the bound moves too slowly to close the gap: the MILP closes it
        predicted = center_value - model_value
        if predicted <= max(1e-12, 1e-12 * abs(center_value)):
            break  # the model proves the centre optimal: the bound cannot improve
        value, gradient, latest = evaluate(candidate)
        cuts.append((value, gradient, candidate))
        if len(cuts) > 4 * len(center) + 50:
            cuts.pop(1)
        if value < best_bound:
            best_bound, best_point, best_reduced = value, candidate, latest
        if center_value - value >= 0.1 * predicted:
            if center_value - value >= 0.5 * predicted:
                step *= 2.0
            center, center_value = candidate, value
            serious_steps += 1
            since_primal += 1
            if _primal_due(since_primal, history, best_bound, gap):
                since_primal = 0
                window = None  # its memory goes to the primal; the next steps rebuild it
                clock = lap("relaxation", clock)
                trial = _primal(relaxation, _full(relaxation, candidate, latest))
                answer.offer(trial, float(scores[trial].sum()), best_bound)
                clock = lap("primal", clock)
        else:
            step = max(step * 0.7, 1e-12)
    window = None
    relaxation.forget_reach()
    reduced = _full(relaxation, best_point, best_reduced)
    clock = lap("relaxation", clock)
    trial = _primal(relaxation, reduced)
    answer.offer(trial, float(scores[trial].sum()), best_bound)
    clock = lap("primal", clock)
    stages["dual_iterations"] = iterations

    # Close the gap: reduced-cost fixing, then MILPs over the pairs that can still matter.
    if (
        _gap(answer.objective, answer.bound) <= target
        or not close_with_milp
        or elapsed() >= time_limit
        or stopped()
    ):
        return
    _close(
        relaxation,
        best_bound,
        reduced,
        answer,
        stages,
        gap,
        time_limit,
        started,
        max_milp_pairs=max_milp_pairs,
        stop=stop,
    )


PRIMAL_EVERY = 8
"""Serious bundle steps between repaired primals while the bound still moves (see
`_primal_due`)."""


def _primal_due(since: int, history: list[float], bound: float, gap: float) -> bool:
    """Whether a repaired primal is worth its cost at this serious step.

    Proving optimality, every `PRIMAL_EVERY` steps: the incumbent sets when the bundle stalls
    and how much fixing removes. With a gap asked, only once the bound has moved less than
    that gap over the last `PRIMAL_EVERY` steps (then every other serious step): before, a
    primal seldom reaches the gap, and on 100,000 x 200 at 1e-6 the primals took a fifth of
    the time.
    """
    if gap <= 0:
        return since >= PRIMAL_EVERY
    settled = len(history) > PRIMAL_EVERY and (
        history[-PRIMAL_EVERY - 1] - bound <= gap * abs(bound)
    )
    return settled and since >= 2


def _full(
    relaxation: _Relaxation, multipliers: FloatArray, reduced: FloatArray | None
) -> FloatArray:
    """Every pair's reduced score, when a window evaluation left them out."""
    return relaxation.reduced(multipliers) if reduced is None else reduced


NEIGHBOURHOOD_PAIRS = 1500
"""Pairs the first closing MILP gets (see `_close`). Measured with bench/matching.py, random
shape: 10,000 x 50 and 100,000 x 50 found their optimum in 0.5 s and 1 s over about 1,400
pairs, where the MILP over all the pairs fixing leaves (20,000 and 27,000) took 3 s and 21 s."""


PROOF_GROWTH = 16
"""A round after a neighbourhood goes straight to the proof when that leaves at most this
many times the neighbourhood's pairs. Measured (100,000 x 200, random shape): after 6,000
pairs found the optimum, the proof over 66,953 pairs took 8.8 s; the 24,000-pair round the
fourfold growth put first added 4.8 s and proved nothing."""


def _close(
    relaxation: _Relaxation,
    lagrangian: float,
    reduced: FloatArray,
    answer: _Answer,
    stages: dict[str, float],
    gap: float,
    time_limit: float,
    started: float,
    *,
    max_milp_pairs: int,
    stop: threading.Event | None,
) -> None:
    """Close the gap with MILPs over the pairs reduced-cost fixing leaves free.

    Fixing at the full slack (bound − incumbent) keeps every better answer, but leaves many
    pairs, and HiGHS spends most of its time finding the optimum among them. So the first
    MILP gets a small neighbourhood (a smaller slack τ): any answer outside it scores at most
    `lagrangian − τ`, so `max(its bound, lagrangian − τ)` is a proven bound, and when its
    optimum reaches that, the answer is proven. Otherwise the next round takes four times the
    pairs, or the new, smaller full slack when that leaves not many more (the proof, see
    `PROOF_GROWTH`), started from the best answer; HiGHS's sub-MIP heuristics are off: with a
    good start they only cost time. Presolve runs only for rounds without a start (the
    incumbent breaks their fixings): measured on the 100,000 x 200 rounds, it took the proof
    from 8.8 s to 25.7 s when started, and a 6,000-pair round without start from 11.5 s to 2.4 s.
    """
    problem = relaxation.problem
    target = max(gap, OPTIMALITY_TOLERANCE)
    clock = time.perf_counter()
    losses = _losses(relaxation, reduced)
    size = NEIGHBOURHOOD_PAIRS
    neighbourhood = _neighbourhood(losses[0], size)
    stages["reduction_seconds"] += time.perf_counter() - clock
    rounds = 0
    while _gap(answer.objective, answer.bound) > target:
        remaining = time_limit - (time.perf_counter() - started)
        if remaining <= 0 or (stop is not None and stop.is_set()):
            return
        clock = time.perf_counter()
        slack = lagrangian - answer.objective
        final = neighbourhood >= slack
        threshold = slack if final else neighbourhood
        fixed, free = _fixings(relaxation, losses, threshold)
        stages["milp_pairs"] = max(stages.get("milp_pairs", 0), len(free))
        stages["fixed_pairs"] = len(fixed)
        stages["reduction_seconds"] += time.perf_counter() - clock
        if len(free) > max_milp_pairs:
            return
        rounds += 1
        stages["milp_rounds"] = rounds
        start = np.setdiff1d(answer.incumbent, fixed)
        fits = len(start) + len(fixed) == len(answer.incumbent) and bool(np.isin(start, free).all())
        try:
            result = solve_milp(
                problem,
                columns=free,
                start=start if fits else None,
                fixed=fixed,
                time_limit=remaining,
                relative_gap=gap,
                presolve=not fits,
                heuristics=False,
                stop=stop,
            )
        except FixedOverflow:
            result = None  # no answer holds every forced pair: none scores above the threshold
        outside = answer.objective if final else lagrangian - threshold
        if result is None:
            answer.offer(answer.incumbent, answer.objective, max(outside, answer.objective))
        else:
            # Over the free pairs only: its bound counts with what fixing left outside.
            _take_milp(answer, result, gap, stages, outside)
        if final or not (result is None or _proven(result, gap)):
            return
        # The next round: the proof at the (new) full slack when it leaves at most
        # PROOF_GROWTH times this round's pairs, else four times the pairs, so a
        # neighbourhood that missed never jumps to a MILP HiGHS cannot start.
        slack = lagrangian - answer.objective
        proof_pairs = int(np.count_nonzero(losses[0] <= slack + 1e-9 * max(1.0, slack)))
        if proof_pairs <= PROOF_GROWTH * len(free):
            neighbourhood = float(np.inf)
        else:
            size *= 4
            neighbourhood = _neighbourhood(losses[0], size)


def _checked(
    problem: Problem,
    answer: _Answer,
    target: float,
    started: float,
    stages: dict[str, float],
    method: Method,
) -> Solution:
    """The answer with its status, once the independent validator has passed it."""
    clock = time.perf_counter()
    assignment = _assignment(problem, answer.incumbent)
    problems = violations(problem, assignment)
    if problems:
        raise AssertionError(f"the matcher produced an infeasible answer: {problems[:5]}")
    objective, bound = answer.objective, max(answer.bound, answer.objective)
    final_gap = _gap(objective, bound)
    status: Status
    if final_gap <= OPTIMALITY_TOLERANCE:
        status = "optimal"
    elif final_gap <= target:
        status = "within_gap"
    else:
        status = "time_limit"
    stages["validate_seconds"] = time.perf_counter() - clock
    seconds = time.perf_counter() - started
    return Solution(assignment, objective, bound, status, seconds, stages, method)
