"""Charts drawn from the records, as Chart.js specifications the pages embed as data (the page
runs no inline code). Pure: each takes what was recorded and returns a plain dict."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from accord.records.agreement import AgreementIn
from accord.workflow.quota import LedgerRow, held

BLUE, LIGHT, GREEN, RED, GREY = "#1f6feb", "#8fb8f6", "#1a7f37", "#b42318", "#6e7781"


def ledger_chart(agreement: AgreementIn, rows: Sequence[LedgerRow], day: dt.date) -> dict[str, Any]:
    """Cap use over time: what each cap holds on every day the ledger moved, up to `day`."""
    days = sorted({r.day for r in rows if r.day <= day} | {day})
    # What every cap holds on each day, computed once for all caps.
    by_day = [held(agreement, [r for r in rows if r.day <= d], d) for d in days]
    caps = [(i, c) for i, c in enumerate(agreement.caps) if c.limit is not None]
    datasets: list[dict[str, Any]] = []
    for number, (index, cap) in enumerate(caps):
        series = [holding[index].held for holding in by_day]
        label = "present at once" if cap.kind == "present_at_once" else cap.kind.replace("_", " ")
        datasets.append(
            {
                "label": f"{label} (held)",
                "data": series,
                "borderColor": [BLUE, GREEN, RED][number % 3],
                "stepped": True,
                "fill": False,
            }
        )
        datasets.append(
            {
                "label": f"{label} limit ({cap.limit})",
                "data": [cap.limit] * len(days),
                "borderColor": GREY,
                "borderDash": [6, 4],
                "pointRadius": 0,
                "fill": False,
            }
        )
    arrived = [sum(r.persons for r in rows if r.day <= d and r.kind == "consume") for d in days]
    datasets.append(
        {
            "label": "people arrived (total)",
            "data": arrived,
            "borderColor": LIGHT,
            "stepped": True,
            "fill": False,
        }
    )
    return {
        "type": "line",
        "data": {"labels": [d.isoformat() for d in days], "datasets": datasets},
        "options": {
            "scales": {"y": {"beginAtZero": True, "title": {"display": True, "text": "people"}}}
        },
    }


def bar_chart(title: str, counts: Mapping[str, int], color: str = BLUE) -> dict[str, Any]:
    """One bar per label, in the order given."""
    return {
        "type": "bar",
        "data": {
            "labels": [label.replace("_", " ") for label in counts],
            "datasets": [{"label": title, "data": list(counts.values()), "backgroundColor": color}],
        },
        "options": {
            "plugins": {"legend": {"display": False}},
            "scales": {"y": {"beginAtZero": True}},
        },
    }


def review_chart(accepted: int, rejected_by_reason: Counter[str]) -> dict[str, Any]:
    """The receiver's decisions: accepted, and rejected by reason code."""
    counts = {"accepted": accepted}
    counts.update({f"rejected: {code}": n for code, n in sorted(rejected_by_reason.items())})
    spec = bar_chart("families", counts)
    spec["data"]["datasets"][0]["backgroundColor"] = [GREEN] + [RED] * len(rejected_by_reason)
    return spec


def waits_chart(days: Sequence[int]) -> dict[str, Any]:
    """Days from the notice's completion to the transfer, in weekly bins."""
    bins: Counter[str] = Counter()
    for wait in days:
        low = (wait // 7) * 7
        bins[f"{low}-{low + 6}"] += 1
    ordered = dict(sorted(bins.items(), key=lambda kv: int(kv[0].split("-")[0])))
    return bar_chart("families", ordered)
