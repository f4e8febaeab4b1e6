"""Every matching constraint, written once as rows `A x <= b` over the pair variables.

The same rows build the MILP handed to HiGHS, give the Lagrangian its relaxed capacities, and
validate any solution, whoever produced it. A new constraint added here is therefore enforced
by the solver and checked by the validator at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from accord.matching.problem import NO_LIMIT, FloatArray, IntArray, Problem


@dataclass(frozen=True, eq=False)
class Rows:
    """A block of constraints with one readable label per row.

    `relaxed` rows are the capacities the Lagrangian moves into the objective; the others
    (one pool per family, pins) stay in its per-family subproblem, which solves them exactly.
    """

    name: str
    matrix: sp.csr_array
    upper: FloatArray
    label: Callable[[int], str]
    relaxed: bool

    @property
    def count(self) -> int:
        return len(self.upper)


def _rows(
    problem: Problem,
    row_of_pair: IntArray,
    coefficient: FloatArray,
    n_rows: int,
    pairs: IntArray | None = None,
) -> sp.csr_array:
    columns = np.arange(problem.n_pairs) if pairs is None else pairs
    entries = sp.coo_array((coefficient, (row_of_pair, columns)), shape=(n_rows, problem.n_pairs))
    return sp.csr_array(entries)


def one_pool_per_family(problem: Problem) -> Rows:
    return Rows(
        "one pool per family",
        _rows(problem, problem.pair_family, np.ones(problem.n_pairs), problem.n_families),
        np.ones(problem.n_families),
        lambda i: f"family {problem.family_ids[i]} is in at most one pool",
        relaxed=False,
    )


def pool_persons(problem: Problem) -> Rows:
    return Rows(
        "pool person limit",
        _rows(problem, problem.pair_pool, problem.pair_size.astype(np.float64), problem.n_pools),
        problem.person_limit.astype(np.float64),
        lambda j: (
            f"pool {problem.pools[j].agreement_id} holds at most "
            f"{problem.pools[j].person_limit} people"
        ),
        relaxed=True,
    )


def pool_families(problem: Problem) -> Rows:
    limited = np.flatnonzero(problem.family_limit != NO_LIMIT)
    row_of_pool = np.full(problem.n_pools, -1, dtype=np.int64)
    row_of_pool[limited] = np.arange(len(limited))
    pairs = np.flatnonzero(row_of_pool[problem.pair_pool] >= 0)
    return Rows(
        "pool family limit",
        _rows(
            problem, row_of_pool[problem.pair_pool[pairs]], np.ones(len(pairs)), len(limited), pairs
        ),
        problem.family_limit[limited].astype(np.float64),
        lambda i: (
            f"pool {problem.pools[limited[i]].agreement_id} holds at most "
            f"{problem.pools[limited[i]].family_limit} families"
        ),
        relaxed=True,
    )


@dataclass(frozen=True, eq=False)
class ShareRows:
    """The nationality-share rows: one per pool and group that has an eligible pair."""

    pairs: IntArray
    """The pairs the rows count (a pool with a share, a family with a group)."""
    row_of_pair: IntArray
    """Per entry of `pairs`, its row."""
    pool_of_row: IntArray
    group_of_row: IntArray
    upper: FloatArray


def share_rows(problem: Problem) -> ShareRows:
    """Rows numbered by (pool, group) in order; a count per key, not a sort, over the pairs."""
    n_groups = max(1, len(problem.groups))
    shares = np.array([p.max_group_share for p in problem.pools])
    pairs = np.flatnonzero((shares[problem.pair_pool] < 1.0) & (problem.pair_group >= 0))
    keys = problem.pair_pool[pairs] * n_groups + problem.pair_group[pairs]
    present = np.bincount(keys, minlength=problem.n_pools * n_groups) > 0
    row_of_key = np.cumsum(present) - 1
    used = np.flatnonzero(present)
    pool_of_row, group_of_row = used // n_groups, used % n_groups
    upper = np.floor(shares[pool_of_row] * problem.person_limit[pool_of_row] + 1e-9)
    return ShareRows(pairs, row_of_key[keys], pool_of_row, group_of_row, upper)


def group_share(problem: Problem) -> Rows:
    """Balance: at most a share of a pool's person limit from one nationality group."""
    rows = share_rows(problem)
    return Rows(
        "nationality share",
        _rows(
            problem,
            rows.row_of_pair,
            problem.pair_size[rows.pairs].astype(np.float64),
            len(rows.upper),
            rows.pairs,
        ),
        rows.upper,
        lambda i: (
            f"pool {problem.pools[rows.pool_of_row[i]].agreement_id} takes at most "
            f"{int(rows.upper[i])} people of nationality {problem.groups[rows.group_of_row[i]]}"
        ),
        relaxed=True,
    )


