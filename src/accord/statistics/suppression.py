"""Cell suppression for published counts, with protection checked by the attacker's own linear
programs (HiGHS, through SciPy).

A release is a set of cells, each the sum of some *atoms* (the finest counts: one agreement,
one quarter, one category). A cell counting 1 to `threshold − 1` is suppressed (primary). That
alone is not enough: totals and margins, and earlier releases (a cumulative figure minus last
quarter's), can give a suppressed value back. So every sensitive cell — this release's primary
cells and every earlier release's — is *audited*: the least and the greatest value it can take
over non-negative atoms that reproduce everything published (this release and all before it)
are found by two linear programs. While some interval is narrower than `threshold`, one more
cell of this release is suppressed (secondary): among the published cells that bind the
attacker's optimum (non-zero dual), the smallest, totals last. Each round suppresses one more
cell, so it ends; what it ends with has passed the exact audit. This is LP-audited greedy
secondary suppression, after the audit of Fischetti and Salazar-González (Management Science
47(7), 2001), with the protection level the issue of the release asks for: every suppressed
sensitive value lies in a feasible interval at least `threshold` wide.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

SMALLEST_THRESHOLD = 5
"""Cells from 1 to 4 are never published; a deployment may raise the threshold, never lower it."""


@dataclass(frozen=True, slots=True)
class Cell:
    """One published figure: the sum of its atoms."""

    key: str
    atoms: frozenset[int]
    value: int
    total: bool = False
    """A margin or total: suppressed only when nothing else will do."""


@dataclass(frozen=True, slots=True)
class Interval:
    low: float
    high: float

    @property
    def width(self) -> float:
        return self.high - self.low


@dataclass(frozen=True)
class Protection:
    suppressed: frozenset[str]
    primary: frozenset[str]
    intervals: dict[str, Interval]
    """What an attacker can narrow each sensitive cell to, from everything published."""

    @property
    def secondary(self) -> frozenset[str]:
        return self.suppressed - self.primary


def primary_cells(cells: Iterable[Cell], threshold: int) -> set[str]:
    return {c.key for c in cells if 0 < c.value < threshold}


def attack(target: Cell, published: Sequence[Cell], n_atoms: int) -> tuple[Interval, set[str]]:
    """The interval an attacker knows `target` in, from the published cells and atoms ≥ 0; and
    the keys of the published cells that bind either end (where suppressing helps)."""
    if not published:
        return Interval(0.0, float("inf")), set()
    rows, cols = [], []
    for row, cell in enumerate(published):
        for atom in cell.atoms:
            rows.append(row)
            cols.append(atom)
    matrix = sp.csr_array(
        (np.ones(len(rows)), (np.array(rows), np.array(cols))), shape=(len(published), n_atoms)
    )
    values = np.array([c.value for c in published], dtype=float)
    objective = np.zeros(n_atoms)
    objective[list(target.atoms)] = 1.0
    ends: list[float] = []
    binding: set[str] = set()
    for sign in (1.0, -1.0):  # the least, then the greatest
        result = linprog(
            sign * objective,
            A_eq=cast(Any, matrix),
            b_eq=values,
            bounds=(0, None),
            method="highs",
        )
        if result.status == 3:  # unbounded: the cell can be anything above
            ends.append(float("inf") if sign < 0 else 0.0)
            continue
        if result.status != 0:
            raise AssertionError(f"the published cells are inconsistent: {result.message}")
        ends.append(sign * float(result.fun or 0.0))
        duals = np.asarray(result.eqlin.marginals)
        binding |= {published[int(i)].key for i in np.flatnonzero(np.abs(duals) > 1e-9)}
    return Interval(ends[0], ends[1]), binding


def components(cells: Sequence[Cell]) -> list[list[Cell]]:
    """The cells in groups that share no atom with another group: each group's audit is its
    own (smaller) linear program."""
    parent: dict[int, int] = {}

    def find(atom: int) -> int:
        while parent.setdefault(atom, atom) != atom:
            parent[atom] = parent[parent[atom]]
            atom = parent[atom]
        return atom

    for cell in cells:
        atoms = sorted(cell.atoms)
        for atom in atoms[1:]:
            parent[find(atom)] = find(atoms[0])
        if atoms:
            find(atoms[0])
    groups: dict[int, list[Cell]] = {}
    for cell in cells:
        if cell.atoms:
            groups.setdefault(find(min(cell.atoms)), []).append(cell)
    return list(groups.values())


def protect(
    cells: Sequence[Cell],
    n_atoms: int,
    threshold: int,
    *,
    earlier: Sequence[Cell] = (),
    earlier_sensitive: Sequence[Cell] = (),
) -> Protection:
    """Which of this release's cells to suppress so that no sensitive value (this release's
    small cells, and earlier releases' suppressed ones) can be narrowed to an interval
    narrower than `threshold`, given everything published now and before.

    Suppressing a cell only widens what an attacker is left with, so a sensitive cell once
    protected stays protected: each is repaired in turn, then all are audited once more."""
    if threshold < SMALLEST_THRESHOLD:
        raise ValueError(f"the suppression threshold is never below {SMALLEST_THRESHOLD}")
    current = {c.key for c in cells}
    earlier_keys = {c.key for c in earlier}
    primary = primary_cells(cells, threshold)
    suppressed = set(primary)
    sensitive_keys = primary | {c.key for c in earlier_sensitive}
    intervals: dict[str, Interval] = {}
    for group in components([*cells, *earlier, *earlier_sensitive]):
        mine = [c for c in group if c.key in current]
        before = [c for c in group if c.key in earlier_keys]
        targets = sorted(
            {c.key: c for c in group if c.key in sensitive_keys}.values(), key=lambda c: c.key
        )
        for target in targets:
            while True:
                published = [c for c in mine if c.key not in suppressed] + before
                interval, binding = attack(target, published, n_atoms)
                if interval.width >= threshold - 1e-6:
                    break
                candidates = [
                    c for c in mine if c.key in binding and c.key not in suppressed
                ] or _neighbours(target, mine, suppressed)
                if not candidates:
                    raise AssertionError(f"{target.key} cannot be protected by this release")
                chosen = min(candidates, key=lambda c: (c.total, c.value == 0, c.value, c.key))
                suppressed.add(chosen.key)
        published = [c for c in mine if c.key not in suppressed] + before
        for target in targets:
            intervals[target.key] = attack(target, published, n_atoms)[0]
    return Protection(frozenset(suppressed), frozenset(primary), intervals)


def _neighbours(target: Cell, cells: Collection[Cell], suppressed: set[str]) -> list[Cell]:
    """Published cells of this release sharing an atom with the target."""
    return [c for c in cells if c.key not in suppressed and c.atoms & target.atoms]
