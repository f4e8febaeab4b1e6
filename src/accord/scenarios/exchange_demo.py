"""`accord demo --two-deployments`: part of the demo year played across two deployments.

The sender's Accord (US) and the receiver's (XK), each on its own SQLite file with its own keys
and accounts, and each registered as the other's peer from the public JWK set the other
exported. The workflow demo's agreement is in both registries. Everything between them travels
as signed, encrypted messages written to files and read by the other side, as on a channel
with no network between the parties: the pool out, the receiver's decisions back (applied by
the sender's own workflow, a refusal answered and carried back), a withdrawal out, and each
side's ledger statement both ways; then the two ledgers, reconciled.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import secrets
import shutil
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select

from accord.access import Actor
from accord.accounts.service import add_user, bootstrap_admin
from accord.agreements import service as agreements_service
from accord.agreements.loader import load_registry_file
from accord.agreements.service import stored_agreement
from accord.cases.reader import read_people
from accord.cases.writer import write_people
from accord.clock import SetClock
from accord.config import Settings
from accord.db import unit_of_work
from accord.exchange import channel, keys, peers, receiver, reconcile, service
from accord.exchange.channel import Received
from accord.models import ReceivedItem
from accord.proposals import repository
from accord.proposals.case_facts import import_case_files
from accord.proposals.pools import PoolFamily, create_pool, matcher_input, proposable
from accord.proposals.service import withdraw
from accord.scenarios import workflow_agreement_path
from accord.scenarios.people import REFERENCE_DATE, generate_people
from accord.scenarios.workflow_demo import AGREEMENT, START
from accord.store import Store, open_store

SENDER, RECEIVER = "US", "XK"
ADMIN = "a.admin"
"""Each deployment's first admin, who adds its other accounts and registers its peer."""
OFFICER = Actor("o.reyes", "officer", SENDER)
SUPERVISOR = Actor("s.chen", "supervisor", SENDER)
REVIEWER = Actor("r.krasniqi", "reviewer", RECEIVER)
PEOPLE = 300
POOL_FAMILIES = 10
REJECTION = (
    "criteria",
    "not within the agreement's public-order criterion on the file XK was sent",
)
WITHDRAWAL = "the family asked to stay together with relatives in the sender's country"

DECIDED_ON = START + dt.timedelta(days=7)
WITHDRAWN_ON = START + dt.timedelta(days=9)
STATED_ON = START + dt.timedelta(days=10)


@dataclass(frozen=True)
class Deployment:
    """One party's Accord: its database, its keys, and the folder it reads files from."""

    party: str
    store: Store
    own: keys.OwnKeys
    inbox: Path


def run_exchange_demo(console: Console, *, seed: int, count: int = PEOPLE) -> None:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="accord-exchange-demo-") as workdir:
        work = Path(workdir)
        console.rule("[bold]Accord demo: one agreement, two deployments")
        clock = SetClock.on(START)
        us, xk = _deployments(console, work, clock)
        try:
            _play(console, us, xk, clock, work, seed=seed, count=count)
        finally:
            us.store.close()
            xk.store.close()
    console.print(
        f"done in {time.perf_counter() - started:.1f} s. Between two real servers the same"
        " messages go by HTTPS (`accord peers add … --url`, then `accord serve`), or by hand:"
        " `accord exchange export` and `accord exchange import`."
    )


