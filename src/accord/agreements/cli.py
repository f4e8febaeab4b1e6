"""`accord agreements …`: load, list, show and move agreements through their lifecycle."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from accord.agreements import repository, service
from accord.agreements.lifecycle import Status
from accord.agreements.loader import load_registry_file
from accord.agreements.render import agreement_view, agreements_table
from accord.agreements.schemas import SourceIn
from accord.cli_support import DbOption, actor, new_app, out, store_for
from accord.db import unit_of_work
from accord.errors import InvalidInput, NotFound, Problem

app = new_app("The agreement registry: agreements, their status, caps and sources.")


@app.command("load")
def load_command(
    file: Annotated[Path, typer.Argument(help="An agreements YAML file (DESIGN §7).")],
    db: DbOption = None,
) -> None:
    """Validate FILE and create or update its parties and agreements (nothing written on error)."""
    with store_for(db) as store, unit_of_work(store.sessions) as session:
        registry = load_registry_file(file, repository.party_codes(session))
        report = service.load(session, registry, actor())
    out.print(
        f"{file}: {len(report.created)} agreements created, {len(report.updated)} updated,"
        f" {len(report.unchanged)} unchanged; {len(report.parties_created)} parties created"
    )


@app.command("list")
def list_command(
    status: Annotated[Status | None, typer.Option(help="Only agreements with this status.")] = None,
    db: DbOption = None,
) -> None:
    """Every agreement with its status, the date of its last move and its caps."""
    with store_for(db) as store, unit_of_work(store.sessions) as session:
        agreements = [
            service.to_schema(a)
            for a in repository.list_agreements(session, status=status.value if status else None)
        ]
    out.print(agreements_table(agreements))


@app.command("show")
def show_command(
    agreement_id: Annotated[str, typer.Argument(metavar="ID")], db: DbOption = None
) -> None:
    """One agreement: its status timeline with sources, caps, checklist and criteria."""
    with store_for(db) as store, unit_of_work(store.sessions) as session:
        agreement = repository.get_agreement(session, agreement_id)
        if agreement is None:
            raise NotFound(f"no agreement {agreement_id!r}")
        names = {p.code: p.name for p in repository.list_parties(session)}
        view = agreement_view(service.to_schema(agreement), names)
    out.print(view)


@app.command("status")
def status_command(
    agreement_id: Annotated[str, typer.Argument(metavar="ID")],
    new: Annotated[Status, typer.Argument(metavar="NEW", help="The new status.")],
    source: Annotated[
        str,
        typer.Option(
            help="Key of the source reporting the move (existing, or new with --publisher)."
        ),
    ],
    date: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Date of the move (default today)."),
    ] = None,
    publisher: Annotated[str | None, typer.Option(help="Publisher of a new source.")] = None,
    statement: Annotated[str | None, typer.Option(help="What the new source reports.")] = None,
    url: Annotated[str | None, typer.Option(help="Where the new source can be read.")] = None,
    note: Annotated[str | None, typer.Option(help="A note on the move.")] = None,
    db: DbOption = None,
) -> None:
    """Move an agreement to NEW: only legal lifecycle moves, each with its source."""
    day = date.date() if date else dt.date.today()
    new_source = None
    if publisher or statement:
        if not (publisher and statement):
            raise InvalidInput(
                "--publisher/--statement",
                [
                    Problem(
                        "--publisher/--statement",
                        "a new source needs both a publisher and a statement",
                    )
                ],
            )
        new_source = SourceIn(publisher=publisher, statement=statement, date=day, url=url)
    with store_for(db) as store, unit_of_work(store.sessions) as session:
        agreement = service.change_status(
            session,
            agreement_id,
            new,
            date=day,
            actor=actor(),
            source_key=source,
            new_source=new_source,
            note=note,
        )
    out.print(f"{agreement.id}: now {agreement.status} since {day.isoformat()} (source {source})")
