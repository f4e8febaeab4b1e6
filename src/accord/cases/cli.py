"""`accord people …`: import people files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from accord.cases.reader import read_people
from accord.cases.service import ImportReport
from accord.cli_support import DbOption, err, new_app, out, signed_in
from accord.db import unit_of_work
from accord.proposals.case_facts import import_case_files

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
    if report.kept:
        out.print(
            f"{len(report.kept):,} protective facts kept that the file leaves out (a file never"
            " removes one; a supervisor ends it with `accord case lift`):"
        )
        for kept in report.kept[:notes]:
            out.print(f"  {escape(kept.case_id)}: {escape(kept.fact)}")
        if len(report.kept) > notes:
            out.print(f"  ... and {len(report.kept) - notes:,} more")
    if report.rechecked:
        out.print(f"{len(report.rechecked):,} open items of changed families judged again:")
        for line in report.rechecked:
            out.print(f"  {escape(line)}")


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="People as .jsonl, .parquet or .csv (DESIGN §7).")],
    db: DbOption = None,
) -> None:
    """Import FILE: all or nothing; re-importing the same file changes nothing.

    The open items of the families it changes are judged again. An officer or supervisor of
    the sender (a supervisor for a file with S8 assessments)."""
    with signed_in(db, "people.import") as who:
        rows = read_people(file)
        with progress_bar() as bar, unit_of_work(who.store.sessions) as session:
            task = bar.add_task("importing", total=len(rows))
            report = import_case_files(
                session,
                rows,
                source=str(file),
                actor=who.actor,
                clock=who.clock,
                progress=lambda n: bar.advance(task, n),
            )
    print_report(report)
