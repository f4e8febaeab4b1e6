"""The matching problem as frozen arrays: families, pools, and the eligible (family, pool) pairs.

A national pool holds a million families and tens of millions of eligible pairs, so the problem
is columnar (NumPy) rather than one object per pair. Pairs are sorted by family, then pool, so
"the pairs of one family" is a contiguous slice and per-family maxima are one `reduceat`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

NO_LIMIT = -1
"""A pool's families limit when the agreement sets none."""


class ProblemError(ValueError):
    """Inputs that do not describe a matching problem (a defect in the caller)."""


@dataclass(frozen=True, eq=False)
class Pool:
    """One agreement's proposal pool: how many people (and families) it may still take.

    `max_group_share` is the balance option: no more than that share of `person_limit` from
    one nationality group (1.0 = no balance constraint).
    """

    agreement_id: str
    person_limit: int
    family_limit: int = NO_LIMIT
    max_group_share: float = 1.0


@dataclass(frozen=True, eq=False)
class Problem:
    family_ids: tuple[str, ...]
    family_size: IntArray
    family_group: IntArray
    """Index into `groups` (a family's nationality for balance), -1 when it has none."""
    groups: tuple[str, ...]
    pools: tuple[Pool, ...]
    pair_family: IntArray
    pair_pool: IntArray
    pair_score: FloatArray
    pinned_in: BoolArray
    """Pairs a person has decided must be in the proposal; the rest of that family is dropped."""
    pinned_out: frozenset[tuple[int, int]] = field(default_factory=frozenset)
    """(family, pool) pairs a person excluded; they are not in the pair arrays, kept to show."""

    @cached_property
    def person_limit(self) -> IntArray:
        return np.array([p.person_limit for p in self.pools], dtype=np.int64)

    @cached_property
    def family_limit(self) -> IntArray:
        return np.array([p.family_limit for p in self.pools], dtype=np.int64)

    @cached_property
    def pair_size(self) -> IntArray:
        return self.family_size[self.pair_family]

    @cached_property
    def pair_group(self) -> IntArray:
        return self.family_group[self.pair_family]

    @cached_property
    def family_starts(self) -> IntArray:
        """Index of each family's first pair (families without pairs have none)."""
        boundaries = np.flatnonzero(np.diff(self.pair_family)) + 1
        return np.concatenate([np.zeros(min(1, self.n_pairs), dtype=np.int64), boundaries])

    @property
    def n_families(self) -> int:
        return len(self.family_ids)

    @property
    def n_pools(self) -> int:
        return len(self.pools)

    @property
    def n_pairs(self) -> int:
        return len(self.pair_family)

    def pair_index(self, family: int, pool: int) -> int | None:
        """The position of the (family, pool) pair, or None when it is not eligible."""
        start = int(np.searchsorted(self.pair_family, family, side="left"))
        stop = int(np.searchsorted(self.pair_family, family, side="right"))
        at = start + int(np.searchsorted(self.pair_pool[start:stop], pool))
        return at if at < stop and self.pair_pool[at] == pool else None


@dataclass(frozen=True)
class Candidate:
    """One eligible (family, agreement) pair with its score, as callers hand it in."""

    family_id: str
    agreement_id: str
    score: float


def build_problem(
    families: Sequence[tuple[str, int, str | None]],
    pools: Sequence[Pool],
    candidates: Sequence[Candidate],
    *,
    pinned_in: Sequence[tuple[str, str]] = (),
    pinned_out: Sequence[tuple[str, str]] = (),
) -> Problem:
    """Arrays from readable inputs: families as (id, size, nationality group or None).

    Pins come from people, so a pin on a pair that is not eligible is an error rather than a
    silent no-op: screening is never overridden by a pin.
    """
    family_index = {family_id: i for i, (family_id, _, _) in enumerate(families)}
    if len(family_index) != len(families):
        raise ProblemError("a family id appears twice")
    pool_index = {pool.agreement_id: j for j, pool in enumerate(pools)}
    if len(pool_index) != len(pools):
        raise ProblemError("an agreement appears twice among the pools")
    for pool in pools:
        if pool.person_limit < 0 or not 0 < pool.max_group_share <= 1:
            raise ProblemError(f"pool {pool.agreement_id}: bad limit or share")
    group_names = sorted({g for _, _, g in families if g is not None})
    group_index = {g: k for k, g in enumerate(group_names)}
    sizes = np.array([size for _, size, _ in families], dtype=np.int64)
    if (sizes < 1).any():
        raise ProblemError("every family has at least one person")
    groups = np.array(
        [NO_LIMIT if g is None else group_index[g] for _, _, g in families], dtype=np.int64
    )
    excluded = set()
    for family_id, agreement_id in pinned_out:
        excluded.add((_index(family_index, family_id), _index(pool_index, agreement_id)))
    seen = set()
    rows: list[tuple[int, int, float]] = []
    for c in candidates:
        key = (_index(family_index, c.family_id), _index(pool_index, c.agreement_id))
        if key in seen:
            raise ProblemError(f"pair {c.family_id}/{c.agreement_id} appears twice")
        seen.add(key)
        if key not in excluded and np.isfinite(c.score):
            rows.append((*key, float(c.score)))
    rows.sort()
    pair_family = np.array([r[0] for r in rows], dtype=np.int64)
    pair_pool = np.array([r[1] for r in rows], dtype=np.int64)
    pins = np.zeros(len(rows), dtype=np.bool_)
    problem = Problem(
        family_ids=tuple(f for f, _, _ in families),
        family_size=sizes,
        family_group=groups,
        groups=tuple(group_names),
        pools=tuple(pools),
        pair_family=pair_family,
        pair_pool=pair_pool,
        pair_score=np.array([r[2] for r in rows], dtype=np.float64),
        pinned_in=pins,
        pinned_out=frozenset(excluded),
    )
    pinned_families: set[str] = set()
    for family_id, agreement_id in pinned_in:
        if family_id in pinned_families:
            raise ProblemError(f"family {family_id} is pinned into more than one pool")
        pinned_families.add(family_id)
        family = _index(family_index, family_id)
        at = problem.pair_index(family, _index(pool_index, agreement_id))
        if at is None:
            raise ProblemError(
                f"family {family_id} is pinned into {agreement_id} but is not eligible for it"
            )
        pins[at] = True
    return problem


def _index(index: dict[str, int], key: str) -> int:
    try:
        return index[key]
    except KeyError:
        raise ProblemError(f"unknown id {key!r}") from None