def pinned(problem: Problem) -> Rows:
    """A pin is `-x <= -1`: the pair must be chosen."""
    pins = np.flatnonzero(problem.pinned_in)
    return Rows(
        "pinned in",
        _rows(problem, np.arange(len(pins)), -np.ones(len(pins)), len(pins), pins),
        -np.ones(len(pins)),
        lambda i: (
            f"family {problem.family_ids[problem.pair_family[pins[i]]]} is pinned into "
            f"{problem.pools[problem.pair_pool[pins[i]]].agreement_id}"
        ),
        relaxed=False,
    )


CONSTRAINTS: tuple[Callable[[Problem], Rows], ...] = (
    one_pool_per_family,
    pool_persons,
    pool_families,
    group_share,
    pinned,
)


def all_rows(problem: Problem) -> list[Rows]:
    return [build(problem) for build in CONSTRAINTS]


def choice_vector(problem: Problem, assignment: IntArray) -> tuple[FloatArray, list[str]]:
    """0/1 per pair from a family -> pool assignment (-1 = none), and the ineligible choices."""
    chosen = np.flatnonzero(assignment >= 0)
    keys = problem.pair_family * problem.n_pools + problem.pair_pool
    wanted = chosen * problem.n_pools + assignment[chosen]
    at = np.searchsorted(keys, wanted)
    at_clipped = np.minimum(at, max(0, problem.n_pairs - 1))
    found = (at < problem.n_pairs) & (keys[at_clipped] == wanted) if problem.n_pairs else at < 0
    x = np.zeros(problem.n_pairs)
    x[at_clipped[found]] = 1.0
    problems = [
        f"family {problem.family_ids[f]} was pinned out of {problem.pools[assignment[f]].agreement_id}"
        if (int(f), int(assignment[f])) in problem.pinned_out
        else f"family {problem.family_ids[f]} is not eligible for "
        f"{problem.pools[assignment[f]].agreement_id}"
        for f in chosen[~found]
    ]
    return x, problems


def violations(problem: Problem, assignment: IntArray, *, tolerance: float = 1e-9) -> list[str]:
    """Every violated constraint of a family -> pool assignment, by label; empty when feasible.

    Independent of how the assignment was found: it reads only the problem and the answer.
    """
    if assignment.shape != (problem.n_families,):
        return [f"the assignment covers {len(assignment)} families, not {problem.n_families}"]
    if ((assignment < -1) | (assignment >= problem.n_pools)).any():
        return ["the assignment names a pool that does not exist"]
    x, found = choice_vector(problem, assignment)
    # Only chosen and pinned pairs can load a row, and every other row's bound is at least 0:
    # the rows built over those pairs alone are the same check, with a fraction of the entries.
    kept = np.flatnonzero((x > 0) | problem.pinned_in)
    loaded = dataclasses.replace(
        problem,
        pair_family=problem.pair_family[kept],
        pair_pool=problem.pair_pool[kept],
        pair_score=problem.pair_score[kept],
        pinned_in=problem.pinned_in[kept],
    )
    for rows in all_rows(loaded):
        excess = rows.matrix @ x[kept] - rows.upper
        found.extend(rows.label(int(i)) for i in np.flatnonzero(excess > tolerance))
    return found
