"""`accord scenario …`: the built-in scenario's files."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Annotated

import typer

from accord.cases.writer import write_people
from accord.cli_support import DAY_FORMATS, new_app, out, without_database
from accord.scenarios import arrangements_path
from accord.scenarios.people import REFERENCE_DATE, generate_people

app = new_app("The built-in scenario: reported arrangements and a synthetic population.")


@app.command("people")
@without_database
def people_command(
    out_file: Annotated[
        Path, typer.Option("--out", help="Where to write: .jsonl, .csv or .parquet.")
    ],
    count: Annotated[int, typer.Option(min=1, max=10_000_000, help="How many people.")] = 5000,
    seed: Annotated[int, typer.Option(help="Same seed, same file.")] = 1,
    at: Annotated[
        dt.datetime | None,
        typer.Option(
            formats=DAY_FORMATS,
            help=f"The day the population is as of (default {REFERENCE_DATE}).",
        ),
    ] = None,
) -> None:
    """Write a synthetic, clearly labelled population (case ids SYN-…).

    Needs no sign-in: it touches no database."""
    records = generate_people(count, seed, on=at.date() if at else REFERENCE_DATE)
    write_people(records, out_file)
    families = len({r["family_id"] for r in records})
    out.print(
        f"{out_file}: {len(records):,} synthetic people in {families:,} families (seed {seed})"
    )


@app.command("agreements")
@without_database
def agreements_command(
    out_file: Annotated[Path, typer.Option("--out", help="Where to write the YAML.")],
) -> None:
    """Write the reported arrangements as an agreements YAML file, to read or edit for what-ifs.

    Needs no sign-in: it touches no database."""
    shutil.copyfile(arrangements_path(), out_file)
    out.print(f"{out_file}: the reported arrangements, each fact with its source")
