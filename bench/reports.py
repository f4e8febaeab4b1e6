"""How long a transparency release takes to build, quarter by quarter, on the demo year.

The demo's database is made once (`accord demo`'s own steps, 5,000 synthetic people, seed 1,
into a temporary SQLite file; not timed), its stored releases set aside, then each quarter's
release is built again in order, every one audited against those before it, as
`accord report publish` does. Per quarter: seconds to read the facts, seconds to build (cells,
LP-audited suppression), the cells, and the small and protecting suppressions. The baseline in
the same run: the same cells with primary suppression alone (counts 1–4 hidden, nothing
audited), which is what the monitors' aggregates did before.

    .venv/bin/python bench/reports.py            # the demo year, 5,000 people
    .venv/bin/python bench/reports.py --count 1000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

from rich.console import Console

from accord.config import Settings
from accord.db import unit_of_work
from accord.scenarios.demo import run_demo
from accord.store import open_store
from accord.transparency.facts import report_input
from accord.transparency.model import Quarter
from accord.transparency.release import build


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--threshold", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="accord-bench-reports-") as workdir:
        url = f"sqlite:///{Path(workdir) / 'demo.db'}"
        started = time.perf_counter()
        with open(os.devnull, "w") as quiet:
            run_demo(
                Console(file=quiet),
                db=url,
                count=args.count,
                seed=1,
                report_dir=Path(workdir) / "reports",
            )
        setup = time.perf_counter() - started
        store = open_store(Settings(database_url=url))
        rows = []
        earlier: list[dict[str, object]] = []
        try:
            for number in (1, 2, 3, 4):
                quarter = Quarter(2026, number)
                began = time.perf_counter()
                with unit_of_work(store.sessions) as session:
                    data = report_input(session, quarter)
                read = time.perf_counter() - began
                began = time.perf_counter()
                release = build(data, args.threshold, earlier=earlier)
                built = time.perf_counter() - began
                cells = release.stored_cells
                began = time.perf_counter()
                small = {
                    c["key"]
                    for c in cells
                    if 0 < int(c["value"]) < args.threshold  # type: ignore[call-overload]
                }
                baseline = time.perf_counter() - began
                rows.append(
                    (
                        str(quarter),
                        read,
                        built,
                        baseline,
                        len(cells),
                        len(small),
                        release.primary,
                        release.secondary,
                    )
                )
                assert release.primary == len(small)
                earlier.append({"period": str(quarter), "cells": json.loads(json.dumps(cells))})
        finally:
            store.close()
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores;"
        f" {args.count} people; demo database made in {setup:.1f} s (not counted)\n"
    )
    print(
        "| quarter | read facts s | build s (LP-audited) | baseline s (primary only) |"
        " cells | small | protecting |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for quarter, read, built, baseline, n, _small, primary, secondary in rows:
        print(
            f"| {quarter} | {read:.2f} | {built:.2f} | {baseline:.4f} | {n:,} | {primary} |"
            f" {secondary} |"
        )
    print(f"\nin all: {sum(r[2] for r in rows):.1f} s to build the four releases")


if __name__ == "__main__":
    main()
