"""Benchmark: screening a population against the 10 reported agreements.

Compares Accord's batch decision (Polars: the population's frames read from the stored JSON
records once, then every rule of every agreement as column expressions, S9 by family) with a straightforward per-person
Python evaluation of the same rules (the reference path, family by family), in the same run.
The baseline runs on a sample and is compared per pair; the two paths are asserted equal by
the property tests. Reason texts are not part of the timed decision: they come from the
reference predicates for the pairs written out. Each side runs in its own process.

    .venv/bin/python bench/screening.py [--count 1000000] [--baseline-count 10000]

batch-parquet reads a validated Parquet people file (columnar: only the columns screening
needs); batch-json parses the stored JSON records as the database holds them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time


def prepare(count: int, seed: int) -> tuple[list, list]:  # type: ignore[type-arg]
    from accord.agreements.loader import load_registry_file
    from accord.records.person import PersonRecord
    from accord.scenarios import arrangements_path
    from accord.scenarios.people import REFERENCE_DATE, generate_people  # noqa: F401
    from accord.screening.single import Screen

    records = [PersonRecord.model_validate(r) for r in generate_people(count, seed)]
    screens = [Screen.of(a) for a in load_registry_file(arrangements_path()).agreements]
    return records, screens


def worker(method: str, count: int, seed: int) -> None:
    import tempfile
    from collections import defaultdict
    from pathlib import Path

    import polars as pl

    from accord.cases.writer import write_people
    from accord.scenarios.people import REFERENCE_DATE, generate_people
    from accord.screening.batch import decide
    from accord.screening.frames import (
        facts_from_frame,
        minimized_from_frame,
        people_frame,
        people_frame_from_parquet,
    )
    from accord.screening.single import screen_family

    records, screens = prepare(count if method != "batch-parquet" else 0, seed)
    stored = [record.model_dump_json() for record in records] if method == "batch-json" else []
    parquet = Path(tempfile.mkdtemp()) / "people.parquet"
    if method == "batch-parquet":
        write_people(generate_people(count, seed), parquet)
    started = time.perf_counter()
    if method.startswith("batch"):
        people = (
            people_frame(stored) if method == "batch-json" else people_frame_from_parquet(parquet)
        )
        facts = facts_from_frame(people, REFERENCE_DATE)
        minimized = minimized_from_frame(people, REFERENCE_DATE)
        frames_done = time.perf_counter()
        decided = [decide(facts, minimized, s, REFERENCE_DATE) for s in screens]
        pairs = sum(frame.height for frame in decided)
        eligible = sum(
            frame.select((~pl.any_horizontal(pl.all())).sum()).item() for frame in decided
        )
    else:
        frames_done = started
        families = defaultdict(list)
        for record in records:
            families[record.family_id].append(record)
        results = [
            r
            for s in screens
            for f in families.values()
            for r in screen_family(f, s, REFERENCE_DATE)
        ]
        pairs, eligible = len(results), sum(r.eligible for r in results)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "seconds": seconds,
                "frames": frames_done - started,
                "pairs": pairs,
                "eligible": eligible,
                "peak_mib": peak,
            }
        )
    )


def run(method: str, count: int, seed: int) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, __file__, "--worker", method, str(count), str(seed)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    figures: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--baseline-count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], int(args.worker[1]), int(args.worker[2]))
        return
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print()
    print("| method | people | pairs | seconds (of which frames) | pairs/s | eligible | peak MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    rates = {}
    methods = (
        ("batch-parquet", args.count),
        ("batch-json", args.count),
        ("per-person", args.baseline_count),
    )
    for method, count in methods:
        figures = run(method, count, args.seed)
        rates[method] = figures["pairs"] / figures["seconds"]
        print(
            f"| {method} | {count:,} | {int(figures['pairs']):,} | {figures['seconds']:.1f}"
            f" ({figures['frames']:.1f}) | {rates[method]:,.0f} | {int(figures['eligible']):,}"
            f" | {figures['peak_mib']:.0f} |",
            flush=True,
        )
    print()
    for method in ("batch-parquet", "batch-json"):
        print(f"{method} is {rates[method] / rates['per-person']:.1f}x the per-person rate")


if __name__ == "__main__":
    main()
