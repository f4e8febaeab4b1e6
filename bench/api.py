"""Benchmark: the JSON API under a bounded open-loop load, against its own health probe.

A fresh PostgreSQL database holds the workflow demo agreement (demo-xk-year), one pool of
single-person families proposed to XK, and an officer and a reviewer (XK) with API tokens.
`accord serve` runs in its own process on it, with its clock stood inside the agreement's term
(ACCORD_NOW). This process sends requests at a fixed rate, whether or not earlier ones have
answered (open loop), and times each from the moment it was scheduled to be sent, so time
spent queueing (in the client or the server) counts. Scenarios, in this order:

- health: GET /api/v1/health (no database, no token): the baseline, at the pool reads' rate;
- pool read: GET /api/v1/pools/{id} as the reviewer (the minimized view of every family);
- decide: each item accepted or rejected once as the reviewer (--accept accepts, the rest
  rejected with a reason), in a seeded random order, at a lower rate since each is a write.

Each read scenario is preceded by a short warm-up at the same rate that is not counted. Any
answer but 200 (or a transport error, or no answer within --timeout) counts as an error.

    .venv/bin/python bench/api.py               # 2,000 reads per scenario at 100/s, 150 decisions at 20/s
    .venv/bin/python bench/api.py --quick       # 500 reads per scenario
    .venv/bin/python bench/api.py --workers 1   # one server process (default: one per core)

Target: p99 under 50 ms for pool reads at 100 requests/s.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import numpy as np

from accord.config import Settings
from support import free_port, fresh_database, postgres_version, single

AGREEMENT = "demo-xk-year"
NOW = dt.datetime(2026, 1, 12, 9, 0, tzinfo=dt.UTC)
"""The server's clock: a Monday inside the demo agreement's term (2026)."""
PASSWORD = "a long enough password"
TARGET_P99_MS = 50.0
BIN = Path(sys.executable).parent
CONNECTIONS = 512
"""Requests in flight at most. The load is sent with aiohttp, whose C parser costs about a
millisecond of CPU per request here (httpx cost four to six): on a machine of two cores the
client would otherwise take the CPU the server is measured on."""


@dataclass
class Seeded:
    pool: int
    items: list[int]
    tokens: dict[str, str]


@dataclass
class Outcome:
    """What one scenario measured; latencies in seconds, from each request's scheduled time."""

    name: str
    rate: float
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    send_lag: list[float] = field(default_factory=list)
    """How late each request left the client after its scheduled time."""
    span: float = 0.0
    examples: dict[str, str] = field(default_factory=dict)
    """The first answer (or transport error) of each kind but 200."""
    stolen: float = 0.0
    """CPU seconds the hypervisor took for other machines during the scenario."""

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != "200")


def seed(url: str, families: int) -> Seeded:
    """Migrations, the demo agreement, the people, one pool holding them all, two users."""
    from accord.access import Actor
    from accord.accounts import service as accounts
    from accord.agreements.loader import load_registry_file
    from accord.agreements.service import load
    from accord.cases.reader import read_people
    from accord.cases.service import import_people
    from accord.clock import SetClock
    from accord.config import Settings
    from accord.db import unit_of_work
    from accord.proposals import repository
    from accord.proposals.pools import PoolFamily, create_pool
    from accord.scenarios import workflow_agreement_path
    from accord.store import open_store

    clock = SetClock(NOW)
    store = open_store(Settings(database_url=url))
    try:
        with unit_of_work(store.sessions) as session:
            load(session, load_registry_file(workflow_agreement_path()), "bench")
        records = [single(n) for n in range(1, families + 1)]
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "people.jsonl"
            path.write_text("".join(json.dumps(r) + "\n" for r in records))
            with unit_of_work(store.sessions) as session:
                import_people(
                    session,
                    read_people(path),
                    source=str(path),
                    actor="bench",
                    role="supervisor",
                    at=clock.now(),
                )
        family_ids = [r["family_id"] for r in records]
        with unit_of_work(store.sessions) as session:
            proposal = create_pool(
                session,
                AGREEMENT,
                [PoolFamily(f) for f in family_ids],
                Actor("olga", "officer", "US"),
                clock,
                method="screening",
                pool_limit=families,
            )
            by_family = {
                i.family_id: i.id for i in repository.items(session, proposal_id=proposal.id)
            }
            pool = proposal.id
        tokens = {}
        with unit_of_work(store.sessions) as session:
            for name, role, party in (("olga", "officer", "US"), ("rita", "reviewer", "XK")):
                accounts.add_user(session, name, PASSWORD, role, party, clock, actor="bench")
                tokens[name] = accounts.issue_token(
                    session,
                    name,
                    "bench",
                    ["read", "write"],
                    dt.timedelta(days=30),
                    clock,
                    actor="bench",
                )
    finally:
        store.close()
    return Seeded(pool, [by_family[f] for f in family_ids], tokens)


