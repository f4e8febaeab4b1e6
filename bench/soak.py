"""Soak: two `accord serve` processes on one PostgreSQL database under a steady mixed load.

A fresh PostgreSQL database holds the workflow demo agreement (demo-xk-year, its caps raised so
that the writes never run out of places), a synthetic population (`accord.scenarios.people`,
3,000 people by default) and, added to it, single-person families (as in bench/api.py) in
pools proposed to XK: some awaiting the reviewer's decision (one pool of 150 per 150 decisions
the run will send), some transferred in February with their 30-, 90- and 180-day check-ins due;
plus one pool of eligible families of the synthetic population, accepted, to serve notices on.
Every shipped notice template is approved by a supervisor (a synthetic approval). One user per
role with an API token. Two `accord serve` processes (one worker each, on ports of their own)
serve the same database, their clock stood at 2026-11-02 09:00 (ACCORD_NOW).

For --minutes, this process sends requests at a fixed --rate whether or not earlier ones have
answered (open loop), alternately to each server, each timed from the moment it was scheduled.
The mix, drawn in a seeded order: 80 % reads (a pool as its reviewer reads it, a page of the
pool list, one item, the agreement's quota ledger, a page of the people list) and 20 % writes
(a reviewer's accept or reject, each pending family once; an officer's notice to an adult of
an accepted family, in a language the person reads with an approved template; a monitor's
check-in, each due check-in once). Any answer but 2xx, a transport error or no answer within
--timeout is an error.

Every 30 s (a window, by the requests' scheduled times): reads' and writes' p50/p99, errors,
and each server process's resident memory (VmRSS of /proc/<pid>/status, sampled every 10 s).
At the end: the table of windows; overall p50/p99; errors by kind; memory growth per hour of
each process (a least-squares line through its samples after the first 2 minutes of warm-up);
and the named baseline of the same run: the first window's p50/p99 against the last window's.
The database is dropped at the end, whatever happens.

    .venv/bin/python bench/soak.py                          # 10 minutes at 20 requests/s
    .venv/bin/python bench/soak.py --minutes 2 --rate 10    # a short check
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import aiohttp
import httpx
import numpy as np
from sqlalchemy.orm import Session

from accord.access import Actor
from accord.accounts import service as accounts
from accord.agreements.loader import load_registry_file
from accord.agreements.service import load, stored_agreement
from accord.cases.reader import read_people
from accord.cases.service import import_people, stored_people
from accord.cases.writer import write_people
from accord.clock import SetClock
from accord.config import Settings
from accord.db import unit_of_work
from accord.documents import service as templates
from accord.proposals import repository
from accord.proposals.movement import clear, confirm_arrival, schedule
from accord.proposals.notices import record_notice
from accord.proposals.pools import PoolFamily, create_pool
from accord.proposals.service import move
from accord.records.agreement import CapIn
from accord.safeguards.predicates import is_minor
from accord.scenarios import workflow_agreement_path
from accord.scenarios.people import REFERENCE_DATE, generate_people
from accord.store import Store, open_store
from accord.workflow.guards import family_eligible, notice_recipients
from support import cpu_model, free_port, fresh_database, postgres_version, single

AGREEMENT = "demo-xk-year"
PASSWORD = "a long enough password"
BIN = Path(sys.executable).parent
CONNECTIONS = 512
WINDOW = 30.0
"""Seconds per window of the table."""
SAMPLE = 10.0
"""Seconds between two readings of the servers' resident memory."""
WARM_UP = 120.0
"""Seconds left out of the memory fit."""
DECISION_POOL = 150
NOTICE_FAMILIES = 60
APPROVAL = "synthetic approval for the soak benchmark: no certified translator has reviewed these"

IMPORTED = SetClock.on(dt.date(2026, 1, 5), 8)
PROPOSED = SetClock.on(dt.date(2026, 1, 12), 9)
"""The transferred families' pool: proposed, accepted and served notice on this Monday..."""
CLEARED = SetClock.on(dt.date(2026, 1, 26), 9)
"""...cleared and scheduled two weeks later, once the notice period has run..."""
ARRIVED = SetClock.on(dt.date(2026, 2, 2), 9)
"""...and transferred a week after: their check-ins fall due on 4 March, 3 May and 1 August."""
NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
"""The servers' clock: a Monday inside the agreement's term, every check-in due."""
TODAY = SetClock.on(NOW.date(), 8)
"""The pending pools and the accepted families are seeded an hour before."""

