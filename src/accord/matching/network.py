"""One-person families: the matching problem is a min-cost flow, solved exactly.

When every family that has an eligible pair is one person (individual adults, the usual case
of a transfer arrangement), a pool's person and family limits count the same thing, and the
constraints are those of a network: source → family (capacity 1) → the pool's nationality row
(its share) → the pool (its limit) → sink, plus a source → sink arc for the families no pool
takes. Network matrices are totally unimodular, so the flow's optimum is the MILP's optimum; a
network solver (OR-Tools' cost-scaling min-cost flow) finds it in polynomial time, where the
Lagrangian stalls on tied scores and HiGHS's branch and bound cannot start at national scale.

The certificate is Accord's own, not the flow solver's word: the rows' prices (the duals the
optimal flow satisfies with complementary slackness) are recovered by shortest paths over the
few pool and nationality rows, and the Lagrangian bound at those prices, over every pair with
the true scores, bounds the optimum. On large problems the flow first gets only the pairs
near each family's best at prices from a sample of the families (`_first_arcs`); a pair the
final prices say could improve is added and the flow solved again, so the bound over all
pairs is what proves the answer. Scores are scaled to integers (exactly where a small factor
does it); pins are placed first and their rows' capacities reduced.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse.csgraph as csgraph
from ortools.graph.python import min_cost_flow

from accord.matching.constraints import share_rows
from accord.matching.problem import NO_LIMIT, BoolArray, FloatArray, IntArray, Pool, Problem

EXACT_SCALES = (1, 2, 4, 8, 10, 100, 1_000, 10_000, 100_000, 1_000_000)
"""Factors tried, smallest first, to make every score an exact integer (fewer cost-scaling
phases than a large factor)."""

COST_HEADROOM = 2**50
"""The cost-scaling solver multiplies costs by the number of nodes; scaled scores times that
stay under this (and path lengths over the rows stay exact in double precision)."""

SAMPLE_EVERY = 10
"""The first flow's prices come from every tenth family, with the limits cut to a tenth."""

NEAR_BEST = 0.05
"""At those prices, a family's pairs within this share of the scores' range of its best go to
the first flow (ties included). Measured on the bench's features shape (scores 1 to 25, so
within 1.2 points): at 1,000,000 x 50, 4.8 million of 23 million pairs, and one round proves
the optimum (at 0.04, within 0.96 points, a second round was needed and cost more)."""

ALL_PAIRS_UP_TO = 500_000
"""Below this many pairs the first flow has them all: restricting saves nothing there."""


@dataclass(frozen=True)
class Prices:
    """Duals of the limits: per pool, and the extra per pool and nationality share row."""

    pool: FloatArray
    group: FloatArray
    """Shape (pools, groups); 0 where a pool has no share row for the group."""


@dataclass(frozen=True)
class FlowResult:
    chosen: IntArray
    """Indices of the chosen pairs (pins included)."""
    objective: float
    bound: float
    """The Lagrangian bound, over every pair, at the prices of the final flow."""
    prices: Prices
    """The prices that prove it (and seed a larger problem of the same shape)."""
    scale: float
    rounds: int
    arcs: int
    """Pairs in the last flow solved."""
    build_seconds: float
    solve_seconds: float
    proof_seconds: float


def applies(problem: Problem) -> bool:
    """Whether the problem is a network: every family with a pair is one person, and the pins
    fit their pools' limits (otherwise the general routes say what breaks)."""
    if problem.n_pairs == 0 or (problem.pair_size != 1).any():
        return False
    if not problem.pinned_in.any():
        return True
    rows = _Rows(problem)
    return bool((rows.capacity >= 0).all() and (rows.share_capacity >= 0).all())


