"""`accord demo`: the built-in scenario end to end on a fresh database."""

from __future__ import annotations

import secrets
import tempfile
import time
from pathlib import Path

import polars as pl
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from accord.access import Actor
from accord.accounts.service import bootstrap_admin
from accord.agreements import repository as agreements_repository
from accord.agreements import service as agreements_service
from accord.agreements.loader import load_registry_file
from accord.agreements.render import agreements_table, source_text
from accord.audit.service import verify
from accord.cases.cli import print_report, progress_bar
from accord.cases.reader import read_people
from accord.cases.service import stored_people
from accord.cases.writer import write_people
from accord.clock import Clock, SetClock
from accord.config import Settings
from accord.db import unit_of_work
from accord.matching.proposal import propose
from accord.matching.transparent import TransparentScorer
from accord.proposals.case_facts import import_case_files
from accord.proposals.matching_cli import report as report_proposal
from accord.proposals.screening_cli import summary_table
from accord.records.countries import country_label
from accord.reports.population import by_nationality, by_status, population_frame
from accord.scenarios import arrangements_path, workflow_agreement_path
from accord.scenarios.people import REFERENCE_DATE, generate_people
from accord.scenarios.workflow_demo import START as YEAR_START
from accord.scenarios.workflow_demo import Cast, play_year, print_year, sign_up_cast
from accord.screening.batch import screen_population
from accord.screening.single import Screen
from accord.store import Store, open_store

DEMO_ADMIN = "a.admin"
"""The demo database's first admin, who adds the accounts that play the year."""


def _members_of(cast: Cast) -> list[Actor]:
    return [cast.officer, *cast.supervisors, cast.reviewer, cast.monitor]


def frame_table(title: str, frame: pl.DataFrame) -> Table:
    table = Table(title=title)
    for column in frame.columns:
        table.add_column(
            column.replace("_", " "),
            justify="right" if frame[column].dtype.is_numeric() else "left",
        )
    for row in frame.iter_rows():
        table.add_row(*(f"{v:,}" if isinstance(v, int) else escape(str(v)) for v in row))
    return table


