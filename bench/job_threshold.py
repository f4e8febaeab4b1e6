"""Benchmark: how long an inline matcher run takes against the eligible pairs it works on, to
set ACCORD_JOB_ABOVE_PAIRS (a run expected to take more than about a second is done as a job).

The demo agreement over synthetic caseloads of growing size (`accord.scenarios.people`, seed
3), screened on one day; the time is the matcher's alone (scoring and solving), as a request
would spend it; the baseline is the smallest caseload, in the same run.

    .venv/bin/python bench/job_threshold.py
"""

from __future__ import annotations

import datetime as dt
import platform
import time

from accord.agreements.loader import load_registry_file
from accord.matching.proposal import propose
from accord.matching.transparent import TransparentScorer
from accord.records.person import PersonRecord
from accord.scenarios import workflow_agreement_path
from accord.scenarios.people import generate_people
from accord.screening.batch import screen_population
from accord.screening.single import Screen

SIZES = (2_000, 10_000, 20_000, 40_000, 80_000)
DAY = dt.date(2026, 3, 1)


def main() -> None:
    agreements = list(load_registry_file(workflow_agreement_path()).agreements)
    print(
        f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}"
    )
    print(f"{'people':>8} {'pairs':>8} {'seconds':>8} {'µs/pair':>8}  status")
    for n in SIZES:
        records = [PersonRecord.model_validate(r) for r in generate_people(n, 3, on=DAY)]
        results = screen_population(records, [Screen.of(a) for a in agreements], DAY)
        pairs = sum(1 for r in results if r.eligible)
        started = time.perf_counter()
        found = propose(agreements, records, results, DAY, TransparentScorer(), time_limit=60)
        seconds = time.perf_counter() - started
        print(
            f"{n:>8,} {pairs:>8,} {seconds:>8.2f} {seconds / max(pairs, 1) * 1e6:>8.0f}"
            f"  {found.solution.status}"
        )


if __name__ == "__main__":
    main()