def _deployments(console: Console, work: Path, clock: SetClock) -> tuple[Deployment, Deployment]:
    """Two databases (the second a copy of the first, freshly migrated, before any data), the
    agreement in both registries, the accounts, the keys, and each the other's peer."""
    us_db, xk_db = work / "us.db", work / "xk.db"
    us_store = open_store(Settings(database_url=f"sqlite:///{us_db}"))
    shutil.copyfile(us_db, xk_db)
    xk_store = open_store(Settings(database_url=f"sqlite:///{xk_db}"))
    console.print(
        f"deployments: {SENDER} (the sender) on {escape(us_db.name)}, {RECEIVER} (the receiver)"
        f" on {escape(xk_db.name)}, each its own database, in {escape(str(work))}"
    )
    registry = load_registry_file(workflow_agreement_path())
    for store, loader in ((us_store, SUPERVISOR), (xk_store, Actor(ADMIN, "admin", None))):
        with unit_of_work(store.sessions) as session:
            bootstrap_admin(session, ADMIN, secrets.token_urlsafe(18), clock)
            agreements_service.load(
                session, registry, loader.name, role=loader.role, party=loader.party
            )
    with unit_of_work(us_store.sessions) as session:
        agreement = stored_agreement(session, AGREEMENT)
    caps = "; ".join(
        f"{c.kind.replace('_', ' ')} {c.limit}" + (f" per {c.period}" if c.period else "")
        for c in agreement.caps
    )
    console.print(
        f"agreement {AGREEMENT} ({agreement.sender} → {agreement.receiver}; {caps}) loaded in"
        " both registries"
    )
    for store, cast in ((us_store, (OFFICER, SUPERVISOR)), (xk_store, (REVIEWER,))):
        with unit_of_work(store.sessions) as session:
            for actor in cast:
                add_user(
                    session,
                    actor.name,
                    secrets.token_urlsafe(18),
                    actor.role,
                    actor.party,
                    clock,
                    actor=ADMIN,
                )
    console.print(
        f"accounts: on {SENDER} {ADMIN} (admin) added {OFFICER.name} (officer),"
        f" {SUPERVISOR.name} (supervisor); on {RECEIVER} {ADMIN} (admin) added"
        f" {REVIEWER.name} (reviewer of {RECEIVER})"
    )
    us_keys = keys.init(work / "us-keys.json", SENDER, clock.now())
    xk_keys = keys.init(work / "xk-keys.json", RECEIVER, clock.now())
    us = Deployment(SENDER, us_store, us_keys, work / "to-us")
    xk = Deployment(RECEIVER, xk_store, xk_keys, work / "to-xk")
    exported = []
    for side, other in ((us, xk), (xk, us)):
        jwks = work / f"{other.party.lower()}.jwks.json"
        jwks.write_text(json.dumps(other.own.public_set()))
        exported.append(jwks.name)
        with unit_of_work(side.store.sessions) as session:
            peers.add(session, other.party, jwks, None, ADMIN, clock.now())
    console.print(
        f"keys: {SENDER} and {RECEIVER} each made their own (Ed25519 signs, X25519 receives);"
        f" each registered the other's public set ({', '.join(exported)}) as its peer"
    )
    return us, xk


def _play(
    console: Console,
    us: Deployment,
    xk: Deployment,
    clock: SetClock,
    work: Path,
    *,
    seed: int,
    count: int,
) -> None:
    people = work / "people.jsonl"
    write_people(generate_people(count, seed, on=REFERENCE_DATE), people)
    rows = read_people(people)
    with unit_of_work(us.store.sessions) as session:
        imported = import_case_files(
            session, rows, source="synthetic population", actor=SUPERVISOR, clock=clock
        )
    console.print(
        f"{SENDER}: {count} synthetic people (seed {seed}) imported by {SUPERVISOR.name}:"
        f" {imported.created} new records"
    )

    # 1. The pool: families whose every member screens eligible today, out as files.
    items = _propose(console, us, clock, seed)
    _sync(us, clock)
    _carry(console, us, xk, clock)

    # 2. The receiver's decisions, back as files, applied by the sender's own workflow; what
    # the workflow refuses is answered with a signed refusal, carried back in turn.
    _move(clock, DECIDED_ON, 10)
    _decide(console, xk, clock, items, seed)
    back = _carry(console, xk, us, clock)
    decisions = [r for _, r in back if r.kind == "decision"]
    refused = [r for r in decisions if r.detail.startswith("refused by the workflow")]
    with unit_of_work(us.store.sessions) as session:
        states = {i.id: i.state for i in repository.items(session, agreement_id=AGREEMENT)}
    tally: dict[str, int] = defaultdict(int)
    for state in states.values():
        tally[state] += 1
    console.print(
        f"{clock.now().date()} {SENDER}: its own workflow applied {RECEIVER}'s"
        f" {len(decisions)} decisions, every guard run on the day: {_tally(tally)}"
        + (
            f"; {len(refused)} refused, each answered with a signed refusal"
            if refused
            else "; none refused"
        )
    )
    if refused:
        _carry(console, us, xk, clock)

    # 3. The sender withdraws one accepted family; the withdrawal goes out as a file.
    _move(clock, WITHDRAWN_ON, 9)
    accepted = sorted(i for i, state in states.items() if state == "accepted")
    withdrawn = random.Random(seed).choice(accepted)
    with unit_of_work(us.store.sessions) as session:
        withdraw(session, withdrawn, WITHDRAWAL, OFFICER, clock)
        item = repository.get_item(session, withdrawn)
        assert item is not None
        family, now_state = item.family_id, item.state
    console.print(
        f"{clock.now().date()} {SENDER}: {OFFICER.name} withdrew {family} (item {withdrawn},"
        f" accepted by {RECEIVER}): {WITHDRAWAL}; the item is {now_state}"
    )
    _sync(us, clock)
    _carry(console, us, xk, clock)

    # 4. Each side states its ledger to the other (what changed since its last statement),
    # then each reconciles its own against the other's.
    _move(clock, STATED_ON, 9)
    queued = {side.party: _sync(side, clock) for side in (us, xk)}
    console.print(
        f"{clock.now().date()} statements: "
        + "; ".join(
            f"{party} queued {len(ids)}"
            if ids
            else f"{party} has nothing new to state (its last statement is the one its peer holds)"
            for party, ids in queued.items()
        )
    )
    _carry(console, us, xk, clock)
    _carry(console, xk, us, clock)
    _ledger(console, us, xk, clock)