def labelled(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """The frame with a column of country codes shown by name beside the code, to be read."""
    return frame.with_columns(pl.Series(column, [country_label(c) for c in frame[column]]))


def publish_year(
    store: Store, clock: Clock, officer: Actor, folder: Path, console: Console
) -> None:
    """The demo year's transparency report, quarter by quarter, written to `folder`: each
    quarter's suppression checked against the quarters published before it."""
    from accord.transparency.model import Quarter
    from accord.transparency.service import publish

    threshold = store.settings.report_threshold
    for number in (1, 2, 3, 4):
        quarter = Quarter(YEAR_START.year, number)
        with unit_of_work(store.sessions) as session:
            done = publish(session, quarter, officer, clock, threshold=threshold)
        target = folder / str(quarter)
        target.mkdir(parents=True, exist_ok=True)
        for name, data in {**done.files, "manifest.json": done.manifest}.items():
            (target / name).write_bytes(data)
        console.print(
            f"transparency report {quarter}: {done.release.primary} small counts suppressed,"
            f" {done.release.secondary} more so none can be recovered; manifest sha256"
            f" {done.manifest_sha256[:16]}…"
        )
    console.print(f"the demo year's published transparency report: {escape(str(folder))}")


def run_demo(console: Console, *, db: str | None, count: int, seed: int, report_dir: Path) -> None:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="accord-demo-") as workdir:
        url = db or f"sqlite:///{Path(workdir) / 'accord-demo.db'}"
        console.rule("[bold]Accord demo")
        console.print(f"database: {escape(url)}")
        store = open_store(Settings(database_url=url))
        try:
            clock = SetClock.on(YEAR_START)
            with unit_of_work(store.sessions) as session:
                bootstrap_admin(session, DEMO_ADMIN, secrets.token_urlsafe(18), clock)
            cast = sign_up_cast(store.sessions, clock, by=DEMO_ADMIN)
            supervisor = cast.supervisors[0]
            console.print(
                f"accounts: {DEMO_ADMIN} (admin) added "
                + ", ".join(f"{a.name} ({a.role})" for a in _members_of(cast))
                + "; each act below is one of theirs"
            )
            with unit_of_work(store.sessions) as session:
                registry = load_registry_file(
                    arrangements_path(), agreements_repository.party_codes(session)
                )
                agreements_service.load(
                    session,
                    registry,
                    supervisor.name,
                    role=supervisor.role,
                    party=supervisor.party,
                )
            console.print(
                f"loaded {len(registry.agreements)} reported arrangements from the built-in scenario"
            )

            people_file = Path(workdir) / "people.jsonl"
            with progress_bar() as bar:
                task = bar.add_task("generating synthetic people", total=None)
                write_people(generate_people(count, seed, on=REFERENCE_DATE), people_file)
                bar.update(task, total=1, completed=1)
            rows = read_people(people_file)
            with progress_bar() as bar, unit_of_work(store.sessions) as session:
                task = bar.add_task("importing", total=len(rows))
                report = import_case_files(
                    session,
                    rows,
                    source="synthetic population",
                    actor=supervisor,
                    clock=clock,
                    progress=lambda n: bar.advance(task, n),
                )
            print_report(report, notes=3)

            with unit_of_work(store.sessions) as session:
                agreements = [
                    agreements_service.to_schema(a)
                    for a in agreements_repository.list_agreements(session)
                ]
                records = stored_people(session)
                frame = population_frame(records)

            console.print(agreements_table(agreements))
            sources = Table(title="Sources of each status (as reported)")
            sources.add_column("agreement")
            sources.add_column("status")
            sources.add_column("source")
            for agreement in agreements:
                last = agreement.status_history[-1]
                sources.add_row(
                    agreement.id,
                    agreement.status.value.replace("_", " "),
                    escape(source_text(last.source, agreement.sources)),
                )
            console.print(sources)
            console.print(
                frame_table(
                    f"Synthetic population: {frame.height:,} people,"
                    f" {frame['family_id'].n_unique():,} families (top nationalities)",
                    labelled(by_nationality(frame), "nationality"),
                )
            )
            console.print(
                frame_table("By status in the sender and removal order", by_status(frame))
            )
            with progress_bar() as bar:
                task = bar.add_task("screening every person against every agreement", total=None)
                results = screen_population(
                    records, [Screen.of(a) for a in agreements], REFERENCE_DATE
                )
                bar.update(task, total=1, completed=1)
            console.print(
                summary_table(
                    results,
                    f"Screening on {REFERENCE_DATE}: safeguards first, then each receiver's criteria",
                    rules=None,
                )
            )
            in_force = [a for a in agreements if a.status == "in_force"]
            with progress_bar() as bar:
                task = bar.add_task("proposing pools for the agreements in force", total=None)
                proposal = propose(
                    in_force, records, results, REFERENCE_DATE, TransparentScorer(), time_limit=20
                )
                bar.update(task, total=1, completed=1)
            report_proposal(proposal, None)
            for pool in proposal.pools[:1]:
                for family in pool.families[:3]:
                    console.print(
                        f"  {pool.agreement_id} {family.family_id} ({family.size}):"
                        f" {escape(family.why)}",
                        soft_wrap=True,
                    )
            with unit_of_work(store.sessions) as session:
                registry = load_registry_file(
                    workflow_agreement_path(), agreements_repository.party_codes(session)
                )
                agreements_service.load(
                    session,
                    registry,
                    supervisor.name,
                    role=supervisor.role,
                    party=supervisor.party,
                )
            with progress_bar() as bar:
                task = bar.add_task("playing a year of the workflow", total=None)
                year = play_year(store.sessions, clock, seed=seed, cast=cast)
                bar.update(task, total=1, completed=1)
            print_year(year, console)
            publish_year(store, clock, cast.officer, report_dir, console)
            with unit_of_work(store.sessions) as session:
                audit = verify(session)
            state = (
                "intact"
                if audit.ok
                else f"BROKEN at row {audit.broken.seq if audit.broken else '?'}"
            )
            console.print(f"audit chain {state}: {audit.events:,} events")
        finally:
            store.close()
    console.print(
        f"done in {time.perf_counter() - started:.1f} s. Next, on your own database:"
        " `accord users bootstrap` (the first admin) and `accord login`, then"
        " `accord agreements load`, `accord people import` and"
        " `accord agreements show us-xk-2025`."
    )