@contextmanager
def server(url: str, workers: int, threads: int, said: list[str]) -> Iterator[str]:
    """`accord serve` in its own process; its base URL once /health answers. Stopped after,
    when what it wrote (but its banner) is put in `said`."""
    port = free_port()
    env = {**os.environ, "ACCORD_NOW": NOW.replace(tzinfo=None).isoformat()}
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [
                *(str(BIN / "accord"), "serve", "--db", url, "--host", "127.0.0.1"),
                *("--port", str(port), "--workers", str(workers), "--threads", str(threads)),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}/api/v1"
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    raise SystemExit(
                        f"accord serve exited ({process.returncode}):\n{log.read().decode()}"
                    )
                try:
                    if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("accord serve did not answer /health within 60 s")
                time.sleep(0.1)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.seek(0)
            lines = log.read().decode(errors="replace").splitlines()
            said.extend(line for line in lines if not line.startswith("Accord on"))


@dataclass(frozen=True)
class Call:
    """One request of a scenario: method, path under the API, headers, JSON body."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


def stolen_seconds() -> float:
    """CPU time the hypervisor gave to other machines since boot, over all cores (Linux's
    `steal` in /proc/stat); 0 where it is not reported. A run with much of it is a noisy one."""
    try:
        with open("/proc/stat") as stat:
            fields = stat.readline().split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


async def open_loop(
    name: str, base: str, rate: float, count: int, call: Callable[[int], Call], timeout: float
) -> Outcome:
    """`count` requests, the i-th scheduled at start + i / rate and sent then, whatever is still
    waiting for an answer; each timed from its scheduled moment to the end of its answer."""
    outcome = Outcome(name, rate)
    stolen = stolen_seconds()
    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    limit = aiohttp.ClientTimeout(total=timeout)
    async with aiohttp.ClientSession(f"{base}/", connector=connector, timeout=limit) as client:
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.05
        ends: list[float] = []

        async def one(i: int, scheduled: float) -> None:
            outcome.send_lag.append(loop.time() - scheduled)
            request = call(i)
            try:
                async with client.request(
                    request.method, request.path, headers=request.headers, json=request.body
                ) as response:
                    text = await response.text()
                    status = str(response.status)
                    if response.status != 200 and status not in outcome.examples:
                        outcome.examples[status] = text[:300]
            except TimeoutError:
                status = "timeout"
            except aiohttp.ClientError as exc:
                status = type(exc).__name__
                outcome.examples.setdefault(status, repr(exc)[:300])
            end = loop.time()
            ends.append(end)
            outcome.latencies.append(end - scheduled)
            outcome.statuses[status] += 1

        tasks = []
        for i in range(count):
            scheduled = start + i / rate
            delay = scheduled - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i, scheduled)))
        await asyncio.gather(*tasks)
        outcome.span = max(ends) - start
    outcome.stolen = stolen_seconds() - stolen
    return outcome


def row(outcome: Outcome) -> str:
    ms = np.array(outcome.latencies) * 1000
    p50, p90, p99 = np.percentile(ms, [50, 90, 99])
    achieved = len(ms) / outcome.span
    return (
        f"| {outcome.name} | {len(ms):,} | {outcome.rate:g}/s | {achieved:,.1f} | {p50:.1f}"
        f" | {p90:.1f} | {p99:.1f} | {ms.max():.1f} | {outcome.errors} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="500 requests per read scenario")
    parser.add_argument("--count", type=int, default=2_000, help="requests per read scenario")
    parser.add_argument("--rate", type=float, default=100.0, help="reads per second")
    parser.add_argument("--write-rate", type=float, default=20.0, help="decisions per second")
    parser.add_argument("--families", type=int, default=150, help="single-person families")
    parser.add_argument("--accept", type=int, default=40, help="families accepted (cap: 50)")
    parser.add_argument("--warmup", type=int, default=100, help="uncounted requests first")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="accord serve --workers (default: one per core, as a server would be deployed)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=Settings.model_fields["threads"].default,
        help="accord serve --threads (default: the server's own)",
    )
    args = parser.parse_args()
    count = 500 if args.quick else args.count
    if args.accept > args.families:
        raise SystemExit("--accept must not exceed --families")

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()},"
        f" {postgres_version()}; seed {args.seed};"
        f" accord serve --workers {args.workers} --threads {args.threads}"
    )
    with fresh_database() as url:
        seeded = seed(url, args.families)
        reviewer = {"Authorization": f"Bearer {seeded.tokens['rita']}"}
        decisions = ["accept"] * args.accept + ["reject"] * (args.families - args.accept)
        order = list(zip(seeded.items, decisions, strict=True))
        random.Random(args.seed).shuffle(order)

        def health(i: int) -> Call:
            return Call("GET", "health")

        def pool_read(i: int) -> Call:
            return Call("GET", f"pools/{seeded.pool}", reviewer)

        def decide(i: int) -> Call:
            item, action = order[i]
            if action == "accept":
                return Call("POST", f"items/{item}/accept", reviewer)
            body = {"reason_code": "criteria", "reason_text": "not selected (benchmark)"}
            return Call("POST", f"items/{item}/reject", reviewer, body)

        said: list[str] = []
        with server(url, args.workers, args.threads, said) as base:
            first = httpx.get(f"{base}/pools/{seeded.pool}", headers=reviewer, timeout=30)
            shown = first.json() if first.status_code == 200 else {}
            if shown.get("families") != args.families or shown.get("view") != "receiver":
                raise SystemExit(f"pool read is not as seeded: {first.status_code} {first.text}")
            size_kib = len(first.content) / 1024

            outcomes = []
            for name, send in (("health (baseline)", health), ("pool read (reviewer)", pool_read)):
                warm = min(args.warmup, count)
                asyncio.run(open_loop("warm-up", base, args.rate, warm, send, args.timeout))
                outcomes.append(
                    asyncio.run(open_loop(name, base, args.rate, count, send, args.timeout))
                )
            outcomes.append(
                asyncio.run(
                    open_loop(
                        f"accept/reject ({args.accept} + {args.families - args.accept})",
                        base,
                        args.write_rate,
                        len(order),
                        decide,
                        args.timeout,
                    )
                )
            )
            after = httpx.get(f"{base}/pools/{seeded.pool}", headers=reviewer, timeout=30)
            states = Counter(item["state"] for item in after.json()["items"])

    print(
        f"pool: {args.families} families ({size_kib:.1f} KiB as the reviewer reads it);"
        f" warm-up {min(args.warmup, count)} requests before each read scenario, not counted"
    )
    print()
    print(
        "| scenario | requests | rate asked | achieved req/s | p50 ms | p90 ms | p99 ms | max ms"
        " | errors |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for outcome in outcomes:
        print(row(outcome))
    print()
    for outcome in outcomes:
        lag = np.array(outcome.send_lag) * 1000
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(outcome.statuses.items()))
        print(
            f"{outcome.name}: statuses {statuses}; sent late by the client: p99 "
            f"{np.percentile(lag, 99):.1f} ms, max {lag.max():.1f} ms;"
            f" CPU taken by the hypervisor meanwhile: {outcome.stolen:.1f} s"
        )
        for status, example in outcome.examples.items():
            print(f"  first {status}: {example}")
    print(f"items after the run: {dict(sorted(states.items()))}")
    handled: dict[str, list[float]] = {}
    other = []
    for line in said:
        try:
            entry = json.loads(line)
        except ValueError:
            entry = None
        if isinstance(entry, dict) and entry.get("logger") == "accord.access":
            handled.setdefault(str(entry.get("operation")), []).append(float(entry["ms"]))
        else:
            other.append(line)
    timings = "; ".join(
        f"{operation} p50 {np.percentile(ms, 50):.1f}, p99 {np.percentile(ms, 99):.1f}"
        for operation, ms in sorted(handled.items())
    )
    print(
        "time inside the server per request (its access log, warm-ups included), ms:"
        f" {timings or 'no access log written'}"
    )
    if other:
        print(f"the server wrote {len(other)} other lines; the last ones:")
        for line in other[-15:]:
            print(f"  {line}")
    reads = outcomes[1]
    p99 = float(np.percentile(np.array(reads.latencies) * 1000, 99))
    met = p99 < TARGET_P99_MS and reads.errors == 0
    print(
        f"Target: p99 under {TARGET_P99_MS:.0f} ms for pool reads at {args.rate:g} requests/s:"
        f" {'met' if met else 'not met'} (p99 {p99:.1f} ms, {reads.errors} errors)"
    )


if __name__ == "__main__":
    main()