def _propose(console: Console, us: Deployment, clock: SetClock, seed: int) -> list[int]:
    """A pool of families whose every member screens eligible under the agreement today (the
    screening `accord propose` runs), a few picked by the seed, within the pool limit."""
    day = clock.now().date()
    with unit_of_work(us.store.sessions) as session:
        agreement = stored_agreement(session, AGREEMENT)
        limit = proposable(session, agreement, OFFICER, day)
        given = matcher_input(session, [agreement], day)
        members: dict[str, list[bool]] = defaultdict(list)
        for result in given.results:
            members[result.family_id].append(result.eligible)
        eligible = sorted(f for f, flags in members.items() if all(flags))
        chosen: list[str] = []
        persons = 0
        for family in random.Random(seed).sample(eligible, len(eligible)):
            size = len(members[family])
            if len(chosen) < POOL_FAMILIES and persons + size <= (limit.persons or 0):
                chosen.append(family)
                persons += size
        chosen.sort()
        pool = create_pool(
            session,
            AGREEMENT,
            [PoolFamily(f, why="every member screens eligible") for f in chosen],
            OFFICER,
            clock,
            method="screening",
            pool_limit=limit.persons or 0,
        )
        by_family = {i.family_id: i.id for i in repository.items(session, proposal_id=pool.id)}
    console.print(
        f"{day} {SENDER}: {OFFICER.name} proposed pool {pool.id}: {len(chosen)} families"
        f" ({persons} people, limit {limit.persons}), chosen among the {len(eligible)} whose every"
        " member screens eligible today"
    )
    return [by_family[f] for f in chosen]


def _decide(console: Console, xk: Deployment, clock: SetClock, items: list[int], seed: int) -> None:
    """XK's reviewer accepts every family but one, which it rejects with a reason."""
    rejected = random.Random(seed + 1).choice(items)
    code, text = REJECTION
    accepted_persons, accepted, family = 0, 0, ""
    with unit_of_work(xk.store.sessions) as session:
        received = session.scalars(
            select(ReceivedItem)
            .where(ReceivedItem.agreement_id == AGREEMENT)
            .order_by(ReceivedItem.item_id)
        ).all()
        for row in received:
            if row.item_id == rejected:
                receiver.decide(
                    session,
                    xk.own,
                    row.id,
                    "reject",
                    REVIEWER,
                    clock.now(),
                    reason_code=code,
                    reason_text=text,
                )
                family = row.family_id
            else:
                receiver.decide(session, xk.own, row.id, "accept", REVIEWER, clock.now())
                accepted += 1
                accepted_persons += row.size
    console.print(
        f"{clock.now().date()} {RECEIVER}: {REVIEWER.name} accepted {accepted} families"
        f" ({accepted_persons} people), rejected {family} ({code}: {text}); each decision"
        f" recorded at {RECEIVER} and queued for {SENDER}"
    )


def _sync(side: Deployment, clock: SetClock) -> list[str]:
    """What changed, queued for the peer (as `accord exchange sync` does)."""
    return service.sync(side.store.sessions, side.own, clock.now())