OFFICER = Actor("olga", "officer", "US")
SUPERVISOR = Actor("sam", "supervisor", "US")
REVIEWER = Actor("rita", "reviewer", "XK")
MONITOR = Actor("mona", "monitor", "MON-XK")
USERS = (OFFICER, SUPERVISOR, REVIEWER, MONITOR, Actor("ada", "admin", None))

READS = {"pool": 0.25, "pools": 0.10, "item": 0.20, "ledger": 0.10, "people": 0.15}
WRITES = {"decide": 0.20 / 3, "notify": 0.20 / 3, "check_in": 0.20 / 3}
"""The mix: each request's kind drawn with these weights (80 % reads, 20 % writes)."""


@dataclass
class Seeded:
    decision_pools: list[int]
    pending: list[int]
    """Items awaiting the reviewer's decision, in the order they will be decided."""
    notice_targets: list[tuple[int, str, list[str]]]
    """(item, adult's case id, the languages they read that have an approved template)."""
    check_ins: list[tuple[int, int]]
    """(transferred item, days) of every due check-in, in the order they will be recorded."""
    items: list[int]
    tokens: dict[str, str]
    people: int
    languages: list[str]


@dataclass
class Result:
    kind: str
    write: bool
    server: int
    scheduled: float
    """Seconds from the start of the load."""
    latency: float
    status: str


@dataclass
class Server:
    name: str
    base: str
    process: subprocess.Popen[bytes]
    log: IO[bytes]
    rss: list[tuple[float, float]] = field(default_factory=list)
    """(seconds from the start of the load, MiB)."""


def pool_of(store: Store, families: list[str], clock: SetClock) -> tuple[int, list[int]]:
    """One pool of these families proposed to XK by the officer: its id and its items, in the
    families' order."""
    with unit_of_work(store.sessions) as session:
        people = sum(len(stored_people(session, family_id=f)) for f in families)
        proposal = create_pool(
            session,
            AGREEMENT,
            [PoolFamily(f) for f in families],
            OFFICER,
            clock,
            method="screening",
            pool_limit=people,
        )
        by_family = {i.family_id: i.id for i in repository.items(session, proposal_id=proposal.id)}
        return proposal.id, [by_family[f] for f in families]


