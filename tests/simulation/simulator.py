"""The adversarial simulator: random steps by users of every role, each through the real
services in its own transaction (as a command or request makes it), on a real SQLite database
built by the real migrations; after each step the oracle judges what was written.

A step is plain data (when, which command, on which family, agreement or person, by whom), so a
run is a list of steps on a seeded world and any finding can be replayed on a fresh database
and shrunk to the few steps that produce it.
"""

from __future__ import annotations

import copy
import datetime as dt
import inspect
import json
import random
import shutil
import sqlite3
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import text
from sqlalchemy.orm import Session

from accord.access import Actor
from accord.agreements.loader import parse_registry
from accord.agreements.service import change_status, load
from accord.cases.reader import read_people
from accord.clock import SetClock
from accord.config import Settings
from accord.db import unit_of_work
from accord.errors import AccordError
from accord.monitoring import service as monitoring
from accord.proposals import case_facts, fear_claims, movement, notices, pools, service
from accord.proposals.pools import PoolFamily, propose_pool
from accord.records.agreement import SourceIn, Status
from accord.store import Store, open_store
from accord.workflow.audience import Audience
from tests.simulation import world as synthetic
from tests.simulation.oracle import Oracle, Violation
from tests.simulation.world import LAST, START, Record, User, World
from tests.support import approve_notice_templates

USERS = synthetic.roster()
BY_NAME = {u.name: u for u in USERS}
HOLDING = ("accepted", "notified", "fear_claimed", "reopening", "cleared", "scheduled")
OPEN = ("proposed", *HOLDING)
ONWARD = ("returned_home", "remained", "moved_on", "absconded", "re_transferred")
AFTER = ("transferred", *ONWARD, "closed")
SOURCES: dict[str, tuple[str, ...]] = {
    "accept": ("proposed",),
    "reject": ("proposed",),
    "revoke": ("accepted", "notified", "reopening", "cleared", "scheduled"),
    "notice": HOLDING,
    "claim_fear": HOLDING,
    "interview": ("fear_claimed",),
    "decide_fear": ("fear_claimed",),
    "clear": ("notified", "reopening"),
    "schedule": ("cleared",),
    "transfer": ("scheduled",),
    "onward": ("transferred",),
    "check_in": AFTER,
    "close": ONWARD,
    "withdraw": OPEN,
    "import": ("notified", "reopening", "cleared", "scheduled"),
    "raw_move": OPEN,
}
"""The item states each command is meant for; the chooser mostly aims there, and not always."""
RAW_ACTIONS = (
    "accept",
    "reject",
    "revoke",
    "notify",
    "claim_fear",
    "fear_positive",
    "fear_negative",
    "clear",
    "schedule",
    "transfer",
    "onward_remained",
    "close",
    "cancel",
    "propose",
)
"""Moves of the table asked for directly through `move`, without the service that wraps them
(no notice recorded, no claim, no date): the same guards must hold."""
WEIGHTS = {
    "propose": 7.0,
    "match": 0.15,
    "accept": 8.0,
    "reject": 1.0,
    "revoke": 0.8,
    "notice": 14.0,
    "claim_fear": 1.5,
    "interview": 2.0,
    "decide_fear": 2.5,
    "clear": 7.0,
    "schedule": 6.0,
    "transfer": 6.0,
    "onward": 2.0,
    "check_in": 1.0,
    "close": 0.6,
    "withdraw": 0.8,
    "raw_move": 1.5,
    "case_change": 1.2,
    "incident": 0.3,
    "lift": 0.6,
    "status": 0.6,
    "reload": 0.4,
    "import": 5.0,
    "lift_fact": 1.0,
    "assess": 0.6,
    "clock_forward": 7.0,
    "clock_back": 0.6,
}
COMMANDS = tuple(WEIGHTS)
STATUSES = tuple(s.value for s in Status)


@dataclass(frozen=True, slots=True)
class Step:
    """One thing a user (or the clock, or the case system) does, at one moment."""

    n: int
    at: dt.datetime
    command: str
    args: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        args = dict(self.args)
        who = args.pop("actor", None)
        args.pop("registry", None)
        if self.command == "import":
            records = args.pop("records")
            args["records"] = [_brief(r) for r in records]
        shown = ", ".join(f"{k}={v}" for k, v in args.items())
        by = f" by {who}" if who else ""
        return f"#{self.n} {self.at:%Y-%m-%d %H:%M} {self.command}({shown}){by}"


def _brief(record: Record) -> str:
    facts = [k for k in synthetic.PROTECTIVE_KEYS if record.get(k)]
    facts += ["unfit"] if record.get("medical_fit") is False else []
    extra = {
        "nat": record.get("nationalities"),
        "lang": record.get("languages"),
        "counsel": bool(record.get("counsel")),
    }
    detail = {k: record[k] for k in ("protection", "fear_claims", "assessments") if record.get(k)}
    return f"{record['case_id']}@{record['family_id']} {facts} {extra} {detail or ''}".strip()


def actor(user: User) -> Actor:
    return Actor(user.name, user.role, user.party)  # type: ignore[arg-type]


def accepted(function: Callable[..., Any], **options: Any) -> dict[str, Any]:
    """The keyword options `function` takes, of those given: the services gain parameters (a
    role, a party) while the simulation runs against them, and it passes them when they do."""
    names = inspect.signature(function).parameters
    return {key: value for key, value in options.items() if key in names}


def import_file(session: Session, path: Path, who: Actor, at: dt.datetime) -> None:
    """A case file through the one way a command imports it: the workflow's import, which
    judges the open items of the families it changed again."""
    case_facts.import_case_files(
        session, read_people(path), source=path.name, actor=who, clock=SetClock(at)
    )


# --- The database ----------------------------------------------------------------------------


def scratch() -> Path:
    """A directory for the simulation's databases: in memory when the machine has /dev/shm."""
    shm = Path("/dev/shm")
    return Path(tempfile.mkdtemp(prefix="accord-sim-", dir=shm if shm.is_dir() else None))


