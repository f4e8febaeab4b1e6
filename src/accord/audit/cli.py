"""`accord audit …`: verify the chain and read the log."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from accord.audit import views
from accord.audit.service import verify
from accord.cli_support import err, new_app, out, signed_in
from accord.db import unit_of_work

app = new_app("The audit log: append-only and hash-chained.")


@app.command("verify")
def verify_command() -> None:
    """Recompute the whole chain; report the first broken link (exit code 1) or the head hash.

    A supervisor or an admin."""
    with signed_in("audit.verify") as who, unit_of_work(who.store.sessions) as session:
        result = verify(session)
    if result.broken is not None:
        err.print(
            f"[bold red]broken[/] at row {result.broken.seq}: {escape(result.broken.problem)}"
            f" ({result.events:,} rows read)"
        )
        raise typer.Exit(1)
    out.print(f"audit chain intact: {result.events:,} events, head {result.head_hash}")


@app.command("log")
def log_command(
    entity: Annotated[str | None, typer.Option(help="Only events about this record id.")] = None,
    action: Annotated[
        str | None, typer.Option(help="Only this action, e.g. agreement.status_changed.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
) -> None:
    """The newest audit events, newest first.

    A supervisor or an admin."""
    with signed_in("audit.list") as who, unit_of_work(who.store.sessions) as session:
        search = views.EventSearch(action=action, entity_id=entity)
        events = views.events_page(session, search, limit=limit, offset=0).items
        table = Table(title="Audit log")
        for column in ("seq", "at (UTC)", "actor", "action", "record", "data"):
            table.add_column(column)
        for event in events:
            table.add_row(
                str(event.seq),
                event.at.strftime("%Y-%m-%d %H:%M:%S"),
                event.actor,
                event.action,
                f"{event.entity_type} {escape(event.entity_id)}",
                escape(json.dumps(event.data, sort_keys=True)),
            )
    out.print(table)
