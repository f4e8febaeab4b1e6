"""`accord report …`: publish a quarter's transparency release, list the published ones, and
trace a figure to the records behind it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from accord.cli_support import acting, current_settings, new_app, out

app = new_app(
    "The transparency report: per agreement and in total, for a quarter and cumulatively,"
    " small counts suppressed."
)

PeriodOption = Annotated[str, typer.Option("--period", help="A quarter, e.g. 2026-Q2.")]
AgreementOption = Annotated[
    str | None, typer.Option("--agreement", help="One agreement (default: all).")
]


@app.command("publish")
def publish_command(
    period: PeriodOption,
    out_dir: Annotated[Path, typer.Option("--out", help="The folder the files are written to.")],
    agreement: AgreementOption = None,
) -> None:
    """Publish the quarter's release (HTML, CSV, JSON, PDF and a manifest of their SHA-256):
    computed and recorded the first time, the same bytes every time after."""
    from accord.transparency import service
    from accord.transparency.model import Quarter

    quarter = Quarter.parse(period)
    threshold = current_settings().report_threshold
    with acting("reports.publish") as (session, clock, who):
        done = service.publish(
            session, quarter, who, clock, threshold=threshold, agreement_id=agreement
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, data in {**done.files, "manifest.json": done.manifest}.items():
        (out_dir / name).write_bytes(data)
    release = done.release
    out.print(
        f"{'published' if done.new else 'already published, written again'}: {release.period}"
        f" ({release.scope}) to {out_dir}: {len(done.files)} files and manifest.json"
        f" (sha256 {done.manifest_sha256}); counts under {release.threshold} suppressed:"
        f" {release.primary} small, {release.secondary} more so they cannot be recovered"
    )


@app.command("list")
def list_command() -> None:
    """The releases published: quarter, scope, threshold, who published them and when."""
    from rich.table import Table

    from accord.transparency import service

    table = Table("id", "period", "scope", "threshold", "published by", "at", "manifest sha256")
    with acting("reports.read") as (session, _, who):
        for r in service.releases(session, who):
            table.add_row(
                str(r.id),
                r.period,
                r.scope,
                str(r.threshold),
                r.published_by,
                f"{r.published_at:%Y-%m-%d %H:%M}",
                r.manifest_sha256[:16],
            )
    out.print(table)


@app.command("explain")
def explain_command(
    period: PeriodOption,
    cell: Annotated[
        str,
        typer.Option(
            "--cell", help="table/row/column/span, e.g. families/demo-xk-year/accepted/period."
        ),
    ],
    agreement: AgreementOption = None,
) -> None:
    """Every ledger row and decision behind one figure (the sender's staff only)."""
    from accord.transparency import service
    from accord.transparency.model import Quarter

    threshold = current_settings().report_threshold
    with acting("reports.explain") as (session, _, who):
        found = service.explain(
            session, Quarter.parse(period), cell, who, threshold=threshold, agreement_id=agreement
        )
    total = sum(f.value for f in found.facts)
    out.print(f"{found.cell} in {period}: published {found.published}")
    for fact in found.facts:
        out.print(f"  {fact.day}  {fact.value:>3}  {fact.category:<14} {fact.source}")
    for source in found.stock_sources:
        out.print(f"  {source}")
    if found.facts:
        out.print(f"  total {total} from {len(found.facts)} records")
