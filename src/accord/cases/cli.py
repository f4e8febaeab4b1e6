"""`accord people …`: import people files, and write a person's own copy of their file."""

from __future__ import annotations

import hashlib
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from accord.cases.reader import read_people
from accord.cases.service import ImportReport
from accord.cli_support import acting, err, forget_erased, new_app, out, signed_in
from accord.db import unit_of_work
from accord.proposals import case_facts, erasure, subject
from accord.proposals.case_facts import assess, import_case_files, lift_fact
from accord.proposals.render import moved_text
from accord.records.vocabulary import CaseChange

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
) -> None:
    """Import FILE: all or nothing; re-importing the same file changes nothing.

    The open items of the families it changes are judged again. An officer or supervisor of
    the sender (a supervisor for a file with S8 assessments)."""
    with signed_in("people.import") as who:
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


@app.command("subject-export")
def subject_export_command(
    case_id: Annotated[str, typer.Argument(metavar="CASE_ID")],
    out_file: Annotated[
        Path,
        typer.Option(
            "--out", metavar="FILE", help="Where to write the copy (JSON; replaced if it exists)."
        ),
    ],
) -> None:
    """Write the person's own copy to FILE: their record, their family's case ids, every item
    with them as a member (its events and reasons, movements, check-ins), the notices served on
    them or their counsel, their fear claims, and the access log (who read or changed what of
    theirs, and when). Canonical JSON (sorted keys, UTF-8); the export is audited with the
    file's SHA-256. A supervisor of the sender."""
    # The file is written before the transaction commits, and removed if the commit fails: a
    # file that cannot be written leaves no `person.exported` behind, and no copy is left that
    # the log does not record. Only its owner may read it: it is a person's whole file.
    written = False
    try:
        with acting("people.subject_export") as (session, clock, who):
            export = subject.subject_export(session, case_id, who, clock)
            data = subject.export_bytes(export)
            handle = os.open(out_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            written = True
            with os.fdopen(handle, "wb") as file:
                file.write(data)
    except BaseException:
        if written:
            out_file.unlink(missing_ok=True)
        raise
    counted = subject.counts(export)
    out.print(
        f"{escape(case_id)}: {escape(str(out_file))} written: "
        + ", ".join(f"{n:,} {name.replace('_', ' ')}" for name, n in counted.items())
    )
    out.print(f"sha256 {hashlib.sha256(data).hexdigest()}")


@app.command("erase")
def erase_command(
    case_id: Annotated[str, typer.Argument(metavar="CASE_ID")],
    reason: Annotated[
        str,
        typer.Option(
            help="Why (at least 10 characters): the request and its date, or a court order."
        ),
    ],
) -> None:
    """Erase a person: their record, every personal value of theirs in the audit log (the chain
    still verifies), the words written about them on their items and their notices' typeset
    inputs. The case id, states, days, codes and the ledger stay; the erasure is audited.
    Refused while any item of theirs can still move. A supervisor of the sender."""
    with signed_in(erasure.RULE) as who:
        with unit_of_work(who.store.sessions) as session:
            erased = erasure.erase_person(session, case_id, reason, who.actor, who.clock)
        forget_erased(who.store.engine)
    out.print(
        f"{escape(case_id)} erased: "
        + ", ".join(f"{n:,} {kind}" for kind, n in erased.removed.items())
    )


case_app = new_app(
    "Changes to a case that stop a transfer (a court stay, a new claim, an appeal), and a"
    " supervisor's acts that end one or assess a vulnerability."
)


class ClaimType(StrEnum):
    refugee = "refugee"
    withholding = "withholding"
    cat = "cat"
    temporary = "temporary"


@case_app.command("change")
def case_change(
    case_id: Annotated[str, typer.Argument(metavar="CASE_ID")],
    change: Annotated[CaseChange, typer.Argument(help="stay, new_claim or appeal.")],
    against: Annotated[
        str | None,
        typer.Option(metavar="XX", help="A new claim: the country it is against (required)."),
    ] = None,
    claim_type: Annotated[ClaimType, typer.Option(help="A new claim: its type.")] = (
        ClaimType.refugee
    ),
) -> None:
    """Record the change on the person (S3); every open item of the family is cancelled and
    its place released."""
    with acting("people.case_change") as (session, clock, who):
        cancelled = case_facts.record_case_change(
            session,
            case_id,
            change,
            who,
            clock,
            against=against,
            claim_type=claim_type.value,
        )
    out.print(f"{case_id}: {change.replace('_', ' ')} recorded")
    for moved in cancelled:
        out.print(moved_text(moved))
    if not cancelled:
        out.print("no open item of the family was affected")


class FactName(StrEnum):
    stay = "stay"
    appeal = "appeal"
    protection = "protection"
    fear_claim = "fear_claim"
    vulnerability = "vulnerability"
    age_dispute = "age_dispute"
    unfit = "unfit"


@case_app.command("lift")
def case_lift(
    case_id: Annotated[str, typer.Argument(metavar="CASE_ID")],
    fact: Annotated[
        FactName,
        typer.Argument(
            help="stay, appeal, protection (a pending claim withdrawn), fear_claim (a pending one"
            " refused: its 15-day window runs), vulnerability, age_dispute (resolved) or unfit"
            " (fit again)."
        ),
    ],
    reason: Annotated[str, typer.Option(help="Why it ended: the order, the decision.")],
    detail: Annotated[
        str | None,
        typer.Option(
            metavar="WHICH",
            help="Which one: the country of a protection or fear claim (XX), the vulnerability.",
        ),
    ] = None,
) -> None:
    """A supervisor ends one protective fact, with a reason (audited): the only way one goes
    away; a case file that leaves it out never removes it."""
    which = (
        detail.upper() if detail and fact in (FactName.protection, FactName.fear_claim) else detail
    )
    with acting("people.lift") as (session, clock, who):
        lift_fact(session, case_id, fact.value, reason, who, clock, detail=which)
    out.print(
        f"{case_id}: {fact.value.replace('_', ' ')}" + (f" ({which})" if which else "") + " lifted"
    )


@case_app.command("assess")
def case_assess(
    case_id: Annotated[str, typer.Argument(metavar="CASE_ID")],
    reason: Annotated[str, typer.Option(help="The assessment's reasons (10 characters or more).")],
) -> None:
    """A supervisor's individual assessment of a vulnerable person (S8), dated today, audited:
    the vulnerability no longer blocks on its own."""
    with acting("people.assess") as (session, clock, who):
        done = assess(session, case_id, "S8", reason, who, clock)
        line = f"{case_id}: S8 assessed by {done.by} on {done.date}"
    out.print(escape(line))
