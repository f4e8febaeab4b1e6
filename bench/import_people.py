"""Benchmark: importing generated people into SQLite and PostgreSQL.

Compares Accord's import (validated, batched, audited: `accord people import`) with the naive
baseline of one ORM insert per person (same validation, same audit events), in the same run.
Each measurement runs in a fresh process on a fresh database, so peak memory is its own.

    .venv/bin/python bench/import_people.py [--count 100000] [--baseline-count N] [--no-postgres]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

POSTGRES_ADMIN = os.environ.get(
    "ACCORD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def worker(method: str, url: str, people_file: str) -> None:
    """Runs in its own process: one import, then prints its figures as JSON."""
    from accord.audit.service import Entry, record
    from accord.cases.reader import read_people
    from accord.cases.service import import_people, to_columns
    from accord.config import Settings
    from accord.db import unit_of_work
    from accord.models import Family, Person
    from accord.store import open_store

    store = open_store(Settings(database_url=url))
    started = time.perf_counter()
    rows = read_people(Path(people_file))
    with unit_of_work(store.sessions) as session:
        if method == "accord":
            import_people(session, rows, source=people_file, actor="bench")
        else:
            now = dt.datetime.now(dt.UTC)
            families: set[str] = set()
            for row in rows:
                columns = to_columns(row)
                if columns["family_id"] not in families:
                    session.add(Family(id=columns["family_id"]))
                    families.add(columns["family_id"])
                session.add(Person(**columns, created_at=now, updated_at=now))
                record(
                    session,
                    "bench",
                    Entry(
                        "person.created",
                        "person",
                        columns["case_id"],
                        {"content_hash": columns["content_hash"]},
                    ),
                )
                session.flush()
    seconds = time.perf_counter() - started
    store.close()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_mib": peak_kib / 1024, "people": len(rows)}))


def postgres_database() -> tuple[str, str] | None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"accord_bench_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception as exc:
        print(f"PostgreSQL skipped: {type(exc).__name__}: {exc}", file=sys.stderr)
        return None
    return name, make_url(POSTGRES_ADMIN).set(database=name).render_as_string(hide_password=False)


def drop_postgres(name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def measure(method: str, backend: str, people_file: Path, workdir: Path) -> dict[str, float] | None:
    dropped = None
    if backend == "sqlite":
        url = f"sqlite:///{workdir / f'{method}-{uuid.uuid4().hex[:6]}.db'}"
    else:
        created = postgres_database()
        if created is None:
            return None
        dropped, url = created
    try:
        output = subprocess.run(
            [sys.executable, __file__, "--worker", method, url, str(people_file)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        if dropped:
            drop_postgres(dropped)
    figures: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument(
        "--baseline-count",
        type=int,
        default=None,
        help="people for the naive baseline (default: --count)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--worker", nargs=3, metavar=("METHOD", "URL", "FILE"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return

    from accord.cases.writer import write_people
    from accord.scenarios.people import generate_people

    backends = ["sqlite"] + ([] if args.no_postgres else ["postgresql"])
    with tempfile.TemporaryDirectory(prefix="accord-bench-") as tmp:
        workdir = Path(tmp)
        files: dict[int, Path] = {}
        for count in sorted({args.count, args.baseline_count or args.count}):
            started = time.perf_counter()
            files[count] = workdir / f"people-{count}.jsonl"
            write_people(generate_people(count, args.seed), files[count])
            print(
                f"generated {count:,} people in {time.perf_counter() - started:.1f} s",
                file=sys.stderr,
            )
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"
        )
        print()
        print("| database | method | people | seconds | people/s | peak MiB |")
        print("|---|---|---:|---:|---:|---:|")
        for backend in backends:
            for method, count in (
                ("accord", args.count),
                ("naive ORM, one insert per person", args.baseline_count or args.count),
            ):
                figures = measure(
                    "accord" if method == "accord" else "naive", backend, files[count], workdir
                )
                if figures is None:
                    continue
                print(
                    f"| {backend} | {method} | {int(figures['people']):,} | {figures['seconds']:.1f}"
                    f" | {figures['people'] / figures['seconds']:,.0f} | {figures['peak_mib']:.0f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