class _Rows:
    """The pools' limits and nationality shares as the flow's capacities, after the pins."""

    def __init__(self, problem: Problem) -> None:
        limit = problem.person_limit.copy()
        families = problem.family_limit
        np.minimum(limit, np.where(families == NO_LIMIT, limit, families), out=limit)
        shares = share_rows(problem)
        self.share_row = np.full(problem.n_pairs, -1, dtype=np.int64)
        """Per pair its nationality-share row, or -1."""
        self.share_row[shares.pairs] = shares.row_of_pair
        self.share_pool, self.share_group = shares.pool_of_row, shares.group_of_row
        pins = np.flatnonzero(problem.pinned_in)
        self.capacity: IntArray = limit - np.bincount(
            problem.pair_pool[pins], minlength=problem.n_pools
        )
        pinned_rows = self.share_row[pins]
        self.share_capacity: IntArray = shares.upper.astype(np.int64) - np.bincount(
            pinned_rows[pinned_rows >= 0], minlength=len(shares.upper)
        )
        # A pair's price node: its share row's, else its pool's (nodes 1.. pools, then rows).
        self.price_node = np.where(
            self.share_row >= 0, 1 + problem.n_pools + self.share_row, 1 + problem.pair_pool
        )


@dataclass(frozen=True, eq=False)
class _Free:
    """The pairs of families not pinned, with what every round reads of them (computed once:
    at national scale each is a pass over tens of millions of pairs)."""

    index: IntArray
    """Positions in the problem's pairs."""
    family: IntArray
    score: FloatArray
    node: IntArray
    """Each pair's price node (`_Rows.price_node`)."""
    starts: IntArray
    """Where each family's pairs begin."""
    counts: IntArray
    """How many pairs each family has."""

    @classmethod
    def of(cls, problem: Problem, rows: _Rows) -> _Free:
        pinned_family = np.zeros(problem.n_families, dtype=np.bool_)
        pinned_family[problem.pair_family[problem.pinned_in]] = True
        index = np.flatnonzero(~pinned_family[problem.pair_family])
        family = problem.pair_family[index]
        starts = np.flatnonzero(np.diff(family, prepend=-1))
        counts = np.diff(np.append(starts, len(index)))
        return cls(index, family, problem.pair_score[index], rows.price_node[index], starts, counts)

    def best(self, reduced: FloatArray) -> FloatArray:
        """Per family, its best reduced score, or 0 for taking nothing."""
        best: FloatArray = np.maximum(np.maximum.reduceat(reduced, self.starts), 0.0)
        return best


def _scale(scores: FloatArray, n_nodes: int) -> float:
    """The factor turning scores into integer costs: the smallest that makes them all exact,
    else the largest that cannot overflow."""
    largest = float(np.abs(scores).max(initial=0.0))
    ceiling = COST_HEADROOM / max(1.0, largest) / (n_nodes + 1)
    for factor in EXACT_SCALES:
        if factor > ceiling:
            break
        scaled = scores * factor
        if np.array_equal(scaled, np.rint(scaled)):
            return float(factor)
    return float(2 ** int(np.floor(np.log2(ceiling))))