def migrated_template(directory: Path) -> Path:
    """A SQLite file brought to the newest revision by the real migrations, the shipped notice
    templates approved (but the Arabic one, left a draft) as a deployment's supervisor would:
    a notice is served only from an approved template."""
    path = directory / "template.db"
    store = open_store(Settings(database_url=f"sqlite:///{path}"))
    try:
        approve_notice_templates(store, keep_drafts=frozenset({"ar"}))
    finally:
        store.close()
    return path


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


def prepare(world: World, template: Path, path: Path) -> None:
    """The world's first day on a copy of the template: its agreements loaded and its people
    imported (by a supervisor) through the real loaders, then the file closed (so that it can
    be copied whole)."""
    shutil.copyfile(template, path)
    store = open_store(Settings(database_url=_url(path), auto_migrate=False))
    try:
        registry = parse_registry(yaml.safe_dump(world.registry()), "world.yaml")
        loader = BY_NAME["supervisor.any"]
        with unit_of_work(store.sessions) as session:
            load(session, registry, loader.name, **accepted(load, role=loader.role))
        people = path.with_suffix(".jsonl")
        _write(people, list(world.people.values()))
        with unit_of_work(store.sessions) as session:
            import_file(session, people, actor(loader), SetClock.on(START).now())
    finally:
        store.close()


