"""`accord serve --demo`: the web app on a demo database stopped in the middle of a year.

The database holds what `accord demo` loads (the reported arrangements, a synthetic
population, the synthetic agreement `demo-xk-year`) and the workflow year played up to the
day before `DEMO_DAY`. The server's clock stands on that day, so there is history to browse
(pools, decisions, transfers, check-ins, an incident lifted) and still room to work: the
agreement is in force, places are left under its cap, and families can be proposed. One user
per role signs in with a password made up at seeding time.

The clock stands still at 09:00 that day: sessions never idle out, and failed sign-ins keep
counting against the rate limits for as long as the server runs.
"""

from __future__ import annotations

import datetime as dt
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

from accord.accounts.service import add_user
from accord.agreements import repository as agreements_repository
from accord.agreements import service as agreements_service
from accord.agreements.loader import load_registry_file
from accord.agreements.service import stored_agreement
from accord.cases.reader import read_people
from accord.cases.service import import_people
from accord.cases.writer import write_people
from accord.clock import Clock, SetClock, today
from accord.config import Settings
from accord.db import unit_of_work
from accord.errors import Conflict
from accord.proposals import repository as proposals_repository
from accord.records.countries import country_label
from accord.scenarios import arrangements_path, workflow_agreement_path
from accord.scenarios.people import REFERENCE_DATE, generate_people
from accord.scenarios.workflow_demo import AGREEMENT, START, play_year
from accord.store import open_store
from accord.workflow.guards import agreement_open
from accord.workflow.quota import held
from accord.workflow.transitions import Role

DEMO_DAY = dt.date(2026, 7, 7)
"""The server's day, the Tuesday after the suspension was lifted. Behind it: the January and
April pools with their decisions, notices, fear claims, clearances and transfers, onward
outcomes, 30- and 90-day check-ins, the monitor's incident (15 June) that suspended the
agreement, the round refused while it was suspended, and the lifting (6 July). Ahead of it:
the July round has not been played, so the places released since April (5 with the default
population) are free: an officer can propose a pool (7 families) and the XK reviewer accept
some until the cap refuses. Later days leave one place at most (the July round takes them)."""
DEMO_HOUR = 9
DEMO_PEOPLE = 2_000
"""Enough families for every round of the year, small enough to seed in seconds."""
DEMO_SEED = 1
DEMO_ACTOR = "demo"


@dataclass(frozen=True, slots=True)
class DemoLogin:
    """A demo user and the password made up for it (shown once, when the server starts)."""

    username: str
    role: Role
    party: str | None
    password: str


DEMO_USERS: tuple[tuple[str, Role, str | None], ...] = (
    ("admin", "admin", None),
    ("officer.us", "officer", "US"),
    ("supervisor.us", "supervisor", "US"),
    ("reviewer.xk", "reviewer", "XK"),
    ("reviewer.sv", "reviewer", "SV"),
    ("monitor.xk", "monitor", "MON-XK"),
)
"""One user per role. The second reviewer acts for El Salvador: it shows that a receiver sees
only the pools proposed to its own state (none of demo-xk-year's)."""


def demo_clock() -> SetClock:
    """The clock the demo server runs on: the morning of `DEMO_DAY`."""
    return SetClock.on(DEMO_DAY, DEMO_HOUR)


def seed_demo_server(
    settings: Settings,
    clock: Clock,
    *,
    people: int = DEMO_PEOPLE,
    seed: int = DEMO_SEED,
) -> list[DemoLogin]:
    """Seed a fresh database for a server whose clock is `clock`: the demo's data, the workflow
    year played to the day before the clock's day, and one user per role (`DEMO_USERS`).

    Refuses (Conflict) when the year leaves no room to propose on that day, so a change to
    the story cannot silently give a demo where nothing can be done.
    """
    day = today(clock)
    store = open_store(settings)
    try:
        with unit_of_work(store.sessions) as session:
            for path in (arrangements_path(), workflow_agreement_path()):
                registry = load_registry_file(path, agreements_repository.party_codes(session))
                agreements_service.load(session, registry, DEMO_ACTOR)
        with tempfile.TemporaryDirectory(prefix="accord-serve-demo-") as workdir:
            people_file = Path(workdir) / "people.jsonl"
            write_people(generate_people(people, seed, on=REFERENCE_DATE), people_file)
            rows = read_people(people_file)
        with unit_of_work(store.sessions) as session:
            import_people(
                session,
                rows,
                source="synthetic population",
                actor=DEMO_ACTOR,
                role="supervisor",
                at=SetClock.on(START).now(),
            )
        play_year(store.sessions, SetClock.on(START), seed=seed, until=day - dt.timedelta(days=1))
        with unit_of_work(store.sessions) as session:
            problems = demo_day_problems(session, day)
            if problems:
                raise Conflict(
                    f"the demo year leaves nothing to do on {day}: {'; '.join(problems)}"
                )
            logins = [
                DemoLogin(username, role, party, secrets.token_urlsafe(12))
                for username, role, party in DEMO_USERS
            ]
            for login in logins:
                add_user(
                    session,
                    login.username,
                    login.password,
                    login.role,
                    login.party,
                    clock,
                    actor=DEMO_ACTOR,
                )
    finally:
        store.close()
    return logins


def demo_day_problems(session: Session, day: dt.date) -> list[str]:
    """Why an officer could not propose a pool under the demo agreement on `day` (empty when
    one can): the agreement must be open (in force, not suspended, within its term: S12) and
    each per-period cap must have places left."""
    agreement = stored_agreement(session, AGREEMENT)
    problems = [
        f"S12: {reason}"
        for reason in agreement_open(
            agreement, day, proposals_repository.suspensions(session, AGREEMENT)
        )
    ]
    for cap in held(agreement, proposals_repository.ledger(session, AGREEMENT), day):
        if cap.period is not None and cap.left == 0:
            problems.append(f"no places left under the {cap.cap.kind} cap of {cap.cap.limit}")
    return problems


def logins_table(logins: list[DemoLogin], url: str) -> Table:
    """The logins as the server prints them on start."""
    table = Table(title=f"Demo logins for {url}")
    for column in ("username", "role", "party", "password"):
        table.add_column(column)
    for login in logins:
        table.add_row(
            escape(login.username),
            login.role,
            escape(country_label(login.party) if login.party else "-"),
            escape(login.password),
        )
    return table


def serve_demo(console: Console, *, db: str | None, host: str, port: int) -> None:
    """Seed a demo database (a temporary SQLite file unless `db` is given), print the logins
    and serve the web app on it, the clock standing on `DEMO_DAY`, until interrupted."""
    import uvicorn

    from accord.web.app import create_app, freeze_startup_heap
    from accord.web.security import SERVER_OPTIONS

    clock = demo_clock()
    with tempfile.TemporaryDirectory(prefix="accord-serve-") as workdir:
        url = db or f"sqlite:///{Path(workdir) / 'accord-demo.db'}"
        settings = Settings(database_url=url)
        console.print(f"seeding the demo database {escape(url)} (the server stands on {DEMO_DAY})")
        logins = seed_demo_server(settings, clock)
        address = f"http://{host}:{port}/"
        console.print(logins_table(logins, address))
        console.print(
            f"Accord on {address} (API at {address}api/v1, its document at"
            f" {address}api/v1/openapi.json);"
            " the passwords are new each start. Ctrl-C stops it."
        )
        application = create_app(settings, clock=clock)
        freeze_startup_heap()
        uvicorn.run(application, host=host, port=port, log_level="warning", **SERVER_OPTIONS)
