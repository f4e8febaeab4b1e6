"""A monitor's aggregates keep the report's rules: a small reason for rejection is not given
back by the rejected total and the other reasons."""

from __future__ import annotations

from accord.monitoring.views import _suppressed


def test_a_small_reason_takes_another_with_it_or_the_total() -> None:
    counts = {
        "state/rejected": 12,
        "reason/public_order": 2,
        "reason/capacity": 10,
        "transferred": 30,
        "present": 3,
    }
    hidden = _suppressed(counts)
    assert {"reason/public_order", "present"} <= hidden
    # With the total and capacity both shown, public order would be 12 - 10 = 2.
    assert "reason/capacity" in hidden or "state/rejected" in hidden
    assert "transferred" not in hidden


def test_counts_with_nothing_small_are_all_shown() -> None:
    counts = {"state/rejected": 12, "reason/public_order": 6, "reason/capacity": 6, "present": 0}
    assert _suppressed(counts) == frozenset()
