"""`accord people …`: import people files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from accord.cases.reader import read_people
from accord.cases.service import ImportReport, import_people
from accord.cli_support import DbOption, actor, err, new_app, out, store_for
from accord.clock import clock_for
from accord.db import unit_of_work

app = new_app("People and their cases.")


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


def print_report(report: ImportReport, notes: int = 10) -> None:
    out.print(
        f"{escape(report.source)}: {report.created:,} people created, {report.updated:,} updated,"
        f" {report.unchanged:,} unchanged, in {report.families:,} families"
    )
    if report.notes:
        out.print(f"{len(report.notes):,} families have members in different states:")
        for finding in report.notes[:notes]:
            out.print(f"  family {finding.family_id}: {escape(finding.message)}")
        if len(report.notes) > notes:
            out.print(f"  ... and {len(report.notes) - notes:,} more")


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="People as .jsonl, .parquet or .csv (DESIGN §7).")],
    db: DbOption = None,
) -> None:
    """Import FILE: all or nothing; re-importing the same file changes nothing."""
    rows = read_people(file)
    with store_for(db) as store, progress_bar() as bar, unit_of_work(store.sessions) as session:
        task = bar.add_task("importing", total=len(rows))
        report = import_people(
            session,
            rows,
            source=str(file),
            actor=actor(),
            role="officer",
            progress=lambda n: bar.advance(task, n),
            at=clock_for(store.settings.now).now(),
        )
    print_report(report)
