"""`accord agreements …`: load, list, show and move agreements through their lifecycle."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from accord.access import acts_for_sender, may_see
from accord.agreements import repository, service
from accord.agreements.render import agreement_view, agreements_table
from accord.cli_support import (
    DAY_FORMATS,
    DayOption,
    acting,
    command_clock,
    new_app,
    out,
    signed_in,
)
from accord.clock import today
from accord.db import unit_of_work
from accord.errors import Forbidden, InvalidInput, NotFound, Problem
from accord.records.agreement import SourceIn, Status

app = new_app("The agreement registry: agreements, their status, caps and sources.")


@app.command("load")
def load_command(
    file: Annotated[Path, typer.Argument(help="An agreements YAML file (DESIGN §7).")],
) -> None:
    """Validate FILE and create or update its parties and agreements (nothing written on error).

    A supervisor."""
    from accord.agreements.loader import load_registry_file  # compiles criteria: Polars

    with signed_in("agreements.load") as who, unit_of_work(who.store.sessions) as session:
        registry = load_registry_file(file, repository.party_codes(session))
        report = service.load(
            session, registry, who.name, role=who.principal.role, party=who.principal.party
        )
    out.print(
        f"{file}: {len(report.created)} agreements created, {len(report.updated)} updated,"
        f" {len(report.unchanged)} unchanged; {len(report.parties_created)} parties created"
    )


@app.command("list")
def list_command(
    status: Annotated[Status | None, typer.Option(help="Only agreements with this status.")] = None,
) -> None:
    """Every agreement with its status, the date of its last move and its caps.

    Only the agreements the signed-in account may see."""
    with signed_in("agreements.list") as who, unit_of_work(who.store.sessions) as session:
        agreements = [
            agreement
            for agreement in (
                service.to_schema(a)
                for a in repository.list_agreements(
                    session, status=status.value if status else None
                )
            )
            if may_see(who.principal.role, who.principal.party, agreement)
        ]
    out.print(agreements_table(agreements))


@app.command("show")
def show_command(
    agreement_id: Annotated[str, typer.Argument(metavar="ID")],
) -> None:
    """One agreement: its status timeline with sources, caps, checklist and criteria."""
    with signed_in("agreements.get") as who, unit_of_work(who.store.sessions) as session:
        agreement = repository.get_agreement(session, agreement_id)
        shown = service.to_schema(agreement) if agreement is not None else None
        if shown is None or not may_see(who.principal.role, who.principal.party, shown):
            raise NotFound(f"no agreement {agreement_id!r}")  # its existence is not told
        names = {p.code: p.name for p in repository.list_parties(session)}
        view = agreement_view(shown, names)
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
        typer.Option(formats=DAY_FORMATS, help="Date of the move (default today)."),
    ] = None,
    publisher: Annotated[str | None, typer.Option(help="Publisher of a new source.")] = None,
    statement: Annotated[str | None, typer.Option(help="What the new source reports.")] = None,
    url: Annotated[str | None, typer.Option(help="Where the new source can be read.")] = None,
    note: Annotated[str | None, typer.Option(help="A note on the move.")] = None,
) -> None:
    """Move an agreement to NEW: only legal lifecycle moves, each with its source.

    A supervisor of the agreement's sender."""
    day = date.date() if date else today(command_clock())
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
    with signed_in("agreements.status") as who, unit_of_work(who.store.sessions) as session:
        found = repository.get_agreement(session, agreement_id)
        if found is None:
            raise NotFound(f"no agreement {agreement_id!r}")
        if not acts_for_sender(who.principal.role, who.principal.party, service.to_schema(found)):
            raise Forbidden(f"{who.name} does not act for the sender of {agreement_id}")
        agreement = service.change_status(
            session,
            agreement_id,
            new,
            date=day,
            actor=who.name,
            role=who.principal.role,
            party=who.principal.party,
            source_key=source,
            new_source=new_source,
            note=note,
        )
    out.print(f"{agreement.id}: now {agreement.status} since {day.isoformat()} (source {source})")


ledger_app = new_app("The quota ledger (S13): what each cap holds and every row.")


@ledger_app.command("show")
def ledger_show(
    agreement: Annotated[str, typer.Argument(metavar="AGREEMENT")],
    at: DayOption = None,
    rows: Annotated[bool, typer.Option(help="List every ledger row.")] = True,
) -> None:
    """Per cap: limit, held (reserved + used in the period), left and the period; the rows.

    The sender's staff and the receiver's reviewer."""
    # Here, not at the top: the ledger's views reach the matcher (NumPy, SciPy, HiGHS), which
    # the other agreements commands never need.
    from accord.proposals import views
    from accord.proposals.render import caps_table, ledger_rows_table, ledger_totals

    with acting("agreements.ledger") as (session, clock, who):
        day = at.date() if at else today(clock)
        view = views.ledger_view(session, agreement, day, who)
    out.print(caps_table(view))
    out.print(ledger_totals(view))
    if rows:
        out.print(ledger_rows_table(view))