def solve_flow(
    problem: Problem,
    *,
    gap: float = 0.0,
    progress: Callable[[float, float], None] | None = None,
) -> FlowResult:
    """The optimal pools of a network problem (`applies`), and the bound that proves them;
    stops adding pairs once the bound is within `gap` of the answer. `progress` is told the
    answer and the bound after each round."""
    clock = time.perf_counter()
    rows = _Rows(problem)
    free = _Free.of(problem, rows)
    n_nodes = 2 + problem.n_families + len(rows.share_capacity) + problem.n_pools
    scale = _scale(free.score, n_nodes)
    costs = np.rint(free.score * scale).astype(np.int64)
    pinned_score = float(problem.pair_score[problem.pinned_in].sum())
    tolerance = 1e-9 * max(1.0, float(np.abs(problem.pair_score).max(initial=0.0)))
    arcs = _first_arcs(problem, rows, free)
    build = time.perf_counter() - clock
    solving = proving = 0.0
    rounds = 0
    while True:
        rounds += 1
        clock = time.perf_counter()
        taken = _optimal_flow(problem, rows, free.family[arcs], free.node[arcs], costs[arcs])
        chosen = arcs[taken]
        solving += time.perf_counter() - clock
        clock = time.perf_counter()
        prices = _as_prices(
            problem, rows, _prices(problem, rows, free, arcs, chosen, costs) / scale
        )
        bound, better = _bound(problem, rows, free, prices, chosen, tolerance)
        objective = pinned_score + float(free.score[chosen].sum())
        bound += pinned_score
        proving += time.perf_counter() - clock
        if progress is not None:
            progress(objective, max(bound, objective))
        better[arcs] = False  # the flow's own pairs meet the prices (up to rounding)
        if not better.any() or bound - objective <= gap * bound:
            break
        arcs = np.union1d(arcs, np.flatnonzero(better))
    answer = np.sort(np.concatenate([free.index[chosen], np.flatnonzero(problem.pinned_in)]))
    return FlowResult(
        answer,
        objective,
        max(bound, objective),
        prices,
        scale,
        rounds,
        len(arcs),
        build,
        solving,
        proving,
    )


def _first_arcs(problem: Problem, rows: _Rows, free: _Free) -> IntArray:
    """Positions (in `free`) of the pairs the first flow gets: all of them for small problems;
    else, at prices from a flow over a sample of the families (every `SAMPLE_EVERY`-th, with
    the limits cut to match), each family's pairs within `NEAR_BEST` of its best."""
    if len(free.index) <= ALL_PAIRS_UP_TO or problem.n_families < SAMPLE_EVERY**2:
        return np.arange(len(free.index))
    sample = _sample(problem)  # itself sampled in turn while it is large
    reduced = free.score - _pair_prices(rows, free, solve_flow(sample).prices)
    best_of_pair = np.repeat(free.best(reduced), free.counts)
    near = NEAR_BEST * float(free.score.max() - free.score.min())
    return np.flatnonzero(reduced >= best_of_pair - near)


