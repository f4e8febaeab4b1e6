"""Adversarial simulation (issue 13): can an unlawful transfer be produced?

Users of every role and party (the right ones, and wrong ones: a reviewer of another state, a
monitor clearing, an officer lifting a suspension) make random moves through the real services,
each in its own transaction, on SQLite databases built by the real migrations, over seeded
synthetic worlds (20 agreements, 200 families each, seeded again every 1,500 steps); case files
are re-imported with protective facts added and removed, children swapped between families,
people moved and nationalities changed; the clock runs forward and back; agreements change
status, incidents suspend them. After every step an independent oracle (tests/simulation/
oracle.py, written from DESIGN §4 alone, importing nothing of Accord) judges each move towards
transfer. The target is no unlawful move in 10⁶.

    .venv/bin/python bench/adversarial.py [--moves 1000000] [--seed 1] [--jobs 2]

Prints moves/s, the steps attempted, applied and refused per command, the violations by rule
and move, and for the first violation of each rule the fewest steps that replay it (shrunk by
delta debugging on a fresh database). Exits 1 when the oracle found an unlawful move, 2 when a
service failed with an error that is not a refusal.

    .venv/bin/python bench/adversarial.py --mutant all [--moves 15000]

checks the checker instead: it runs once as is, then once per mutant (tests/simulation/
mutants.py: one fault of issue 13 put back into the running services each time) and tells
whether the oracle named it, with the steps that show it. Exits 1 when a mutant went unseen.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.simulation.mutants import EXPECTED, MUTANTS, mutated
from tests.simulation.simulator import (
    Summary,
    render,
    scratch,
    shrink,
    simulate,
    workspace,
)


def _job(moves: int, seed: str, template: str, job: int) -> Summary:
    """One process's share of the moves, on its own databases, with its own seed."""
    directory = Path(template).parent / f"job-{job}"
    directory.mkdir()
    shutil.copyfile(template, directory / "template.db")
    started = time.perf_counter()

    def progress(summary: Summary) -> None:
        if summary.moves % 10_000 == 0:
            rate = summary.moves / (time.perf_counter() - started)
            print(
                f"  job {job}: {summary.moves:,} moves, {rate:,.0f}/s,"
                f" {summary.total_violations:,} violations",
                file=sys.stderr,
                flush=True,
            )

    return simulate(
        moves,
        f"{seed}.{job}",
        directory=directory,
        template=directory / "template.db",
        progress=progress,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--moves", type=int, default=20_000, help="steps to run (default 20,000)")
    parser.add_argument("--seed", default="1", help="the run's seed (default 1)")
    parser.add_argument(
        "--jobs", type=int, default=min(2, os.cpu_count() or 1), help="processes (default 2)"
    )
    parser.add_argument(
        "--no-shrink", action="store_true", help="do not shrink the findings to minimal replays"
    )
    parser.add_argument(
        "--mutant",
        action="append",
        choices=[*MUTANTS, "all"],
        help="check that the oracle finds this fault put back (repeatable; `all`: every one)",
    )
    options = parser.parse_args()
    if options.mutant:
        names = list(MUTANTS) if "all" in options.mutant else options.mutant
        return sweep(names, options.moves, options.seed)
    jobs = max(1, min(options.jobs, options.moves))
    shares = [options.moves // jobs + (n < options.moves % jobs) for n in range(jobs)]
    directory = scratch()
    try:
        with workspace(directory) as (where, template):
            started = time.perf_counter()
            if jobs == 1:
                parts = [_job(shares[0], options.seed, str(template), 0)]
            else:
                with ProcessPoolExecutor(jobs) as pool:
                    futures = [
                        pool.submit(_job, share, options.seed, str(template), n)
                        for n, share in enumerate(shares)
                    ]
                    parts = [future.result() for future in futures]
            summary = Summary()
            for part in parts:
                summary.merge(part)
            summary.seconds = time.perf_counter() - started
            if not options.no_shrink:
                for finding in summary.findings.values():
                    finding.shrunk = shrink(finding, directory=where, template=template)
            title = f"adversarial simulation (seed {options.seed}, {jobs} jobs)"
            print(render(summary, title=title))
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    if summary.total_violations:
        return 1
    return 2 if summary.crashes else 0


def sweep(names: list[str], moves: int, seed: str) -> int:
    """One run as the services are, then one per mutant on the same seed, in this process: a
    mutant is found when the oracle names one of its rules more often than without it."""
    unseen = []
    with workspace() as (where, template):
        baseline = simulate(moves, seed, directory=where, template=template)
        before = _by_rule(baseline)
        print(f"as is: {moves:,} moves, violations by rule {before or 'none'}")
        for name in names:
            what, _ = MUTANTS[name]
            with mutated([name]):
                summary = simulate(moves, seed, directory=where, template=template)
                after = _by_rule(summary)
                seen = [r for r in EXPECTED[name] if after.get(r, 0) > before.get(r, 0)]
                print(f"\n{name}: {what}")
                print(f"  {'found' if seen else 'NOT FOUND'}: violations by rule {after or 'none'}")
                for rule in seen[:1]:
                    finding = summary.findings[rule]
                    finding.shrunk = shrink(finding, directory=where, template=template)
                    print(f"  {finding.violation}")
                    for step in finding.shrunk or []:
                        print(f"    {step.describe()}")
            if not seen:
                unseen.append(name)
    print(f"\nmutants not found: {', '.join(unseen) or 'none'}")
    return 1 if unseen else 0


def _by_rule(summary: Summary) -> dict[str, int]:
    counts: dict[str, int] = {}
    for (rule, _), count in summary.violations.items():
        counts[rule] = counts.get(rule, 0) + count
    return dict(sorted(counts.items()))


if __name__ == "__main__":
    sys.exit(main())