def seed(url: str, population: int, decisions: int, check_ins: int, rng: random.Random) -> Seeded:
    """Everything the load needs, through the real services (see the module's docstring)."""
    store = open_store(Settings(database_url=url))
    try:
        registry = load_registry_file(workflow_agreement_path())
        spec = registry.agreements[0].model_copy(
            update={
                "caps": [
                    CapIn(
                        kind="persons_per_period", limit=100_000, period="P1Y", anchor="term_start"
                    ),
                    CapIn(kind="present_at_once", limit=100_000),
                ]
            }
        )
        with unit_of_work(store.sessions) as session:
            load(session, registry.model_copy(update={"agreements": [spec]}), "soak")
        transferred = math.ceil(check_ins / 3)
        pools = math.ceil(decisions / DECISION_POOL)
        singles = [
            single(n, prefix="SOAK", digits=5)
            for n in range(1, transferred + pools * DECISION_POOL + 1)
        ]
        with tempfile.TemporaryDirectory(prefix="accord-soak-") as scratch:
            path = Path(scratch) / "people.jsonl"
            write_people(generate_people(population, 1, on=REFERENCE_DATE), path)
            with path.open("a") as out:
                out.writelines(json.dumps(r) + "\n" for r in singles)
            rows = read_people(path)
        with unit_of_work(store.sessions) as session:
            import_people(
                session,
                rows,
                source="synthetic population",
                actor="soak",
                role="supervisor",
                at=IMPORTED.now(),
            )
            people = len(stored_people(session))
        with unit_of_work(store.sessions) as session:
            for row in templates.list_templates(session, SUPERVISOR, PROPOSED):
                if row.status == "draft":
                    templates.approve_template(
                        session, row.language, row.version, APPROVAL, SUPERVISOR, PROPOSED
                    )
            approved = set(templates.approved_languages(session, PROPOSED))

        # Transferred in February: their check-ins are due on the servers' day.
        families = [r["family_id"] for r in singles[:transferred]]
        _, moved = pool_of(store, families, PROPOSED) if families else (0, [])
        served = SetClock.on(PROPOSED.now().date(), 10)
        cases = [r["case_id"] for r in singles[:transferred]]
        stages: list[Callable[[Session, int, str], object]] = [
            lambda s, i, c: move(s, i, "accept", REVIEWER, PROPOSED),
            lambda s, i, c: record_notice(s, i, c, "person", "es", True, OFFICER, served),
            lambda s, i, c: clear(s, i, SUPERVISOR, CLEARED, medical_confirmed=True),
            lambda s, i, c: schedule(s, i, ARRIVED.now().date(), OFFICER, CLEARED),
            lambda s, i, c: confirm_arrival(s, i, REVIEWER, ARRIVED),
        ]
        for stage in stages:  # stage by stage: the quota ledger only goes forward in time
            for item, case_id in zip(moved, cases, strict=True):
                with unit_of_work(store.sessions) as session:
                    stage(session, item, case_id)
        due = [(item, days) for item in moved for days in (30, 90, 180)]
        rng.shuffle(due)

        # Awaiting the reviewer's decision: pools of 150 single families.
        decision_pools, pending = [], []
        rest = singles[transferred:]
        for start in range(0, len(rest), DECISION_POOL):
            chunk = [r["family_id"] for r in rest[start : start + DECISION_POOL]]
            pool, items = pool_of(store, chunk, TODAY)
            decision_pools.append(pool)
            pending += items
        rng.shuffle(pending)

        # Accepted families of the synthetic population, to serve notices on again and again.
        day = TODAY.now().date()
        with unit_of_work(store.sessions) as session:
            agreement = stored_agreement(session, AGREEMENT)
            generated = sorted(
                {p.family_id for p in stored_people(session)} - {r["family_id"] for r in singles}
            )
            chosen = []
            for family_id in generated:
                members = stored_people(session, family_id=family_id)
                readers = [
                    m for m in members if set(m.languages) & approved and not is_minor(m, day)
                ]
                if readers and not family_eligible(agreement, members, day):
                    chosen.append(family_id)
                if len(chosen) == NOTICE_FAMILIES:
                    break
        _, accepted = pool_of(store, chosen, TODAY)
        targets = []
        for item, family_id in zip(accepted, chosen, strict=True):
            with unit_of_work(store.sessions) as session:
                move(session, item, "accept", REVIEWER, TODAY)
            with unit_of_work(store.sessions) as session:
                members = stored_people(session, family_id=family_id)
                for case_id, recipient in notice_recipients(members, day):
                    person = next(m for m in members if m.case_id == case_id)
                    languages = [lang for lang in person.languages if lang in approved]
                    if recipient == "person" and languages:
                        targets.append((item, case_id, languages))

        tokens = {}
        with unit_of_work(store.sessions) as session:
            for actor in USERS:
                accounts.add_user(
                    session, actor.name, PASSWORD, actor.role, actor.party, TODAY, actor="soak"
                )
                tokens[actor.name] = accounts.issue_token(
                    session,
                    actor.name,
                    "soak",
                    ["read", "write"],
                    dt.timedelta(days=30),
                    TODAY,
                    actor="soak",
                )
    finally:
        store.close()
    return Seeded(
        decision_pools,
        pending,
        targets,
        due,
        [*moved, *pending, *accepted],
        tokens,
        people,
        sorted(approved),
    )


