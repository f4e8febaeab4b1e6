"""Crashes and faults survived (docs/operations.md, "Crashes and faults").

A real `accord serve` process takes writes through the API (reviewers' decisions, officers'
notices, each with an `Idempotency-Key`) and is killed with SIGKILL at random moments, then
started again, at least `KILLS` times on SQLite and on PostgreSQL. After every kill, with the
server dead, the database is read directly: every write answered 2xx is there; a write that
was not answered is there whole (its stored answer, its effect, its ledger row, its audit
events) or not at all; the ledger agrees with the items' events and with the ledger view; the
audit chain verifies. An unanswered write retried with the same key is applied once, or
answered with the answer stored for it.

On PostgreSQL, the server's backends are terminated under the same load: requests in flight
may fail (5xx), none is answered 2xx without its effect, and later requests succeed without a
restart. On SQLite, the database's file sits on a small tmpfs that is filled: writes answer
an error, nothing acknowledged is lost, and once space is freed writes succeed again without a
restart (needs root to mount; skipped with the reason otherwise, failed under CI=true).
"""

from __future__ import annotations

import errno
import itertools
import os
import random
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, select, text

from accord.audit.service import verify
from accord.clock import SetClock
from accord.config import Settings
from accord.db import unit_of_work
from accord.models import LedgerEntry
from accord.models.audit import AuditEvent
from accord.models.idempotency import IdempotentRequest
from accord.models.proposal import ItemEvent, NoticeRecord, ProposalItem
from accord.proposals.views import ledger_view
from accord.store import open_store
from accord.workflow.transitions import HOLDS_RESERVATION, State, releases_on, transition
from tests.conftest import IN_CI
from tests.operations.servers import Served, free_port
from tests.proposals.support import AGREEMENT, OFFICER, START, propose, singles
from tests.support import cheap_passwords
from tests.web.support import sign_up

NOW = SetClock.on(START)
"""The servers and the seeding stand at this moment (ACCORD_NOW): inside the demo term."""
KILLS = 20
FAMILIES = 60
STARTUP_SECONDS = 90
REVIEWER, OFFICER_NAME = "rita", "olga"
REASONS = ("criteria", "documents", "capacity", "other")


# --- The server, started and killed ------------------------------------------------------------


@dataclass
class Server(Served):
    def kill(self) -> None:
        """SIGKILL: no shutdown, no rollback, no closing of anything."""
        self.process.kill()
        self.process.wait(timeout=15)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def start(database_url: str, log: Path) -> Server:
    """`accord --db URL serve --port P` in its own process, answering /healthz."""
    server = spawn(database_url, log)
    try:
        server.wait_until_alive(STARTUP_SECONDS)
    except BaseException:
        server.kill()
        raise
    return server