def _carry(
    console: Console, source: Deployment, target: Deployment, clock: SetClock
) -> list[tuple[Path, Received]]:
    """What `source` has waiting for `target`, written as files, read by `target` in order."""
    now = clock.now()
    with unit_of_work(source.store.sessions) as session:
        about = {row.message_id: _about(row.kind, row.body) for row in channel.outbox(session)}
    files = service.export_files(source.store.sessions, source.own, target.party, target.inbox, now)
    if not files:
        return []
    results = service.import_files(target.store.sessions, target.own, files, now)
    console.print(
        f"{now.date()} {source.party} → {target.party}: {len(files)} signed, encrypted"
        f" message{'s' if len(files) != 1 else ''} written as files to"
        f" {escape(target.inbox.name)}/, each read by {target.party}:"
    )
    for path, received in results:
        what = about.get(received.message_id or "", "")
        said = (
            ""
            if received.detail == received.outcome or received.kind == "ledger.statement"
            else f": {received.detail}"
        )
        console.print(
            f"  {escape(path.name)}  {received.kind}{escape(what)} {received.outcome}"
            f"{escape(said)}",
            soft_wrap=True,
        )
    return results


def _about(kind: str, body: dict[str, Any]) -> str:
    """What a message says, in a few words, where its outcome does not tell."""
    if kind == "decision":
        reason = f" ({body['reason_code']})" if body.get("reason_code") else ""
        return f" {body['decision']} item {body['item']}{reason}"
    if kind == "ledger.statement":
        return (
            f" ({len(body['families'])} families, {body['reserved_persons']} people reserved,"
            f" {body['transferred_persons']} transferred)"
        )
    if kind == "refusal":
        return f" of the decision on item {body.get('item')}"
    return ""


def _move(clock: SetClock, day: dt.date, hour: int) -> None:
    """The clock on to `day` at `hour` (UTC): forward only."""
    clock.advance(hours=int((SetClock.on(day, hour).now() - clock.now()).total_seconds() // 3600))


def _tally(counts: dict[str, int]) -> str:
    return ", ".join(f"{state} {n}" for state, n in sorted(counts.items()))


def _ledger(console: Console, us: Deployment, xk: Deployment, clock: SetClock) -> None:
    now = clock.now()
    with unit_of_work(us.store.sessions) as session:
        at_us = reconcile.reconcile(session, SENDER, AGREEMENT, now)
        workflow = {i.id: i.state for i in repository.items(session, agreement_id=AGREEMENT)}
    with unit_of_work(xk.store.sessions) as session:
        at_xk = reconcile.reconcile(session, RECEIVER, AGREEMENT, now)
    table = Table(title=f"Reconciled ledger of {AGREEMENT} on {now.date()}")
    table.add_column("item", justify="right")
    table.add_column("family", no_wrap=True)
    table.add_column("people", justify="right")
    table.add_column(f"{SENDER} workflow")
    table.add_column(f"{SENDER} states")
    table.add_column(f"{RECEIVER} states")
    table.add_column("equal")
    gaps = {d.item: d.gap for side in (at_us, at_xk) for d in side.differences}
    ours, theirs = at_us.ours.families, at_us.theirs.families
    for item in sorted(ours.keys() | theirs.keys()):
        mine, other = ours.get(item), theirs.get(item)
        named = mine or other
        assert named is not None
        table.add_row(
            str(item),
            escape(named.family),
            str(named.persons),
            workflow.get(item, "—"),
            mine.state if mine else "—",
            other.state if other else "—",
            gaps.get(item, "yes"),
        )
    console.print(table)
    for side in (at_us, at_xk):
        console.print(
            f"{side.ours.party} reconciles its ledger against {side.theirs.party}'s statement"
            f" of {side.theirs.as_of:%Y-%m-%d}: {side.ours.party} holds"
            f" {side.ours.reserved_persons} people reserved and {side.ours.transferred_persons}"
            f" transferred; {side.theirs.party} states {side.theirs.reserved_persons} and"
            f" {side.theirs.transferred_persons}"
        )
    differences = [d for side in (at_us, at_xk) for d in side.differences]
    if at_us.equal and at_xk.equal:
        console.print("ledgers reconciled: equal")
    else:
        console.print(f"ledgers reconciled: {len(differences)} differences")
        for d in differences:
            console.print(
                f"  item {d.item} {escape(d.family)}: {d.gap}"
                f" (ours {d.ours.state if d.ours else '—'},"
                f" theirs {d.theirs.state if d.theirs else '—'})"
            )