@contextmanager
def serving(name: str, url: str, threads: int | None) -> Iterator[Server]:
    """`accord --db URL serve` (one worker) in its own process until the block ends; what it
    writes is kept in a temporary file."""
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("ACCORD_") and key != "PROMETHEUS_MULTIPROC_DIR"
    }
    env["ACCORD_NOW"] = NOW.replace(tzinfo=None).isoformat()
    extra = ["--threads", str(threads)] if threads else []
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [
                *(str(BIN / "accord"), "--db", url, "serve", "--host", "127.0.0.1"),
                *("--port", str(port), *extra),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        try:
            yield Server(name, f"http://127.0.0.1:{port}/api/v1", process, log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until_up(server: Server) -> None:
    deadline = time.monotonic() + 90
    while True:
        if server.process.poll() is not None:
            server.log.seek(0)
            raise SystemExit(f"server {server.name} exited:\n{server.log.read().decode()}")
        try:
            if httpx.get(f"{server.base}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"server {server.name} did not answer /health within 90 s")
        time.sleep(0.2)


def rss_mib(pid: int) -> float:
    """A process's resident memory (VmRSS), MiB; NaN once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return math.nan


def plan(count: int, rng: random.Random) -> list[str]:
    kinds = [*READS, *WRITES]
    weights = [*READS.values(), *WRITES.values()]
    return rng.choices(kinds, weights, k=count)


def percentiles(latencies: list[float]) -> str:
    if not latencies:
        return "–"
    p50, p99 = np.percentile(np.array(latencies) * 1000, [50, 99])
    return f"{p50:,.1f} / {p99:,.1f}"


async def soak(
    servers: list[Server],
    seeded: Seeded,
    kinds: list[str],
    rate: float,
    timeout: float,
    rng: random.Random,
) -> tuple[list[Result], dict[str, str], float]:
    """The open-loop load: request i scheduled at start + i / rate, sent to server i % 2. Also
    samples the servers' memory every SAMPLE seconds and prints each window as it ends."""
    results: list[Result] = []
    examples: dict[str, str] = {}
    token = {name: {"Authorization": f"Bearer {t}"} for name, t in seeded.tokens.items()}
    pending = iter(seeded.pending)
    check_ins = iter(seeded.check_ins)
    per_page = 50
    people_pages = max(1, seeded.people // per_page)

    def request(kind: str) -> tuple[str, str, dict[str, str], Any]:
        """Method, path under /api/v1, headers, JSON body."""
        if kind == "pool":
            return "GET", f"pools/{rng.choice(seeded.decision_pools)}", token["rita"], None
        if kind == "pools":
            return "GET", f"pools?limit={per_page}", token["olga"], None
        if kind == "item":
            return "GET", f"items/{rng.choice(seeded.items)}", token["rita"], None
        if kind == "ledger":
            return "GET", f"agreements/{AGREEMENT}/ledger", token["olga"], None
        if kind == "people":
            offset = rng.randrange(people_pages) * per_page
            return "GET", f"people?limit={per_page}&offset={offset}", token["olga"], None
        if kind == "decide":
            item = next(pending)
            if rng.random() < 0.3:
                return "POST", f"items/{item}/accept", token["rita"], None
            body = {"reason_code": "criteria", "reason_text": "not selected (soak benchmark)"}
            return "POST", f"items/{item}/reject", token["rita"], body
        if kind == "notify":
            item, case_id, languages = rng.choice(seeded.notice_targets)
            body = {"case_id": case_id, "language": rng.choice(languages)}
            return "POST", f"items/{item}/notify", token["olga"], body
        if kind == "check_in":
            item, days = next(check_ins)
            check_in = {"days": days, "note": "seen; nothing to report", "audience": "shared"}
            return "POST", f"items/{item}/check-in", token["mona"], check_in
        raise ValueError(kind)

    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    limit = aiohttp.ClientTimeout(total=timeout)
    async with aiohttp.ClientSession(connector=connector, timeout=limit) as client:
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.1
        duration = len(kinds) / rate

        async def one(i: int, kind: str, scheduled: float) -> None:
            server = i % len(servers)
            method, path, headers, body = request(kind)
            try:
                async with client.request(
                    method, f"{servers[server].base}/{path}", headers=headers, json=body
                ) as response:
                    answer = await response.text()
                    status = str(response.status)
                    if not 200 <= response.status < 300:
                        examples.setdefault(f"{kind} {status}", answer[:300])
            except TimeoutError:
                status = "timeout"
            except aiohttp.ClientError as exc:
                status = type(exc).__name__
                examples.setdefault(f"{kind} {status}", repr(exc)[:300])
            results.append(
                Result(
                    kind,
                    kind in WRITES,
                    server,
                    scheduled - start,
                    loop.time() - scheduled,
                    status,
                )
            )

        async def watch() -> None:
            """Memory every SAMPLE s; each window printed (answers so far) once it has ended."""
            samples = 0
            while True:
                at = start + samples * SAMPLE
                await asyncio.sleep(max(0.0, at - loop.time()))
                for server in servers:
                    server.rss.append((at - start, rss_mib(server.process.pid)))
                if samples and samples * SAMPLE % WINDOW == 0:
                    w = int(samples * SAMPLE // WINDOW) - 1
                    inside = [r for r in results if w * WINDOW <= r.scheduled < (w + 1) * WINDOW]
                    errors = sum(1 for r in inside if not r.status.startswith("2"))
                    memory = ", ".join(f"{s.name} {s.rss[-1][1]:,.0f} MiB" for s in servers)
                    print(
                        f"[{(w + 1) * WINDOW / 60:5.1f} min] reads p50/p99"
                        f" {percentiles([r.latency for r in inside if not r.write])} ms, writes"
                        f" {percentiles([r.latency for r in inside if r.write])} ms;"
                        f" {len(inside)} answered, {errors} errors; {memory}",
                        file=sys.stderr,
                        flush=True,
                    )
                if samples * SAMPLE >= duration:
                    return
                samples += 1

        watcher = asyncio.create_task(watch())
        tasks = []
        for i, kind in enumerate(kinds):
            scheduled = start + i / rate
            delay = scheduled - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i, kind, scheduled)))
        await asyncio.gather(*tasks)
        await watcher
        span = loop.time() - start
    return results, examples, span


def growth_per_hour(samples: list[tuple[float, float]]) -> tuple[float, float, float]:
    """MiB per hour of a least-squares line through the samples after the warm-up; the first
    and last of those samples (MiB)."""
    kept = [(t, m) for t, m in samples if t >= WARM_UP and not math.isnan(m)]
    if len(kept) < 2:
        return math.nan, math.nan, math.nan
    t, m = np.array(kept).T
    slope = float(np.polyfit(t / 3600, m, 1)[0])
    return slope, float(m[0]), float(m[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the load")
    parser.add_argument("--rate", type=float, default=20.0, help="requests per second, in all")
    parser.add_argument("--people", type=int, default=3_000, help="synthetic population")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    parser.add_argument("--threads", type=int, default=None, help="accord serve --threads")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    kinds = plan(round(args.minutes * 60 * args.rate), rng)
    wanted = Counter(kinds)
    load_before = os.getloadavg()
    print(
        f"{cpu_model()}, {os.cpu_count()} cores; Python {platform.python_version()},"
        f" {postgres_version()}; load average {load_before[0]:.2f} / {load_before[1]:.2f} /"
        f" {load_before[2]:.2f} (1/5/15 min) before; {args.minutes:g} min at {args.rate:g}/s"
        f" ({len(kinds):,} requests), seed {args.seed}",
        file=sys.stderr,
        flush=True,
    )
    with fresh_database("accord_soak") as url, ExitStack() as stack:
        started = time.perf_counter()
        seeded = seed(url, args.people, wanted["decide"], wanted["check_in"], rng)
        seeding = time.perf_counter() - started
        print(
            f"seeded in {seeding:.0f} s: {seeded.people:,} people, {len(seeded.pending)} families"
            f" awaiting decision in {len(seeded.decision_pools)} pool(s),"
            f" {len(seeded.check_ins)} check-ins due, {len(seeded.notice_targets)} adults to"
            f" serve notice on; approved languages {', '.join(seeded.languages)}",
            file=sys.stderr,
            flush=True,
        )
        servers = [stack.enter_context(serving(n, url, args.threads)) for n in ("A", "B")]
        for server in servers:
            wait_until_up(server)
        results, examples, span = asyncio.run(
            soak(servers, seeded, kinds, args.rate, args.timeout, rng)
        )
        said = []
        for server in servers:
            server.log.seek(0)
            said.append(server.log.read().decode(errors="replace").splitlines())
            if server.process.poll() is not None:
                print(f"server {server.name} died: {server.process.returncode}", file=sys.stderr)
    load_after = os.getloadavg()

    windows = math.ceil(args.minutes * 60 / WINDOW)
    print(
        f"\n{cpu_model()}, {os.cpu_count()} cores; Python {platform.python_version()},"
        f" {postgres_version()}; two `accord serve` processes of one worker each; load average"
        f" (1/5/15 min) {load_before[0]:.2f} / {load_before[1]:.2f} / {load_before[2]:.2f} before,"
        f" {load_after[0]:.2f} / {load_after[1]:.2f} / {load_after[2]:.2f} after; seeding"
        f" {seeding:.0f} s (not counted)\n"
    )
    print(
        f"{len(results):,} requests in {span:,.0f} s (achieved {len(results) / span:.1f}/s,"
        f" asked {args.rate:g}/s): " + ", ".join(f"{k} {n}" for k, n in wanted.most_common()) + "\n"
    )
    print(
        "| window | requests | reads p50 / p99 ms | writes p50 / p99 ms | errors | RSS A MiB | RSS B MiB |"
    )
    print("|---|---:|---|---|---:|---:|---:|")
    first = last = None
    for w in range(windows):
        inside = [r for r in results if w * WINDOW <= r.scheduled < (w + 1) * WINDOW]
        if not inside:
            continue
        first = first if first is not None else w
        last = w
        end = (w + 1) * WINDOW
        rss = [next((m for t, m in s.rss if t >= end), s.rss[-1][1]) for s in servers]
        errors = sum(1 for r in inside if not r.status.startswith("2"))
        print(
            f"| {w * WINDOW / 60:g}–{end / 60:g} min | {len(inside):,}"
            f" | {percentiles([r.latency for r in inside if not r.write])}"
            f" | {percentiles([r.latency for r in inside if r.write])} | {errors}"
            f" | {rss[0]:,.0f} | {rss[1]:,.0f} |"
        )
    print()
    print("| kind | requests | p50 / p99 ms | max ms | errors |")
    print("|---|---:|---|---:|---:|")
    for kind in [*READS, *WRITES]:
        of = [r for r in results if r.kind == kind]
        if of:
            errors = sum(1 for r in of if not r.status.startswith("2"))
            worst = max(r.latency for r in of) * 1000
            print(
                f"| {kind} | {len(of):,} | {percentiles([r.latency for r in of])}"
                f" | {worst:,.1f} | {errors} |"
            )
    reads = [r.latency for r in results if not r.write]
    writes = [r.latency for r in results if r.write]
    print(
        f"| **all reads** | {len(reads):,} | {percentiles(reads)} | – |"
        f" {sum(1 for r in results if not r.write and not r.status.startswith('2'))} |"
    )
    print(
        f"| **all writes** | {len(writes):,} | {percentiles(writes)} | – |"
        f" {sum(1 for r in results if r.write and not r.status.startswith('2'))} |"
    )
    print()
    statuses = Counter(r.status for r in results)
    errors = sum(n for s, n in statuses.items() if not s.startswith("2"))
    print(
        f"Statuses: {', '.join(f'{s}: {n:,}' for s, n in sorted(statuses.items()))};"
        f" errors {errors}"
    )
    for key, example in examples.items():
        print(f"  first {key}: {example}")
    print()
    print(
        "| server | requests | RSS after start MiB | after warm-up | at end | growth (fit after 2 min) |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for n, server in enumerate(servers):
        slope, warm, end = growth_per_hour(server.rss)
        print(
            f"| {server.name} | {sum(1 for r in results if r.server == n):,}"
            f" | {server.rss[0][1]:,.0f} | {warm:,.0f} | {end:,.0f}"
            f" | {'–' if math.isnan(slope) else f'{slope:+,.1f} MiB/h'} |"
        )
    if first is not None and last is not None:
        head = [r for r in results if first * WINDOW <= r.scheduled < (first + 1) * WINDOW]
        tail = [r for r in results if last * WINDOW <= r.scheduled < (last + 1) * WINDOW]
        print()
        print("| baseline: p50 / p99 ms | reads | writes |")
        print("|---|---|---|")
        for label, inside in (("first window", head), ("last window", tail)):
            print(
                f"| {label} | {percentiles([r.latency for r in inside if not r.write])}"
                f" | {percentiles([r.latency for r in inside if r.write])} |"
            )
    for server, lines in zip(servers, said, strict=True):
        other = []
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                entry = None
            if isinstance(entry, dict) and entry.get("logger") == "accord.access":
                continue
            if line.startswith("Accord on") or line.endswith("/api/v1/openapi.json)"):
                continue  # the banner, wrapped
            other.append(line)
        if other:
            print(f"\nserver {server.name} wrote {len(other)} lines but its access log; the last:")
            for line in other[-10:]:
                print(f"    {line[:300]}")


if __name__ == "__main__":
    main()
