"""The matching MILP in HiGHS, built from the constraint rows, over all pairs or a subset.

The matcher uses it on the few pairs reduced-cost fixing leaves open, and on the whole model
for the small instances where HiGHS's cuts beat reduced-cost fixing (`solver.choose_method`);
tests and the benchmark use it on the full model as the reference optimum."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from accord.matching.constraints import all_rows
from accord.matching.problem import FloatArray, IntArray, Problem


class FixedOverflow(ValueError):
    """The pairs fixed as chosen already break a constraint: no answer contains them all."""


@dataclass(frozen=True)
class MilpResult:
    chosen: IntArray
    """Indices (into the problem's pairs) of the chosen pairs."""
    objective: float
    bound: float
    """An upper bound on the best objective over the pairs given."""
    optimal: bool
    timed_out: bool
    seconds: float = 0.0
    found_seconds: float = 0.0
    """When HiGHS found the answer it returns (0 when the start was never improved): the rest
    of `seconds` went to proving it."""


@contextlib.contextmanager
def _stdout_silenced() -> Iterator[None]:
    """HiGHS prints a banner to the process's stdout the first time it is created."""
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


@functools.cache
def _banner_shown() -> bool:
    with _stdout_silenced():
        highspy.Highs()  # type: ignore[no-untyped-call]
    return True


def new_highs(time_limit: float) -> highspy.Highs:
    _banner_shown()
    highs = highspy.Highs()  # type: ignore[no-untyped-call]
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("threads", 1)
    highs.setOptionValue("random_seed", 0)
    highs.setOptionValue("time_limit", max(0.01, float(time_limit)))
    return highs


def _restricted(problem: Problem, pairs: IntArray) -> Problem:
    """The problem over some of its pairs only (sorted indices), families and pools kept.

    Building the rows of a few thousand pairs instead of millions keeps each closing MILP's
    set-up small: its cost no longer grows with the pairs left out.
    """
    return dataclasses.replace(
        problem,
        pair_family=problem.pair_family[pairs],
        pair_pool=problem.pair_pool[pairs],
        pair_score=problem.pair_score[pairs],
        pinned_in=problem.pinned_in[pairs],
    )


def _model(
    problem: Problem, columns: IntArray, fixed: IntArray, *, integral: bool
) -> highspy.HighsLp:
    """Maximize the scores of `columns` under every row, less what the `fixed` pairs use."""
    everything = len(columns) == problem.n_pairs and not len(fixed)
    if everything:
        local, local_columns, local_fixed = problem, columns, fixed
    else:
        pairs = np.union1d(columns, fixed)
        local = _restricted(problem, pairs)
        local_columns = np.searchsorted(pairs, columns)
        local_fixed = np.searchsorted(pairs, fixed)
    blocks = all_rows(local)
    matrix = sp.csr_array(
        sp.vstack([rows.matrix[:, local_columns] for rows in blocks], format="csr")
    )
    upper: FloatArray = np.concatenate([rows.upper for rows in blocks])
    if len(fixed):
        taken = np.zeros(local.n_pairs)
        taken[local_fixed] = 1.0
        upper = upper - np.concatenate([rows.matrix @ taken for rows in blocks])
        if (upper < -1e-9).any():
            raise FixedOverflow("the fixed pairs alone break a constraint")
    used = np.flatnonzero(np.diff(matrix.indptr) > 0)
    kept = sp.csc_array(matrix[used].tocsc())
    upper = upper[used]
    lp = highspy.HighsLp()
    n = len(columns)
    lp.num_col_ = n
    lp.num_row_ = len(upper)
    lp.col_cost_ = -problem.pair_score[columns]
    lp.col_lower_ = np.zeros(n)
    lp.col_upper_ = np.ones(n)
    lp.row_lower_ = np.full(len(upper), -highspy.kHighsInf)
    lp.row_upper_ = upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = kept.indptr.astype(np.int32)
    lp.a_matrix_.index_ = kept.indices.astype(np.int32)
    lp.a_matrix_.value_ = kept.data
    if integral:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * n
    return lp


def solve_milp(
    problem: Problem,
    *,
    columns: IntArray | None = None,
    start: IntArray | None = None,
    fixed: IntArray | None = None,
    time_limit: float = 60.0,
    relative_gap: float = 0.0,
    presolve: bool = True,
    heuristics: bool = True,
    stop: threading.Event | None = None,
) -> MilpResult:
    """Maximize the chosen pairs' scores over `columns` (default: every pair), all rows kept.

    `start` (pair indices, a feasible choice within `columns`) is handed to HiGHS as its first
    incumbent. `fixed` pairs (outside `columns`) are taken as chosen: their share of every
    row is used up before the model is built, and they are part of the answer. Without
    `presolve` HiGHS goes straight to its root cuts, which is faster on the small, tightly
    capacitated instances the matcher hands it whole. Setting `stop` (from another thread)
    ends the search early with what HiGHS has: its best answer and its bound stay valid.
    Without `heuristics` HiGHS skips its sub-MIP searches (RINS, RENS, root reduced cost):
    given a start that is already optimal or nearly so, they took 90 % of a proof's time
    (bench/matching.py, 10,000 x 50: 5.6 s with them, 0.4 s without).
    """
    started = time.perf_counter()
    columns = np.arange(problem.n_pairs) if columns is None else columns
    fixed = np.zeros(0, dtype=np.int64) if fixed is None else fixed
    lp = _model(problem, columns, fixed, integral=True)
    n = len(columns)
    highs = new_highs(time_limit)
    highs.setOptionValue("mip_rel_gap", relative_gap)
    highs.setOptionValue("mip_abs_gap", 1e-9)
    highs.setOptionValue("presolve", "on" if presolve else "off")
    if not heuristics:
        for option in (
            "mip_heuristic_run_rins",
            "mip_heuristic_run_rens",
            "mip_heuristic_run_root_reduced_cost",
        ):
            highs.setOptionValue(option, False)
    improved: list[float] = []
    highs.cbMipImprovingSolution.subscribe(lambda _: improved.append(time.perf_counter()))
    if stop is not None:
        for interrupt in (highs.cbSimplexInterrupt, highs.cbIpmInterrupt, highs.cbMipInterrupt):
            interrupt.subscribe(lambda event: event.interrupt(stop.is_set()))
    highs.passModel(lp)
    if start is not None:
        values = np.zeros(n)
        values[np.searchsorted(columns, start)] = 1.0
        solution = highspy.HighsSolution()
        solution.col_value = values.tolist()
        solution.value_valid = True
        highs.setSolution(solution)
    highs.run()
    status = highs.getModelStatus()
    info = highs.getInfo()
    seconds = time.perf_counter() - started
    found = improved[-1] - started if improved else 0.0
    if info.primal_solution_status == 0:  # no feasible point found in time
        return MilpResult(np.zeros(0, dtype=np.int64), -np.inf, np.inf, False, True, seconds)
    values = np.asarray(highs.getSolution().col_value)
    chosen = np.sort(np.concatenate([fixed, columns[values > 0.5]]))
    return MilpResult(
        chosen=chosen,
        objective=float(problem.pair_score[chosen].sum()),
        bound=-float(info.mip_dual_bound) + float(problem.pair_score[fixed].sum()),
        optimal=status == highspy.HighsModelStatus.kOptimal,
        timed_out=status == highspy.HighsModelStatus.kTimeLimit,
        seconds=seconds,
        found_seconds=found,
    )
