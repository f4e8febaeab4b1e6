"""`accord templates …`: the notice templates, and a supervisor's approval of one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from accord.cli_support import acting, new_app, out

app = new_app(
    "Notice templates, one per language and version: drafts until a supervisor approves one."
)


@app.command("list")
def list_command() -> None:
    """Every template: language, version, status, who approved it and when, and its SHA-256."""
    from rich.table import Table

    from accord.documents import service

    table = Table("language", "version", "status", "approved by", "on", "sha256")
    with acting("templates.list") as (session, clock, who):
        for row in service.list_templates(session, who, clock):
            table.add_row(
                row.language,
                str(row.version),
                row.status,
                row.approved_by or "",
                f"{row.approved_at:%Y-%m-%d}" if row.approved_at else "",
                row.sha256[:16],
            )
    out.print(table)


@app.command("load")
def load_command(
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", exists=True, dir_okay=False)],
) -> None:
    """Load template files (a new language, or a new version of one) as drafts; all or none.
    A fault names its file, line and column."""
    from accord.documents import service

    loaded: list[str] = []
    with acting("templates.load") as (session, clock, who):
        for path in files:
            row, new = service.load_template(
                session, path.read_text(encoding="utf-8"), str(path), who, clock
            )
            state = "loaded as a draft" if new else "already loaded, unchanged"
            loaded.append(f"{path}: {row.language} v{row.version} {state}")
    for line in loaded:
        out.print(line)


@app.command("approve")
def approve_command(
    language: Annotated[str, typer.Argument(metavar="LANGUAGE")],
    version: Annotated[int, typer.Argument(metavar="VERSION")],
    note: Annotated[
        str, typer.Option(help="Who certified the translation, and when (kept and audited).")
    ],
) -> None:
    """A supervisor approves a template for service, by name and with a note."""
    from accord.documents import service

    with acting("templates.approve") as (session, clock, who):
        row = service.approve_template(session, language, version, note, who, clock)
        text = f"notice template {row.language} v{row.version} approved by {row.approved_by}"
    out.print(text)