def spawn(database_url: str, log: Path, *, auto_migrate: bool = True) -> Server:
    """`accord --db URL serve --port P` started, not waited for."""
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("ACCORD_") and key != "PROMETHEUS_MULTIPROC_DIR"
    }
    env |= {"ACCORD_NOW": NOW.now().isoformat(), "ACCORD_THREADS": "4"}
    if not auto_migrate:
        env["ACCORD_AUTO_MIGRATE"] = "false"
    accord = Path(sys.executable).parent / "accord"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [str(accord), "--db", database_url, "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    return Server(f"http://127.0.0.1:{port}", process, log)


@contextmanager
def serving(database_url: str, log: Path) -> Iterator[Server]:
    server = start(database_url, log)
    try:
        yield server
    finally:
        server.stop()


# --- The seeded world --------------------------------------------------------------------------


@dataclass
class Seeded:
    tokens: dict[str, str]
    items: dict[int, str]
    """Item id -> the case id of its one member."""


def seed(url: str, tmp_path: Path, families: int = FAMILIES) -> Seeded:
    """The demo agreement, `families` adults alone (reading Spanish) in one pool proposed to
    XK, one user per role. The test databases have the Spanish notice template approved."""
    cases = [f"C{n:03d}" for n in range(1, families + 1)]
    store = open_store(Settings(database_url=url))
    try:
        singles(store, tmp_path, *cases)
        items = propose(store, NOW, [f"F-{c}" for c in cases])
        with cheap_passwords():
            tokens = sign_up(store, NOW)
    finally:
        store.close()
    return Seeded(tokens, dict(zip(items, cases, strict=True)))


# --- The writes and the client -----------------------------------------------------------------


@dataclass
class Answer:
    status: int | None
    """None: no answer (the connection failed or was cut)."""
    body: Any = None
    replayed: bool = False


@dataclass
class Write:
    key: str
    user: str
    kind: str
    """accept, reject or notify."""
    item: int
    case: str
    answers: list[Answer] = field(default_factory=list)

    @property
    def path(self) -> str:
        return f"/api/v1/items/{self.item}/{self.kind}"

    @property
    def body(self) -> dict[str, Any] | None:
        if self.kind == "notify":
            return {"case_id": self.case, "language": "es"}
        if self.kind == "reject":
            return {"reason_code": REASONS[self.item % len(REASONS)], "reason_text": "crash test"}
        return None

    @property
    def acknowledged(self) -> Answer | None:
        return next((a for a in self.answers if a.status is not None and a.status < 300), None)

    @property
    def refused(self) -> bool:
        """Answered 4xx and never 2xx: a refusal, which stores nothing."""
        return self.acknowledged is None and any(
            a.status is not None and 400 <= a.status < 500 for a in self.answers
        )


class Workload:
    """What the client sends next: unanswered writes again (same key) first, then a decision
    on each item of the pool (accept or reject), a notice on each accepted one, and once every
    item is decided, further notices on accepted items."""

    def __init__(self, seeded: Seeded, rng: random.Random, tag: str) -> None:
        self.seeded, self.rng, self.tag = seeded, rng, tag
        self.writes: list[Write] = []
        self.undecided = deque(rng.sample(sorted(seeded.items), len(seeded.items)))
        self.queued: deque[Write] = deque()
        self.retry: deque[Write] = deque()
        self.accepted: list[int] = []
        self.stored: dict[tuple[str, str], tuple[int, Any]] = {}
        """(user, key) -> the answer stored, as the last check read it with the server dead."""
        self.retry_faults: list[str] = []
        self.counter = itertools.count(1)

    def new(self, kind: str, item: int) -> Write:
        user = OFFICER_NAME if kind == "notify" else REVIEWER
        key = f"crash-{self.tag}-{next(self.counter):05d}-{uuid.uuid4().hex[:8]}"
        write = Write(key, user, kind, item, self.seeded.items[item])
        self.writes.append(write)
        return write

    def next(self) -> Write:
        if self.retry:
            return self.retry.popleft()
        if self.queued:
            return self.queued.popleft()
        if self.undecided:
            item = self.undecided.popleft()
            return self.new("accept" if self.rng.random() < 0.65 else "reject", item)
        if self.accepted:
            return self.new("notify", self.rng.choice(self.accepted))
        return self.new("accept", self.rng.choice(sorted(self.seeded.items)))

    def answered(self, write: Write, answer: Answer) -> None:
        retried = len(write.answers) > 0
        write.answers.append(answer)
        if retried and answer.status is not None:
            self.judge_retry(write, answer)
        if answer.status is None or answer.status >= 500:
            self.retry.append(write)
        elif answer.status < 300 and write.kind == "accept" and write.item not in self.accepted:
            self.accepted.append(write.item)
            self.queued.append(self.new("notify", write.item))

    def judge_retry(self, write: Write, answer: Answer) -> None:
        """A write sent again with its key: if an answer was stored for it when the server was
        killed, the retry is that answer, replayed; if none was, it acts now (or is refused)."""
        stored = self.stored.get((write.user, write.key))
        if stored is not None:
            if (answer.status, answer.body) != stored or not answer.replayed:
                self.retry_faults.append(f"{write.key}: stored {stored}, retry {answer}")
        elif answer.replayed:
            self.retry_faults.append(f"{write.key}: replayed an answer that was not stored")


def send(client: httpx.Client, seeded: Seeded, write: Write) -> Answer:
    headers = {
        "Authorization": f"Bearer {seeded.tokens[write.user]}",
        "Idempotency-Key": write.key,
    }
    try:
        response = client.post(write.path, headers=headers, json=write.body)
    except httpx.TransportError:
        return Answer(None)
    try:
        body = response.json()
    except ValueError:
        body = response.text
    return Answer(response.status_code, body, response.headers.get("Idempotent-Replayed") == "true")


class Writer(threading.Thread):
    """One client sending the workload's writes one after another, until told to stop or its
    connection fails."""

    def __init__(self, server: Server, seeded: Seeded, workload: Workload) -> None:
        super().__init__(daemon=True)
        self.server, self.seeded, self.workload = server, seeded, workload
        self.stopping = threading.Event()
        self.answered_once = threading.Event()
        self.sent = 0

    def run(self) -> None:
        with httpx.Client(base_url=self.server.url, timeout=30) as client:
            while not self.stopping.is_set():
                write = self.workload.next()
                answer = send(client, self.seeded, write)
                self.workload.answered(write, answer)
                self.sent += 1
                if answer.status is None:
                    return
                if answer.status < 300:
                    self.answered_once.set()

    def finish(self) -> None:
        self.stopping.set()
        self.join(timeout=60)
        assert not self.is_alive(), "the client did not stop"


# --- The check, with the server dead -----------------------------------------------------------


@dataclass
class Checked:
    writes: int = 0
    acknowledged: int = 0
    losses: list[str] = field(default_factory=list)
    """Acknowledged writes missing, unacknowledged ones half there, broken invariants."""


def check(url: str, workload: Workload) -> Checked:
    """Read the database: every write against what it answered, and the invariants."""
    store = open_store(Settings(database_url=url, auto_migrate=False))
    result = Checked()
    losses = result.losses
    try:
        with unit_of_work(store.sessions) as session:
            items = {i.id: i for i in session.execute(select(ProposalItem)).scalars()}
            events = list(session.execute(select(ItemEvent).order_by(ItemEvent.id)).scalars())
            ledger = list(session.execute(select(LedgerEntry)).scalars())
            notices = {n.id: n for n in session.execute(select(NoticeRecord)).scalars()}
            audit = list(session.execute(select(AuditEvent)).scalars())
            stored = {
                (r.principal, r.key): (r.status, r.body)
                for r in session.execute(select(IdempotentRequest)).scalars()
            }
            chain = verify(session)
            view = ledger_view(session, AGREEMENT, START, OFFICER)
    finally:
        store.close()
    workload.stored = stored

    # Each write: acknowledged ones there with their stored answer; the others whole or absent.
    applied: Counter[tuple[int, str]] = Counter()
    notices_applied: Counter[int] = Counter()
    moved_by_notice: Counter[int] = Counter()
    for write in workload.writes:
        result.writes += 1
        ack = write.acknowledged
        kept = stored.get((write.user, write.key))
        if ack is not None:
            result.acknowledged += 1
            if kept != (ack.status, ack.body):
                losses.append(
                    f"{write.key} ({write.kind} {write.item}) answered {ack.status}"
                    f" but its stored answer is {kept}"
                )
        if kept is None:
            continue
        body = kept[1]
        if write.kind == "notify":
            notices_applied[write.item] += 1
            notice = notices.get(body["notice_id"])
            if notice is None or (notice.item_id, notice.case_id) != (write.item, write.case):
                losses.append(f"{write.key}: notice {body['notice_id']} missing")
            if body.get("moved"):
                moved_by_notice[write.item] += 1
        else:
            applied[(write.item, write.kind)] += 1

    # The effects counted against the answers stored: an effect with no stored answer is a
    # write half there (or one made twice).
    by_item: dict[int, list[ItemEvent]] = {}
    for event in events:
        by_item.setdefault(event.item_id, []).append(event)
    for item_id, item in items.items():
        history = by_item.get(item_id, [])
        made = Counter(e.action for e in history)
        for action in ("accept", "reject"):
            if made[action] != applied[(item_id, action)]:
                losses.append(
                    f"item {item_id}: {made[action]} {action} events,"
                    f" {applied[(item_id, action)]} answers stored"
                )
        if made["notify"] != moved_by_notice[item_id]:
            losses.append(
                f"item {item_id}: {made['notify']} notify events,"
                f" {moved_by_notice[item_id]} notices answered as the move"
            )
        served = sum(1 for n in notices.values() if n.item_id == item_id)
        if served != notices_applied[item_id]:
            losses.append(f"item {item_id}: {served} notices, {notices_applied[item_id]} stored")
        expected_state = history[-1].to_state if history else State.PROPOSED.value
        if item.state != expected_state:
            losses.append(f"item {item_id} is {item.state}, its events say {expected_state}")

    # The ledger: each row's item exists, and its kinds are those its item's events make.
    kinds: dict[int, Counter[str]] = {}
    for row in ledger:
        if row.item_id not in items:
            losses.append(f"ledger row {row.id} of a missing item {row.item_id}")
        kinds.setdefault(row.item_id, Counter())[row.kind] += 1
    for item_id in items:
        expected: Counter[str] = Counter()
        for event in by_item.get(item_id, []):
            if event.from_state is None:
                continue
            step = transition(event.action, State(event.from_state))
            if step.ledger and (
                step.ledger != "release" or releases_on(step, State(event.from_state))
            ):
                expected[step.ledger] += 1
        if kinds.get(item_id, Counter()) != expected:
            losses.append(
                f"item {item_id}: ledger {dict(kinds.get(item_id, {}))}, events"
                f" make {dict(expected)}"
            )
    net = sum(r.persons for r in ledger if r.kind == "reserve") - sum(
        r.persons for r in ledger if r.kind == "release"
    )
    holding = sum(i.size for i in items.values() if State(i.state) in HOLDS_RESERVATION)
    [persons_cap] = [h for h in view.caps if h.cap.kind == "persons_per_period"]
    if not net == holding == persons_cap.held:
        losses.append(
            f"reserved−released {net}, items holding places {holding},"
            f" the ledger view {persons_cap.held}"
        )

    # The audit log: each item event and each notice has its event, and the chain holds.
    audited = Counter(
        (int(a.entity_id), a.action.removeprefix("item."))
        for a in audit
        if a.entity_type == "proposal_item" and a.action.startswith("item.")
    )
    for (item_id, action), count in Counter((e.item_id, e.action) for e in events).items():
        if action != "propose" and audited[(item_id, action)] != count:
            losses.append(
                f"item {item_id}: {count} {action} events, {audited[(item_id, action)]} audited"
            )
    noted = Counter(a.data.get("notice") for a in audit if a.action == "notice.recorded")
    for notice_id in notices:
        if noted[notice_id] != 1:
            losses.append(f"notice {notice_id} audited {noted[notice_id]} times")
    if not chain.ok:
        losses.append(f"audit chain broken at {chain.broken_at}: {chain.problem}")
    return result


# --- 1. SIGKILL at random moments --------------------------------------------------------------


def test_killed_at_random_moments_loses_nothing_acknowledged(
    database_url: str, tmp_path: Path
) -> None:
    kind = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    seeded = seed(database_url, tmp_path)
    rng = random.Random(f"crashes-{kind}")
    workload = Workload(seeded, rng, kind)
    log = tmp_path / "server.log"
    kills = sent = checks = warm = 0
    began = time.monotonic()
    server = start(database_url, log)
    for _ in range(KILLS):
        # The next process starts importing now, to save time: it opens no connection to the
        # database before its first request (ACCORD_AUTO_MIGRATE=false), so to the database it
        # is a restart after the kill, and the check below reads what the crash left.
        spawning = spawn(database_url, log, auto_migrate=False)
        writer = Writer(server, seeded, workload)
        writer.start()
        # Mostly while a warm server writes; a quarter of the kills during the first (cold,
        # slower) request of a new process.
        if rng.random() < 0.75:
            warm += writer.answered_once.wait(timeout=60)
        time.sleep(rng.uniform(0.05, 0.4))
        server.kill()
        kills += 1
        writer.finish()
        sent += writer.sent
        checked = check(database_url, workload)
        checks += 1
        assert not checked.losses, checked.losses[:20]
        server = spawning
        server.wait_until_alive(STARTUP_SECONDS)
    server.kill()

    # Every write left unanswered, sent again with its key: applied once, or its stored answer.
    unanswered = len(workload.retry)
    with serving(database_url, log) as server, httpx.Client(base_url=server.url, timeout=30) as c:
        while workload.retry:
            write = workload.retry.popleft()
            answer = send(c, seeded, write)
            workload.answered(write, answer)
            sent += 1
            assert answer.status is not None and answer.status < 500, (write.key, answer)
    checked = check(database_url, workload)
    refused = sum(1 for w in workload.writes if w.refused)
    print(
        f"\n[{kind}] kills {kills} ({kills - warm} without waiting for a first answer),"
        f" writes sent {sent} ({len(workload.writes)} distinct),"
        f" acknowledged {checked.acknowledged}, refused {refused}, unanswered retried"
        f" {unanswered}, checked {checked.writes} writes after each of {checks + 1} stops,"
        f" retry faults {len(workload.retry_faults)}, losses {len(checked.losses)}"
        f" ({time.monotonic() - began:.1f} s)"
    )
    assert kills >= 20
    assert not workload.retry_faults, workload.retry_faults[:20]
    assert len(checked.losses) == 0, checked.losses[:20]
    assert checked.acknowledged >= warm >= KILLS // 2  # the load was real: one or more a round


# --- 2. PostgreSQL: the server's connections dropped under load --------------------------------

TERMINATE = text(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


@pytest.mark.postgres
def test_dropped_connections_fail_requests_and_recover_without_restart(
    postgres_url: str, tmp_path: Path
) -> None:
    seeded = seed(postgres_url, tmp_path, families=30)
    rng = random.Random("dropped")
    workload = Workload(seeded, rng, "dropped")
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    terminated = 0
    try:
        with serving(postgres_url, tmp_path / "server.log") as server:
            writer = Writer(server, seeded, workload)
            writer.start()
            for _ in range(5):
                time.sleep(rng.uniform(0.2, 0.5))
                with admin.connect() as connection:
                    terminated += len(connection.execute(TERMINATE).all())
            time.sleep(0.3)
            writer.finish()
            failed = sum(1 for w in workload.writes for a in w.answers if a.status is None)
            errors = Counter(
                a.status
                for w in workload.writes
                for a in w.answers
                if a.status is not None and a.status >= 500
            )
            # Recovered by itself: the failed writes sent again, then new ones, all answered.
            with httpx.Client(base_url=server.url, timeout=30) as client:
                later = []
                for _ in range(len(workload.retry) + 10):
                    write = workload.next()
                    answer = send(client, seeded, write)
                    workload.answered(write, answer)
                    later.append((write.key, answer.status))
                ready = client.get("/readyz")
            assert server.process.poll() is None, "the server died"
    finally:
        admin.dispose()
    checked = check(postgres_url, workload)
    print(
        f"\n[postgresql] backends terminated {terminated}, writes sent"
        f" {sum(len(w.answers) for w in workload.writes)}, answered 5xx {dict(errors)},"
        f" unanswered {failed}, acknowledged {checked.acknowledged}, later writes"
        f" {len(later)} all 2xx, retry faults {len(workload.retry_faults)},"
        f" losses {len(checked.losses)}"
    )
    assert terminated >= 5
    assert failed == 0, "a dropped database connection is answered, not a cut connection"
    assert all(status is not None and status < 300 for _, status in later), later
    assert ready.status_code == 200, ready.text
    assert not workload.retry_faults, workload.retry_faults[:20]
    assert len(checked.losses) == 0, checked.losses[:20]


# --- 3. SQLite: a full disk --------------------------------------------------------------------


@contextmanager
def small_disk(directory: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted on `directory` (root only), unmounted after."""
    directory.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(directory)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        reason = (
            f"cannot mount a small tmpfs for the full-disk test (needs root):"
            f" {mounted.stderr.strip() or mounted.returncode}"
        )
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: the full-disk test must run)")
        pytest.skip(reason)
    try:
        yield directory
    finally:
        for _ in range(50):
            if subprocess.run(["umount", str(directory)], check=False).returncode == 0:
                break
            time.sleep(0.1)
        else:
            subprocess.run(["umount", "-l", str(directory)], check=False)


def fill(directory: Path) -> Path:
    """A file that takes every byte left on the filesystem."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for chunk in (1 << 16, 1 << 12, 1 << 9, 1):
            while True:
                try:
                    os.write(fd, b"\0" * chunk)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    break
    finally:
        os.close(fd)
    assert shutil.disk_usage(directory).free == 0
    return filler


def test_full_disk_on_sqlite_answers_errors_and_recovers(
    sqlite_template: Path, tmp_path: Path
) -> None:
    with small_disk(tmp_path / "disk", "4m") as disk:
        path = disk / "accord.db"
        shutil.copyfile(sqlite_template, path)
        url = f"sqlite:///{path}"
        seeded = seed(url, tmp_path, families=20)
        workload = Workload(seeded, random.Random("full-disk"), "full")

        def some(client: httpx.Client, count: int) -> list[Answer]:
            answers = []
            for _ in range(count):
                write = workload.next()
                answers.append(send(client, seeded, write))
                workload.answered(write, answers[-1])
            return answers

        with serving(url, tmp_path / "server.log") as server:
            with httpx.Client(base_url=server.url, timeout=30) as client:
                before = some(client, 6)
                assert all(a.status == 200 for a in before), before
                filler = fill(disk)
                full = some(client, 10)
                filler.unlink()
                after = some(client, len(workload.retry) + 6)
            assert server.process.poll() is None, "the server died"
        checked = check(url, workload)
    statuses = Counter(a.status for a in full)
    print(
        f"\n[sqlite, full disk] before {len(before)} writes 2xx; disk full: {dict(statuses)};"
        f" space freed: {len(after)} writes, {sum(a.status == 200 for a in after)} 2xx;"
        f" acknowledged {checked.acknowledged}, losses {len(checked.losses)}"
    )
    assert not any(a.status is not None and a.status < 300 for a in full), full
    assert all(a.status is not None and a.status >= 500 for a in full), full
    assert all(a.status == 200 for a in after), after
    assert not workload.retry_faults, workload.retry_faults[:20]
    assert len(checked.losses) == 0, checked.losses[:20]
