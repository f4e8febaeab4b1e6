"""`accord retention …`: the retention schedule, what it would remove today, and removing it."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from accord.cli_support import forget_erased, new_app, out, signed_in
from accord.db import unit_of_work
from accord.operations import retention
from accord.proposals.erasure import RULE

app = new_app("The retention schedule: personal data goes when its purpose ends.")


@app.command("run")
def run_command(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what is due; remove nothing.")
    ] = False,
) -> None:
    """Remove what the schedule says is due today: erase the people whose time is up (each
    audited as `person.erased`, ground retention), and delete old sign-in attempts, their
    audit values, expired sessions and old kept answers. Run it daily (docs/operations.md).
    A supervisor of the sender."""
    with signed_in(RULE) as who:
        schedule = retention.Schedule.of(who.store.settings)
        table = Table(title="Retention schedule")
        table.add_column("kind")
        table.add_column("kept for")
        for kind, kept_for in schedule.lines():
            table.add_row(kind, kept_for)
        out.print(table)
        with unit_of_work(who.store.sessions) as session:
            if dry_run:
                due = retention.due(session, schedule, who.clock.now())
                kept: list[str] = []
            else:
                due, kept = retention.apply(session, schedule, who.actor, who.clock)
        if not dry_run:
            forget_erased(who.store.engine)
    verb = "due" if dry_run else "removed"
    out.print(f"{verb}: " + ", ".join(f"{n:,} {kind}" for kind, n in due.counts().items()))
    for case_id in due.people[:20]:
        out.print(f"  {escape(case_id)}")
    if len(due.people) > 20:
        out.print(f"  … and {len(due.people) - 20:,} more")
    for why in kept:
        out.print(f"kept: {escape(why)}")