def _sample(problem: Problem) -> Problem:
    """Every `SAMPLE_EVERY`-th family that is not pinned, with the pools' limits cut to match."""
    every = SAMPLE_EVERY
    kept = np.zeros(problem.n_families, dtype=np.bool_)
    kept[::every] = True
    kept[problem.pair_family[problem.pinned_in]] = False  # placed already, not priced
    pairs = np.flatnonzero(kept[problem.pair_family])
    renumber = np.cumsum(kept) - 1
    pools = tuple(
        Pool(
            pool.agreement_id,
            max(1, pool.person_limit // every),
            pool.family_limit
            if pool.family_limit == NO_LIMIT
            else max(1, pool.family_limit // every),
            pool.max_group_share,
        )
        for pool in problem.pools
    )
    return Problem(
        family_ids=tuple(problem.family_ids[i] for i in np.flatnonzero(kept)),
        family_size=problem.family_size[kept],
        family_group=problem.family_group[kept],
        groups=problem.groups,
        pools=pools,
        pair_family=renumber[problem.pair_family[pairs]],
        pair_pool=problem.pair_pool[pairs],
        pair_score=problem.pair_score[pairs],
        pinned_in=np.zeros(len(pairs), dtype=np.bool_),
    )


def _optimal_flow(
    problem: Problem, rows: _Rows, family: IntArray, node: IntArray, costs: IntArray
) -> BoolArray:
    """Which of the pairs (given by family, price node and cost) the min-cost flow takes.

    Families with one pair here are alike when it goes to the same row at the same cost: each
    such class is one arc from the source with its size as capacity (at national scale most
    families are in one, and the solver's time follows its nodes), and a class's flow goes to
    its first families. A family with more pairs is a node of its own."""
    n_pools, n_shares = problem.n_pools, len(rows.share_capacity)
    # The flow's nodes: source, sink, then the price nodes (pools, share rows), then families.
    source, sink, first_pool = 0, 1, 2
    first_share = first_pool + n_pools
    head = node + 1
    single = np.bincount(family, minlength=problem.n_families)[family] == 1
    low = int(costs.min(initial=0))
    keys = head[single] * (int(costs.max(initial=0)) - low + 1) + (costs[single] - low)
    classes, class_of, class_size = np.unique(keys, return_inverse=True, return_counts=True)
    first_member = np.unique(class_of, return_index=True)[1]
    class_head, class_cost = head[single][first_member], costs[single][first_member]
    several = np.flatnonzero(~single)
    owners, owner_of = np.unique(family[several], return_inverse=True)
    first_owner = first_share + n_shares
    people = int(single.sum()) + len(owners)
    tails = np.concatenate(
        [
            np.full(len(classes) + len(owners), source),
            first_owner + owner_of,
            first_share + np.arange(n_shares),
            first_pool + np.arange(n_pools),
            [source],
        ]
    )
    heads = np.concatenate(
        [
            class_head,
            first_owner + np.arange(len(owners)),
            head[several],
            first_pool + rows.share_pool,
            np.full(n_pools, sink),
            [sink],
        ]
    )
    capacities = np.concatenate(
        [
            class_size,
            np.ones(len(owners) + len(several), dtype=np.int64),
            rows.share_capacity,
            rows.capacity,
            [people],
        ]
    )
    unit_costs = np.concatenate(
        [-class_cost, np.zeros(len(owners), dtype=np.int64), -costs[several]]
    )
    unit_costs = np.concatenate([unit_costs, np.zeros(len(tails) - len(unit_costs), np.int64)])
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), capacities, unit_costs
    )
    n_nodes = first_owner + len(owners)
    supplies = np.zeros(n_nodes, dtype=np.int64)
    supplies[source], supplies[sink] = people, -people
    flow.set_nodes_supplies(np.arange(n_nodes, dtype=np.int32), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"the min-cost flow ended {status.name}, not optimal")
    arcs = np.arange(len(tails), dtype=np.int32)
    class_flow = flow.flows(arcs[: len(classes)])
    first_pair_arc = len(classes) + len(owners)
    pair_flow = flow.flows(arcs[first_pair_arc : first_pair_arc + len(several)])
    taken = np.zeros(len(family), dtype=np.bool_)
    # A class's flow goes to its first families (pairs are in family order).
    members = np.flatnonzero(single)
    order = np.argsort(class_of, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    starts = np.cumsum(class_size) - class_size
    rank[order] = np.arange(len(order)) - np.repeat(starts, class_size)
    taken[members[rank < class_flow[class_of]]] = True
    taken[several[pair_flow > 0]] = True
    return taken


def _prices(
    problem: Problem,
    rows: _Rows,
    free: _Free,
    arcs: IntArray,
    chosen: IntArray,
    costs: IntArray,
) -> FloatArray:
    """Prices per node (0: nothing, then pools, then share rows), in scaled cost units, that
    the flow over `arcs` meets with complementary slackness: every family takes its best pair
    at these prices, a row with room is free, a share row costs at least its pool.

    They are the shortest distances in a system of difference constraints `a - b <= w` (an
    edge b → a of weight w), one per family and pair folded into one edge per pair of rows."""
    n_pools, n_shares = problem.n_pools, len(rows.share_capacity)
    n_nodes = 1 + n_pools + n_shares
    node, family = free.node[arcs], free.family[arcs]
    cost = costs[arcs].astype(np.float64)
    chosen_family = free.family[chosen]
    at_node = np.full(problem.n_families, -1, dtype=np.int64)
    at_cost = np.zeros(problem.n_families)
    at_node[chosen_family] = free.node[chosen]
    at_cost[chosen_family] = costs[chosen]
    placed = at_node[family] >= 0
    # A placed family prefers its pair: price(its) - price(other) <= its cost - other cost;
    # and gains from it: price(its) <= its cost. An unplaced one gains from none: -price <= -cost.
    tails = np.concatenate([node[placed], np.zeros(len(chosen), dtype=np.int64), node[~placed]])
    heads = np.concatenate(
        [
            at_node[family[placed]],
            at_node[chosen_family],
            np.zeros(np.count_nonzero(~placed), dtype=np.int64),
        ]
    )
    weights = np.concatenate(
        [at_cost[family[placed]] - cost[placed], costs[chosen].astype(np.float64), -cost[~placed]]
    )
    edges = np.full(n_nodes * n_nodes, np.inf)
    np.minimum.at(edges, tails * n_nodes + heads, weights)
    graph = edges.reshape(n_nodes, n_nodes)
    pools = 1 + np.arange(n_pools)
    shares = 1 + n_pools + np.arange(n_shares)
    share_pools = 1 + rows.share_pool
    chosen_rows = rows.share_row[free.index[chosen]]
    load = np.bincount(problem.pair_pool[free.index[chosen]], minlength=n_pools)
    share_load = np.bincount(chosen_rows[chosen_rows >= 0], minlength=n_shares)
    # Prices are at least 0, and 0 where the pool has room; a share row costs at least its
    # pool, and exactly its pool where it has room.
    graph[pools, 0] = np.minimum(graph[pools, 0], 0.0)
    roomy = pools[load < rows.capacity]
    graph[0, roomy] = np.minimum(graph[0, roomy], 0.0)
    graph[shares, share_pools] = np.minimum(graph[shares, share_pools], 0.0)
    roomy_shares = share_load < rows.share_capacity
    graph[share_pools[roomy_shares], shares[roomy_shares]] = np.minimum(
        graph[share_pools[roomy_shares], shares[roomy_shares]], 0.0
    )
    # No price above the best cost: keeps every node reachable without constraining.
    ceiling = float(costs.max(initial=0)) + 1.0
    graph[0, 1:] = np.minimum(graph[0, 1:], ceiling)
    np.fill_diagonal(graph, np.inf)
    distances: FloatArray = csgraph.bellman_ford(
        csgraph.csgraph_from_dense(graph, null_value=np.inf), indices=np.array([0])
    )[0]
    return distances


def _as_prices(problem: Problem, rows: _Rows, nodes: FloatArray) -> Prices:
    pool = nodes[1 : 1 + problem.n_pools]
    group = np.zeros((problem.n_pools, max(1, len(problem.groups))))
    group[rows.share_pool, rows.share_group] = nodes[1 + problem.n_pools :] - pool[rows.share_pool]
    return Prices(pool, group)


def _pair_prices(rows: _Rows, free: _Free, prices: Prices) -> FloatArray:
    """Each free pair's price: its pool's, plus its share row's where it has one."""
    share = prices.pool[rows.share_pool] + prices.group[rows.share_pool, rows.share_group]
    node_price = np.concatenate([[0.0], prices.pool, share])
    result: FloatArray = node_price[free.node]
    return result


def _bound(
    problem: Problem,
    rows: _Rows,
    free: _Free,
    prices: Prices,
    chosen: IntArray,
    tolerance: float,
) -> tuple[float, BoolArray]:
    """The Lagrangian bound over every free pair at the prices, and the pairs that beat what
    their family gets in the flow (by more than `tolerance`) at those prices: the ones to add."""
    share_price = prices.group[rows.share_pool, rows.share_group]
    reduced = free.score - _pair_prices(rows, free, prices)
    bound = (
        float(free.best(reduced).sum())
        + float(prices.pool @ rows.capacity)
        + float(share_price @ rows.share_capacity)
    )
    gets = np.zeros(problem.n_families)
    gets[free.family[chosen]] = reduced[chosen]
    better: BoolArray = reduced > gets[free.family] + tolerance
    return bound, better
