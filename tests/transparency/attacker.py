"""The attacker: from everything published (every shown cell of every release, with its atoms),
the least and greatest value a suppressed cell can take, over non-negative atoms. Written
apart from the suppression it checks: its own linear programs (SciPy's HiGHS)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.optimize import linprog


def interval(
    target: Sequence[str], published: Sequence[tuple[Sequence[str], int]]
) -> tuple[float, float]:
    """The feasible interval of the sum of `target`'s atoms, given the published sums."""
    names = sorted({a for atoms, _ in published for a in atoms} | set(target))
    index = {n: i for i, n in enumerate(names)}
    matrix = np.zeros((len(published), len(names)))
    for row, (atoms, _) in enumerate(published):
        for atom in atoms:
            matrix[row, index[atom]] = 1.0
    values = np.array([v for _, v in published], dtype=float)
    goal = np.zeros(len(names))
    for atom in target:
        goal[index[atom]] = 1.0
    ends = []
    for sign in (1.0, -1.0):
        kwargs: dict[str, Any] = {"A_eq": matrix, "b_eq": values} if len(published) else {}
        result = linprog(sign * goal, bounds=(0, None), method="highs", **kwargs)
        if result.status == 3:
            ends.append(float("inf"))
            continue
        assert result.status == 0, result.message
        ends.append(sign * result.fun)
    return ends[0], ends[1]


def narrowest(
    releases: Sequence[Sequence[dict[str, Any]]], threshold: int
) -> list[tuple[str, float]]:
    """Every suppressed small cell of every release whose interval, from all the releases'
    shown cells together, is narrower than `threshold`: (key, width)."""
    published = [(c["atoms"], c["value"]) for cells in releases for c in cells if c["published"]]
    found = []
    for cells in releases:
        for cell in cells:
            if not cell["published"] and 0 < cell["value"] < threshold:
                low, high = interval(cell["atoms"], published)
                if high - low < threshold - 1e-6:
                    found.append((cell["key"], high - low))
    return found