def _write(path: Path, records: Sequence[Record]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


# --- One world, stepped ----------------------------------------------------------------------


class Run:
    """A world on its own database: applies steps through the services and lets the oracle
    judge each one."""

    def __init__(self, world: World, prepared: Path, path: Path) -> None:
        shutil.copyfile(prepared, path)
        self.path = path
        self.world = copy.deepcopy(world)
        self.store: Store = open_store(Settings(database_url=_url(path), auto_migrate=False))
        self.clock = SetClock.on(START)
        self.oracle = Oracle(
            str(path), {u.name: (u.role, u.party) for u in USERS}, world.agreements
        )
        self.oracle.now = self.clock.now()
        self.oracle.imported(self.world.people.values(), "supervisor.any", START)
        self.oracle.observe(0, START)
        self.view = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        self.last_error: str = ""
        self._step = 0

    def close(self) -> None:
        self.view.close()
        self.oracle.close()
        self.store.close()

    # --- what the chooser reads ---------------------------------------------------------------

    def items(self) -> list[tuple[int, str, str, str]]:
        """Every item: id, agreement, family, state."""
        return self.view.execute(
            "SELECT id, agreement_id, family_id, state FROM proposal_items ORDER BY id"
        ).fetchall()

    def stored(self, case_id: str) -> Record | None:
        """A person's record as the store holds it (what a user sees on the case page)."""
        row = self.view.execute("SELECT record FROM people WHERE case_id = ?", (case_id,))
        found = row.fetchone()
        return json.loads(found[0]) if found else None

    def statuses(self) -> dict[str, str]:
        return dict(self.view.execute("SELECT id, status FROM agreements ORDER BY id").fetchall())

    def pending_claims(self, item: int) -> list[str]:
        rows = self.view.execute(
            "SELECT case_id FROM fear_claims WHERE item_id = ? AND outcome = 'pending'", (item,)
        )
        return [r[0] for r in rows]

    # --- applying a step -----------------------------------------------------------------------

    def step(self, step: Step) -> tuple[str, list[Violation]]:
        """Run the step in its own transaction. Returns `applied`, `repeated` (a retry that
        wrote nothing), `refused` (a domain error), `crashed` (any other error: a bug, not a
        refusal) or `skipped` (nothing to act on), and what the oracle found."""
        self._step = step.n
        self.clock.at = self.oracle.now = step.at
        if step.command.startswith("clock"):  # the step is its new time: nothing to write
            return "applied", self.oracle.observe(step.n, step.at.date())
        handler: Callable[[Session, dict[str, Any]], Any] = getattr(self, f"_{step.command}")
        after: Callable[[], None] | None = None
        try:
            with unit_of_work(self.store.sessions) as session:
                outcome, after = handler(session, step.args) or ("applied", None)
        except _Skip:
            outcome = "skipped"
        except AccordError as exc:
            outcome, self.last_error = "refused", f"{type(exc).__name__}: {exc.detail}"
        except Exception as exc:
            outcome, self.last_error = "crashed", f"{type(exc).__name__}: {exc}"
        if outcome in ("applied", "repeated") and after is not None:
            after()
        return outcome, self.oracle.observe(step.n, step.at.date())

    def _item(self, session: Session, args: dict[str, Any]) -> int:
        found = session.execute(
            text(
                "SELECT id FROM proposal_items WHERE family_id = :f AND agreement_id = :a"
                " ORDER BY id DESC LIMIT 1"
            ),
            {"f": args["family"], "a": args["agreement"]},
        ).scalar()
        if found is None:
            raise _Skip
        return int(found)

    @staticmethod
    def _who(args: dict[str, Any]) -> Actor:
        return actor(BY_NAME[args["actor"]])

    @staticmethod
    def _moved(moved: Any) -> tuple[str, None]:
        return ("repeated" if getattr(moved, "repeated", False) else "applied"), None

    # Each handler runs inside the step's unit of work; it returns the outcome and, for acts the
    # oracle must hear of, what to tell it once the transaction has committed.

    def _propose(self, session: Session, args: dict[str, Any]) -> None:
        pools.create_pool(
            session,
            args["agreement"],
            [PoolFamily(f) for f in args["families"]],
            self._who(args),
            self.clock,
            method="screening",
            pool_limit=args["limit"],
        )

    def _match(self, session: Session, args: dict[str, Any]) -> None:
        propose_pool(session, args["agreement"], self._who(args), self.clock, time_limit=2.0)

    def _accept(self, session: Session, args: dict[str, Any]) -> tuple[str, None]:
        item = self._item(session, args)
        return self._moved(service.move(session, item, "accept", self._who(args), self.clock))

    def _reject(self, session: Session, args: dict[str, Any]) -> tuple[str, None]:
        item = self._item(session, args)
        moved = service.move(
            session,
            item,
            "reject",
            self._who(args),
            self.clock,
            reason_code=args["code"],
            reason_text="not selected under the receiver's criteria",
        )
        return self._moved(moved)

    def _revoke(self, session: Session, args: dict[str, Any]) -> tuple[str, None]:
        item = self._item(session, args)
        moved = service.move(
            session,
            item,
            "revoke",
            self._who(args),
            self.clock,
            reason_code=args["code"],
            reason_text="the receiver withdrew its acceptance",
        )
        return self._moved(moved)

    def _notice(self, session: Session, args: dict[str, Any]) -> tuple[str, Callable[[], None]]:
        """Serve notice, from the template in `language`, read by an interpreter in `read_in`
        when the step names one. A notice in a language the person does not understand, or
        with no approved template, is refused (a Conflict, nothing written), as any other
        refused move is: the oracle hears only of notices that went through."""
        item = self._item(session, args)
        notices.record_notice(
            session,
            item,
            args["case"],
            args["recipient"],
            args["language"],
            args["signed"],
            self._who(args),
            self.clock,
            interpreter=args.get("interpreter"),
            read_in=args.get("read_in"),
        )

        def tell() -> None:
            self.oracle.noticed(
                self._step,
                self.clock.now().date(),
                item,
                args["case"],
                args["recipient"],
                args["language"],
                args["signed"],
                read_in=args.get("read_in") if args.get("interpreter") else None,
            )

        return "applied", tell

    def _claim_fear(self, session: Session, args: dict[str, Any]) -> tuple[str, None]:
        item = self._item(session, args)
        return self._moved(
            fear_claims.claim_fear(session, item, args["case"], self._who(args), self.clock)
        )

    def _interview(self, session: Session, args: dict[str, Any]) -> None:
        item = self._item(session, args)
        at = dt.datetime.fromisoformat(args["at"])
        fear_claims.schedule_interview(
            session, item, at, self._who(args), self.clock, case_id=args["case"]
        )

    def _decide_fear(self, session: Session, args: dict[str, Any]) -> tuple[str, None]:
        item = self._item(session, args)
        moved = fear_claims.decide_fear(
            session, item, args["outcome"], self._who(args), self.clock, case_id=args["case"]
        )
        return self._moved(moved)

    def _clear(self, session: Session, args: dict[str, Any]) -> tuple[str, None]:
        item = self._item(session, args)
        moved = movement.clear(
            session, item, self._who(args), self.clock, medical_confirmed=args["medical"]
        )
        return self._moved(moved)

    def _schedule(self, session: Session, args: dict[str, Any]) -> tuple[str, None]:
        item = self._item(session, args)
        on = dt.date.fromisoformat(args["on"])
        return self._moved(movement.schedule(session, item, on, self._who(args), self.clock))

    def _transfer(self, session: Session, args: dict[str, Any]) -> tuple[str, None]:
        item = self._item(session, args)
        return self._moved(movement.confirm_arrival(session, item, self._who(args), self.clock))

    def _onward(self, session: Session, args: dict[str, Any]) -> tuple[str, None]:
        item = self._item(session, args)
        moved = movement.record_onward(
            session, item, args["outcome"], self._who(args), self.clock, detail="reported"
        )
        return self._moved(moved)

    def _check_in(self, session: Session, args: dict[str, Any]) -> None:
        item = self._item(session, args)
        monitoring.record_check_in(
            session,
            item,
            args["days"],
            "seen",
            self._who(args),
            self.clock,
            audience=Audience.SENDER,
        )

    def _close(self, session: Session, args: dict[str, Any]) -> tuple[str, None]:
        item = self._item(session, args)
        return self._moved(service.move(session, item, "close", self._who(args), self.clock))

    def _raw_move(self, session: Session, args: dict[str, Any]) -> tuple[str, None]:
        item = self._item(session, args)
        moved = service.move(
            session,
            item,
            args["action"],
            self._who(args),
            self.clock,
            reason_code=args["code"],
            reason_text="asked for directly",
            medical_confirmed=args["medical"],
        )
        return self._moved(moved)

    def _withdraw(self, session: Session, args: dict[str, Any]) -> tuple[str, None]:
        item = self._item(session, args)
        moved = service.withdraw(session, item, "the sender withdraws", self._who(args), self.clock)
        return self._moved(moved)

    def _case_change(
        self, session: Session, args: dict[str, Any]
    ) -> tuple[str, Callable[[], None]]:
        case_facts.record_case_change(
            session,
            args["case"],
            args["change"],
            self._who(args),
            self.clock,
            against=args.get("against"),
        )
        return "applied", lambda: self.oracle.case_changed(
            args["case"], args["change"], args.get("against")
        )

    def _incident(self, session: Session, args: dict[str, Any]) -> tuple[str, Callable[[], None]]:
        monitoring.report_incident(
            session,
            args["agreement"],
            args["kind"],
            "reported",
            self._who(args),
            self.clock,
            audience=Audience.SENDER,
        )
        return "applied", lambda: self.oracle.incident(args["agreement"], args["kind"])

    def _lift(self, session: Session, args: dict[str, Any]) -> tuple[str, Callable[[], None]]:
        monitoring.lift_suspension(
            session, args["agreement"], args["reason"], self._who(args), self.clock
        )
        day = self.clock.now().date()
        step = self._step
        return "applied", lambda: self.oracle.lifted(step, day, args["agreement"], args["actor"])

    def _status(self, session: Session, args: dict[str, Any]) -> tuple[str, Callable[[], None]]:
        day = self.clock.now().date()
        who = BY_NAME[args["actor"]]
        change_status(
            session,
            args["agreement"],
            Status(args["status"]),
            date=day,
            actor=args["actor"],
            source_key=args["source"],
            new_source=SourceIn(publisher="simulation", date=day, statement="a status change"),
            **accepted(
                change_status,
                role=who.role,
                party=who.party,
                note="recorded by the simulation, with the reason it was given",
            ),
        )
        step = self._step
        return "applied", lambda: self.oracle.status_changed(
            step, day, args["agreement"], args["status"], args["actor"]
        )

    def _reload(self, session: Session, args: dict[str, Any]) -> tuple[str, Callable[[], None]]:
        """The registry file loaded again, with the agreement's timeline as recorded and one new
        status event: a status change through the other door."""
        who = BY_NAME[args["actor"]]
        registry = parse_registry(yaml.safe_dump(args["registry"]), "registry.yaml")
        load(session, registry, who.name, **accepted(load, role=who.role, party=who.party))
        step, day = self._step, self.clock.now().date()
        return "applied", lambda: self.oracle.status_changed(
            step, day, args["agreement"], args["status"], args["actor"]
        )

    def timeline(self, agreement: str) -> tuple[list[Record], dict[str, Record]]:
        """An agreement's status events and sources as the registry holds them now."""
        events = [
            {"status": status, "date": day, "precision": precision}
            | ({"source": source} if source else {})
            | ({"note": note} if note else {})
            for status, day, precision, source, note in self.view.execute(
                "SELECT status, date, date_precision, source_key, note"
                " FROM agreement_status_events WHERE agreement_id = ? ORDER BY position",
                (agreement,),
            )
        ]
        sources = {
            key: {"publisher": publisher, "statement": statement, "precision": precision}
            | ({"date": day} if day else {})
            | ({"url": url} if url else {})
            for key, publisher, day, precision, statement, url in self.view.execute(
                'SELECT "key", publisher, date, date_precision, statement, url'
                " FROM agreement_sources WHERE agreement_id = ?",
                (agreement,),
            )
        }
        return events, sources

    def _import(self, session: Session, args: dict[str, Any]) -> tuple[str, Callable[[], None]]:
        path = self.path.with_suffix(".import.jsonl")
        _write(path, args["records"])
        import_file(session, path, self._who(args), self.clock.now())
        day = self.clock.now().date()

        def tell() -> None:
            self.world.apply(args["records"])
            self.oracle.imported(args["records"], args["actor"], day)

        return "applied", tell

    def _lift_fact(self, session: Session, args: dict[str, Any]) -> tuple[str, Callable[[], None]]:
        case_facts.lift_fact(
            session,
            args["case"],
            args["fact"],
            args["reason"],
            self._who(args),
            self.clock,
            detail=args["detail"],
        )
        step, day = self._step, self.clock.now().date()
        return "applied", lambda: self.oracle.lifted_fact(
            step, day, args["case"], args["fact"], args["detail"], args["actor"]
        )

    def _assess(self, session: Session, args: dict[str, Any]) -> tuple[str, Callable[[], None]]:
        case_facts.assess(session, args["case"], "S8", args["reason"], self._who(args), self.clock)
        step, day = self._step, self.clock.now().date()
        return "applied", lambda: self.oracle.assessed(step, day, args["case"], args["actor"])


class _Skip(Exception):
    """The step names an item that does not exist (in a replay of a part of a run)."""


# --- Choosing steps --------------------------------------------------------------------------


def likely(record: Record, spec: Record, today: dt.date) -> bool:
    """Whether a person fits an agreement's terms at a glance (scope, status, removal order),
    whatever their protective facts: the chooser's aim, to tempt the safeguards with families
    that only a safeguard should stop; not a judgment (the oracle judges, from its own model)."""
    nationalities = set(record.get("nationalities", []))
    scope = spec.get("nationality_scope") or {}
    removal = record.get("removal_order", {}).get("status") == "final"
    born = dt.date.fromisoformat(record["birth_date"])
    adult = (today - born).days >= 18 * 366 or record["relationship"] != "child"
    return (
        record["sender_status"] in ("none", "visa")
        and spec["sender"] not in nationalities
        and (removal or spec["kind"] in ("resettlement", "relocation"))
        and bool(nationalities)
        and (not scope.get("include") or bool(nationalities & set(scope["include"])))
        and not nationalities & set(scope.get("exclude", []))
        and (spec["kind"] != "third_country_transfer" or spec["receiver"] not in nationalities)
        and (spec["kind"] != "own_nationals_return" or spec["receiver"] in nationalities)
        and (adult or record["relationship"] == "child")
    )


class Chooser:
    """Picks the next step at random: mostly a command aimed at an item it applies to, by a
    user who may make it; often not (any item, any user of any role and party)."""

    def __init__(self, rng: random.Random, run: Run) -> None:
        self.rng = rng
        self.run = run
        self.now = SetClock.on(START).now()
        self.count = 0
        self.agreements = {a["id"]: a for a in run.world.agreements}

    def next(self) -> Step:
        while True:
            command = self.rng.choices(COMMANDS, weights=tuple(WEIGHTS.values()))[0]
            args = getattr(self, f"_{command}")()
            if args is not None:
                self.count += 1
                return Step(self.count, self.now, command, args)

    # --- whom ---------------------------------------------------------------------------------

    def _user(self, agreement: str, who: str) -> str:
        """A user of the right kind for the agreement seven times in ten; else a near miss
        (the right party in another role, or the right role for another party), or anyone."""
        spec = self.agreements[agreement]
        sender, receiver = spec["sender"].lower(), spec["receiver"].lower()
        monitors = [f"monitor.{m.lower()}" for m in spec["monitors"]]
        right = {
            "sender": [
                f"officer.{sender}",
                f"supervisor.{sender}",
                "officer.any",
                "supervisor.any",
            ],
            "supervisor": [f"supervisor.{sender}", "supervisor.any"],
            "receiver": [f"reviewer.{receiver}"],
            "monitor": monitors,
        }[who]
        other = "gb" if sender == "us" else "us"
        near = {
            "sender": [
                f"reviewer.{receiver}",
                f"officer.{other}",
                f"supervisor.{other}",
                "admin.us",
            ],
            "supervisor": [
                f"officer.{sender}",
                "officer.any",
                f"supervisor.{other}",
                "supervisor.xk",
            ],
            "receiver": [f"supervisor.{sender}", f"officer.{sender}", "reviewer.none", *monitors]
            + [u.name for u in USERS if u.role == "reviewer" and u.party != spec["receiver"]],
            "monitor": [f"reviewer.{receiver}", "monitor.xk", f"officer.{sender}"],
        }[who]
        roll = self.rng.random()
        if roll < 0.7:
            return self.rng.choice(right)
        if roll < 0.85:
            return self.rng.choice(near)
        return self.rng.choice(USERS).name

    def _target(self, command: str) -> tuple[int, str, str, str] | None:
        """An item the command applies to, most of the time; now and then any item. With no
        item to aim at, the command is mostly passed over for another."""
        items = self.run.items()
        aimed = [i for i in items if i[3] in SOURCES[command]]
        if not items or (not aimed and self.rng.random() < 0.8):
            return None
        return self.rng.choice(aimed if aimed and self.rng.random() < 0.85 else items)

    def _on_item(self, command: str, who: str, **extra: Any) -> dict[str, Any] | None:
        target = self._target(command)
        if target is None:
            return None
        _, agreement, family, _ = target
        return {
            "family": family,
            "agreement": agreement,
            "actor": self._user(agreement, who),
        } | extra

    # --- the commands ---------------------------------------------------------------------------

    def _agreement(self) -> str:
        """An agreement in force or suspended four times in five, when there is one; else any."""
        live = [a for a, s in self.run.statuses().items() if s in ("in_force", "suspended")]
        if live and self.rng.random() < 0.8:
            return self.rng.choice(live)
        return self.rng.choice(sorted(self.agreements))

    def _propose(self) -> dict[str, Any] | None:
        agreement = self._agreement()
        families = self.run.world.families()
        busy = {i[2] for i in self.run.items() if i[3] in OPEN or i[3] in AFTER}
        free = sorted(set(families) - busy)
        if self.rng.random() < 0.7:  # families that look eligible, as an officer would pick
            spec = self.agreements[agreement]
            free = [f for f in free if all(likely(r, spec, self.now.date()) for r in families[f])]
        pool = free if free and self.rng.random() < 0.9 else sorted(families)
        chosen = self.rng.sample(pool, min(len(pool), self.rng.choice((1, 1, 1, 2, 3))))
        size = sum(len(families[f]) for f in chosen)
        limit = size if self.rng.random() < 0.9 else max(0, size - 1)
        return {
            "agreement": agreement,
            "families": chosen,
            "limit": limit,
            "actor": self._user(agreement, "sender"),
        }

    def _match(self) -> dict[str, Any] | None:
        agreement = self._agreement()
        return {"agreement": agreement, "actor": self._user(agreement, "sender")}

    def _accept(self) -> dict[str, Any] | None:
        return self._on_item("accept", "receiver")

    def _reject(self) -> dict[str, Any] | None:
        return self._on_item("reject", "receiver", code=self.rng.choice(("criteria", "other", "x")))

    def _revoke(self) -> dict[str, Any] | None:
        return self._on_item("revoke", "receiver", code="public_order")

    def _notice(self) -> dict[str, Any] | None:
        args = self._on_item("notice", "sender")
        if args is None:
            return None
        members = self.run.world.families().get(args["family"])
        if not members:
            return None
        person = self.rng.choice(members)
        counsel = person.get("counsel") is not None and self.rng.random() < 0.4
        understood = person.get("languages") or ["en"]
        language = (
            self.rng.choice(understood)
            if self.rng.random() < 0.85
            else self.rng.choice(synthetic.ALL_LANGUAGES)
        )
        chosen = {
            "case": person["case_id"],
            "recipient": "counsel" if counsel else "person",
            "language": language,
            "signed": self.rng.random() < 0.9,
        }
        if not counsel and self.rng.random() < 0.15:
            # the English template read by an interpreter, mostly in a language understood
            chosen |= {"language": "en", "interpreter": "K. Haddad", "read_in": language}
        return args | chosen

    def _member(self, family: str) -> str | None:
        members = self.run.world.families().get(family)
        return self.rng.choice(members)["case_id"] if members else None

    def _claim_fear(self) -> dict[str, Any] | None:
        args = self._on_item("claim_fear", "sender")
        if args is None or (case := self._member(args["family"])) is None:
            return None
        return args | {"case": case}

    def _pending(self, args: dict[str, Any]) -> str | None:
        items = [i for i in self.run.items() if i[1:3] == (args["agreement"], args["family"])]
        pending = self.run.pending_claims(items[-1][0]) if items else []
        if pending and self.rng.random() < 0.75:
            return self.rng.choice(pending)
        return None

    def _interview(self) -> dict[str, Any] | None:
        args = self._on_item("interview", "sender")
        if args is None:
            return None
        hours = 72 if self.rng.random() < 0.7 else self.rng.randint(0, 120)
        at = self.now + dt.timedelta(hours=hours)
        return args | {"at": at.isoformat(), "case": self._pending(args)}

    def _decide_fear(self) -> dict[str, Any] | None:
        args = self._on_item("decide_fear", "sender")
        if args is None:
            return None
        outcome = "positive" if self.rng.random() < 0.35 else "negative"
        return args | {"outcome": outcome, "case": self._pending(args)}

    def _clear(self) -> dict[str, Any] | None:
        return self._on_item("clear", "supervisor", medical=self.rng.random() < 0.95)

    def _schedule(self) -> dict[str, Any] | None:
        on = self.now.date() + dt.timedelta(days=self.rng.choice((0, 0, 0, 1, 2, 5, 0, -1)))
        return self._on_item("schedule", "sender", on=on.isoformat())

    def _transfer(self) -> dict[str, Any] | None:
        return self._on_item("transfer", "receiver")

    def _onward(self) -> dict[str, Any] | None:
        return self._on_item("onward", "receiver", outcome=self.rng.choice(ONWARD))

    def _check_in(self) -> dict[str, Any] | None:
        who = self.rng.choice(("monitor", "receiver", "sender"))
        return self._on_item("check_in", who, days=self.rng.choice((30, 90, 180, 45)))

    def _close(self) -> dict[str, Any] | None:
        return self._on_item("close", "sender")

    def _raw_move(self) -> dict[str, Any] | None:
        action = self.rng.choice(RAW_ACTIONS)
        who = "receiver" if action in ("accept", "reject", "revoke", "transfer") else "sender"
        who = "supervisor" if action == "clear" else who
        code = self.rng.choice(("withdrawal", "criteria", "stay"))
        return self._on_item("raw_move", who, action=action, code=code, medical=True)

    def _withdraw(self) -> dict[str, Any] | None:
        return self._on_item("withdraw", "sender")

    def _case_change(self) -> dict[str, Any] | None:
        target = self._target("withdraw")
        family = target[2] if target else self.rng.choice(sorted(self.run.world.families()))
        case = self._member(family)
        if case is None:
            return None
        agreement = target[1] if target else self.rng.choice(sorted(self.agreements))
        change = self.rng.choice(("stay", "new_claim", "appeal"))
        against = self.rng.choice((*synthetic.RECEIVERS, *synthetic.ORIGINS, None))
        return {
            "case": case,
            "change": change,
            "against": against if change == "new_claim" else None,
            "actor": self._user(agreement, "sender"),
        }

    def _incident(self) -> dict[str, Any] | None:
        agreement = self.rng.choice(sorted(self.agreements))
        kind = self.rng.choice(("onward_removal", "ill_treatment", "other"))
        who = self.rng.choice(("monitor", "monitor", "sender", "receiver"))
        return {"agreement": agreement, "kind": kind, "actor": self._user(agreement, who)}

    def _lift(self) -> dict[str, Any] | None:
        agreement = self.rng.choice(sorted(self.agreements))
        reason = (
            "the monitor's visit found the matter resolved" if self.rng.random() < 0.9 else "ok"
        )
        return {
            "agreement": agreement,
            "reason": reason,
            "actor": self._user(agreement, "supervisor"),
        }

    def _status(self) -> dict[str, Any] | None:
        """Mostly the moves that matter: out of a suspension, into one; else any status."""
        statuses = self.run.statuses()
        agreement = self._agreement()
        current = statuses.get(agreement)
        if current == "suspended" and self.rng.random() < 0.7:
            status = "in_force"
        elif current == "in_force" and self.rng.random() < 0.5:
            status = "suspended"
        else:
            status = self.rng.choice(STATUSES)
        return {
            "agreement": agreement,
            "status": status,
            "source": f"sim-{self.count + 1}",
            "actor": self._user(agreement, "supervisor"),
        }

    def _reload(self) -> dict[str, Any] | None:
        args = self._status()
        if args is None:
            return None
        events, sources = self.run.timeline(args["agreement"])
        spec = copy.deepcopy(self.agreements[args["agreement"]])
        day = self.now.date().isoformat()
        events.append({"status": args["status"], "date": day, "source": "synthetic"})
        spec |= {"status": args["status"], "status_history": events, "sources": sources}
        registry = {"parties": self.run.world.registry()["parties"], "agreements": [spec]}
        return args | {"registry": registry}

    def _import(self) -> dict[str, Any] | None:
        """A changed case file, most often about a family in an open item."""
        target = self._target("import")
        family = target[2] if target and self.rng.random() < 0.6 else None
        kind, records = synthetic.change(self.rng, self.run.world, self.now.date(), family)
        if not records:
            return None
        sender = self.rng.choice(synthetic.SENDERS).lower()
        staff = (f"officer.{sender}", f"supervisor.{sender}", "officer.any", "supervisor.any")
        who = self.rng.choice(staff if self.rng.random() < 0.85 else USERS)
        name = who if isinstance(who, str) else who.name
        return {"change": kind, "records": records, "actor": name}

    def _person(self) -> Record:
        """A person of a family in an open item, most of the time; else anyone."""
        target = self._target("withdraw")
        families = self.run.world.families()
        family = target[2] if target and target[2] in families else None
        members = families[family] if family else list(self.run.world.people.values())
        return self.rng.choice(members)

    def _lift_fact(self) -> dict[str, Any] | None:
        """A supervisor (or not) ends a fact the stored record holds, most of the time."""
        person = self._person()
        stored = self.run.stored(person["case_id"]) or person
        held: list[tuple[str, str | None]] = [
            (fact, None)
            for fact, key in (
                ("stay", "stay_of_removal"),
                ("appeal", "appeal_pending"),
                ("age_dispute", "age_disputed"),
            )
            if stored.get(key)
        ]
        held += [("unfit", None)] if stored.get("medical_fit") is not True else []
        held += [("vulnerability", v) for v in stored.get("vulnerabilities", [])]
        held += [("protection", p["against"]) for p in stored.get("protection", [])]
        held += [("fear_claim", c["country"]) for c in stored.get("fear_claims", [])]
        if held and self.rng.random() < 0.85:
            fact, detail = self.rng.choice(held)
        else:
            fact = self.rng.choice(
                ("stay", "appeal", "protection", "fear_claim", "vulnerability", "age_dispute")
            )
            detail = (
                self.rng.choice(synthetic.RECEIVERS)
                if fact in ("protection", "fear_claim")
                else None
            )
            detail = (
                self.rng.choice(synthetic.VULNERABILITIES) if fact == "vulnerability" else detail
            )
        sender = self.rng.choice(synthetic.SENDERS).lower()
        who = f"supervisor.{sender}" if self.rng.random() < 0.6 else self.rng.choice(USERS).name
        reason = "the court order ending it was received" if self.rng.random() < 0.9 else "done"
        return {"case": person["case_id"], "fact": fact, "detail": detail, "reason": reason} | {
            "actor": who
        }

    def _assess(self) -> dict[str, Any] | None:
        vulnerable = [p for p in self.run.world.people.values() if p.get("vulnerabilities")]
        person = (
            self.rng.choice(vulnerable)
            if vulnerable and self.rng.random() < 0.8
            else self._person()
        )
        sender = self.rng.choice(synthetic.SENDERS).lower()
        who = f"supervisor.{sender}" if self.rng.random() < 0.6 else self.rng.choice(USERS).name
        reason = (
            "seen in person; the move does not endanger them" if self.rng.random() < 0.9 else "ok"
        )
        return {"case": person["case_id"], "reason": reason, "actor": who}

    def _clock_forward(self) -> dict[str, Any] | None:
        roll = self.rng.random()
        if roll < 0.4:
            step = dt.timedelta(hours=self.rng.randint(3, 30))
        elif roll < 0.85:
            step = dt.timedelta(days=self.rng.randint(1, 2))
        else:
            step = dt.timedelta(days=self.rng.randint(5, 12))
        if (self.now + step).date() > LAST:
            return None
        self.now += step
        return {"by": str(step)}

    def _clock_back(self) -> dict[str, Any] | None:
        days = self.rng.randint(1, 5) if self.rng.random() < 0.8 else self.rng.randint(6, 20)
        step = dt.timedelta(days=days, hours=self.rng.choice((0, 0, 5)))
        if (self.now - step).date() < START:
            return None
        self.now -= step
        return {"by": f"-{step}"}


# --- Running, replaying and shrinking --------------------------------------------------------


@dataclass
class Finding:
    """The first violation of one rule, with what it takes to replay it."""

    violation: Violation
    seed: str
    steps: list[Step]
    shrunk: list[Step] | None = None


@dataclass
class Summary:
    moves: int = 0
    seconds: float = 0.0
    worlds: int = 0
    attempted: Counter[str] = field(default_factory=Counter)
    applied: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    crashed: Counter[str] = field(default_factory=Counter)
    crashes: dict[str, str] = field(default_factory=dict)
    violations: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(rule, move) -> how many."""
    unlawful_steps: int = 0
    """Steps after which the oracle found at least one violation."""
    examples: dict[tuple[str, str], list[Violation]] = field(default_factory=dict)
    findings: dict[str, Finding] = field(default_factory=dict)

    def merge(self, other: Summary) -> None:
        self.moves += other.moves
        self.worlds += other.worlds
        self.seconds = max(self.seconds, other.seconds)
        for mine, theirs in (
            (self.attempted, other.attempted),
            (self.applied, other.applied),
            (self.refused, other.refused),
            (self.crashed, other.crashed),
            (self.violations, other.violations),
        ):
            mine.update(theirs)
        self.unlawful_steps += other.unlawful_steps
        for key, message in other.crashes.items():
            self.crashes.setdefault(key, message)
        for key, found in other.examples.items():
            examples = self.examples.setdefault(key, [])
            examples.extend(found[: max(0, 3 - len(examples))])
        for rule, finding in other.findings.items():
            mine_ = self.findings.get(rule)
            if mine_ is None or len(finding.shrunk or finding.steps) < len(
                mine_.shrunk or mine_.steps
            ):
                self.findings[rule] = finding

    @property
    def total_violations(self) -> int:
        return sum(self.violations.values())


@contextmanager
def workspace(directory: Path | None = None) -> Iterator[tuple[Path, Path]]:
    """A scratch directory with a migrated template, removed afterwards unless given."""
    own = directory is None
    where = directory or scratch()
    try:
        template = where / "template.db"
        if not template.exists():
            migrated_template(where)
        yield where, template
    finally:
        if own:
            shutil.rmtree(where, ignore_errors=True)


def simulate(
    moves: int,
    seed: int | str,
    *,
    directory: Path,
    template: Path,
    world_steps: int = 1500,
    progress: Callable[[Summary], None] | None = None,
) -> Summary:
    """Run `moves` steps over as many seeded worlds as it takes, each world for `world_steps`
    steps (or until its clock runs out)."""
    summary = Summary()
    started = time.perf_counter()
    epoch = 0
    while summary.moves < moves:
        world_seed = f"{seed}/{epoch}"
        world = World.make(world_seed)
        prepared = directory / "world.db"
        prepare(world, template, prepared)
        run = Run(world, prepared, directory / "run.db")
        chooser = Chooser(random.Random(f"steps:{world_seed}"), run)
        steps: list[Step] = []
        try:
            for _ in range(min(world_steps, moves - summary.moves)):
                step = chooser.next()
                steps.append(step)
                outcome, found = run.step(step)
                _count(summary, step, outcome, found, run.last_error)
                if outcome == "crashed" and "crash" not in summary.findings:
                    crash = _crash(step, run.last_error)
                    summary.findings["crash"] = Finding(crash, world_seed, list(steps))
                for violation in found:
                    if violation.rule not in summary.findings:
                        summary.findings[violation.rule] = Finding(
                            violation, world_seed, list(steps)
                        )
                if progress and summary.moves % 1000 == 0:
                    summary.seconds = time.perf_counter() - started
                    progress(summary)
                if chooser.now.date() >= LAST:
                    break
        finally:
            run.close()
        summary.worlds += 1
        epoch += 1
    summary.seconds = time.perf_counter() - started
    return summary


def _count(summary: Summary, step: Step, outcome: str, found: list[Violation], error: str) -> None:
    summary.moves += 1
    summary.attempted[step.command] += 1
    if outcome in ("applied", "repeated"):
        summary.applied[step.command] += 1
    elif outcome == "crashed":
        summary.crashed[step.command] += 1
        summary.crashes.setdefault(step.command, error)
    else:
        summary.refused[step.command] += 1
    if found:
        summary.unlawful_steps += 1
    for violation in found:
        key = (violation.rule, violation.move)
        summary.violations[key] += 1
        examples = summary.examples.setdefault(key, [])
        if len(examples) < 3:
            examples.append(violation)


def replay(seed: str, steps: Sequence[Step], *, directory: Path, template: Path) -> list[Violation]:
    """The steps on a fresh copy of the seeded world; every violation the oracle finds, and
    every crash (as a violation of the rule `crash`)."""
    world = World.make(seed)
    prepared = directory / f"replay-{abs(hash(seed))}.db"
    if not prepared.exists():
        prepare(world, template, prepared)
    run = Run(world, prepared, directory / "replay.db")
    found: list[Violation] = []
    try:
        for step in steps:
            outcome, violations = run.step(step)
            found += violations
            if outcome == "crashed":
                found.append(_crash(step, run.last_error))
    finally:
        run.close()
    return found


def _crash(step: Step, error: str) -> Violation:
    """A service failing with an error that is not a refusal, as a finding to replay."""
    return Violation(
        step.n,
        "crash",
        step.command,
        step.at.date(),
        None,
        step.args.get("family"),
        None,
        error.split("\n")[0]
        + (" " + error.split("\n")[2].strip() if error.count("\n") > 1 else ""),
    )


def related(steps: Sequence[Step], violation: Violation) -> list[Step]:
    """The steps that can bear on a violation: those on its family (and on any family a person
    moved between with it), and on its agreement when the rule reads the agreement or its
    quota."""
    families = {violation.family} if violation.family else set()
    if violation.rule == "crash":
        crashed = next((s for s in steps if s.n == violation.step), None)
        case = crashed.args.get("case") if crashed else None
        families |= {case.rsplit("-", 1)[0]} if case else set()
        families |= set(crashed.args.get("families", [])) if crashed else set()
    for _ in range(3):
        for step in steps:
            if step.command == "import":
                touched = {r["family_id"] for r in step.args["records"]}
                touched |= {r["case_id"].rsplit("-", 1)[0] for r in step.args["records"]}
                if touched & families:
                    families |= touched
    whole_agreement = violation.rule in ("S12", "S13", "R") and violation.family is None
    whole_agreement |= violation.rule == "S13"
    chosen = []
    for step in steps:
        args = step.args
        mine = args.get("family") in families or bool(set(args.get("families", [])) & families)
        if step.command in ("case_change", "lift_fact", "assess"):
            mine = args["case"].rsplit("-", 1)[0] in families
        if step.command == "import":
            mine = any(
                r["family_id"] in families or r["case_id"].rsplit("-", 1)[0] in families
                for r in args["records"]
            )
        on_agreement = args.get("agreement") == violation.agreement
        if step.command in ("status", "reload", "incident", "lift", "match") and on_agreement:
            mine = True
        if whole_agreement and on_agreement:
            mine = True
        if mine or step.n == violation.step:
            chosen.append(step)
    return chosen


def _as_pool(step: Step, violation: Violation) -> Step:
    """The matcher's step that proposed the family, as an officer's pool of that family."""
    if step.command != "match" or step.n != violation.step or violation.family is None:
        return step
    args = {"agreement": step.args["agreement"], "families": [violation.family], "limit": 99}
    return Step(step.n, step.at, "propose", args | {"actor": step.args["actor"]})


def shrink(
    finding: Finding, *, directory: Path, template: Path, budget: int = 150
) -> list[Step] | None:
    """The fewest steps (a 1-minimal subsequence, by delta debugging) that still make the
    oracle find a violation of the same rule for the same family (or agreement)."""
    target = finding.violation
    calls = 0

    def fails(candidate: Sequence[Step]) -> bool:
        nonlocal calls
        calls += 1
        return any(
            v.rule == target.rule
            and v.family == target.family
            and v.agreement == target.agreement
            and (v.rule != "crash" or v.detail.split(":")[0] == target.detail.split(":")[0])
            for v in replay(finding.seed, candidate, directory=directory, template=template)
        )

    steps = related(finding.steps, target)
    if not fails(steps):  # the matcher chose the family: ask for it by name instead
        steps = [_as_pool(step, target) for step in steps]
        if not fails(steps):
            steps = finding.steps
            if len(steps) > 400 or not fails(steps):
                return None
    chunks = 2
    while len(steps) >= 2 and calls < budget:
        size = max(1, len(steps) // chunks)
        parts = [steps[i : i + size] for i in range(0, len(steps), size)]
        reduced = False
        for index in range(len(parts)):
            complement = [s for j, part in enumerate(parts) if j != index for s in part]
            if calls < budget and fails(complement):
                steps, chunks, reduced = complement, max(chunks - 1, 2), True
                break
        if not reduced:
            if chunks >= len(steps):
                break
            chunks = min(len(steps), chunks * 2)
    return steps


def render(summary: Summary, *, title: str = "adversarial simulation") -> str:
    """The run in plain text: speed, what each command did, and every kind of violation with
    an example and, when shrunk, the steps that replay it."""
    rate = summary.moves / summary.seconds if summary.seconds else 0.0
    lines = [
        f"{title}: {summary.moves:,} moves over {summary.worlds} worlds in"
        f" {summary.seconds:,.0f} s ({rate:,.0f} moves/s)",
        "",
        f"{'command':<14}{'attempted':>10}{'applied':>10}{'refused':>10}{'crashed':>9}",
    ]
    for command in COMMANDS:
        if summary.attempted[command]:
            lines.append(
                f"{command:<14}{summary.attempted[command]:>10,}{summary.applied[command]:>10,}"
                f"{summary.refused[command]:>10,}{summary.crashed[command]:>9,}"
            )
    for command, message in sorted(summary.crashes.items()):
        lines.append(f"  crash in {command}: {message}")
    lines += [
        "",
        f"unlawful moves: {summary.total_violations:,} violations after"
        f" {summary.unlawful_steps:,} steps (target: 0)",
    ]
    for (rule, move), count in sorted(summary.violations.items()):
        lines.append(
            f"  {rule:<4} at {move:<12}{count:>8,}   e.g. {summary.examples[(rule, move)][0]}"
        )
    for rule, finding in sorted(summary.findings.items()):
        steps = finding.shrunk
        lines += ["", f"{rule}: {finding.violation}", f"  world {finding.seed!r}"]
        family = finding.violation.family
        if family is not None:
            start = World.make(finding.seed).families().get(family, [])
            lines += [f"  at the start: {_brief(record)}" for record in start]
        lines.append("  replay:")
        if steps is None:
            lines.append(f"  (not shrunk: the first {len(finding.steps)} steps of the world)")
            steps = related(finding.steps, finding.violation)[-25:]
        lines += [f"    {step.describe()}" for step in steps]
    return "\n".join(lines)
