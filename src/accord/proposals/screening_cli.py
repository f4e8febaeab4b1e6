"""`accord screen`, `accord explain`, `accord whatif`: screening from files (no sign-in) or the
database (the sender's staff, signed in)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from accord.access import may_see
from accord.agreements import repository as agreements_repository
from accord.agreements.loader import load_registry_file
from accord.agreements.service import stored_agreement, stored_agreements
from accord.cases.reader import read_people
from accord.cases.service import stored_people
from accord.cases.views import explain_stored
from accord.cli_support import ScreeningDayOption, command_clock, out, signed_in
from accord.clock import Clock, today
from accord.db import unit_of_work
from accord.errors import InvalidInput, NotFound, Problem
from accord.proposals import screening as service
from accord.screening.batch import screen_population
from accord.screening.results import ScreeningResult
from accord.screening.single import Screen
from accord.screening.summary import summarize


def _day(at: dt.datetime | None, clock: Clock) -> dt.date:
    return at.date() if at else today(clock)


def write_results(results: Sequence[ScreeningResult], path: Path) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for result in results:
            handle.write(
                json.dumps(result.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n"
            )


def summary_table(
    results: Sequence[ScreeningResult], title: str, *, rules: int | None = 5
) -> Table:
    """Per agreement: eligible people and families, and the rules blocking the most people."""
    table = Table(title=title)
    label = "people blocked, by rule" if rules is None else "top blocking rules"
    for column in ("agreement", "eligible people", "eligible families", label):
        table.add_column(column)
    for summary in summarize(results):
        table.add_row(
            summary.agreement_id,
            f"{summary.eligible_people:,} of {summary.people:,}",
            f"{len(summary.eligible_families):,} of {len(summary.families):,}",
            escape(", ".join(f"{rule} {count:,}" for rule, count in summary.top_rules(rules))),
        )
    return table


def screen_command(
    agreements: Annotated[
        Path | None, typer.Option(help="Agreements YAML (file mode, no database).")
    ] = None,
    people: Annotated[
        Path | None, typer.Option(help="People file (file mode, no database).")
    ] = None,
    agreement: Annotated[
        list[str] | None, typer.Option(help="Agreement id(s); default every one.")
    ] = None,
    at: ScreeningDayOption = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write results as JSON Lines here.")
    ] = None,
) -> None:
    """Screen every person against agreements: who may be proposed, and exactly why not.

    With --agreements and --people it works on files alone (audits, what-if, drafts of any
    status), and needs no sign-in: it touches no database. Otherwise on the registry and the
    stored people, as the signed-in officer or supervisor (the agreements its party sends).
    """
    day = _day(at, command_clock())
    if (agreements is None) != (people is None):
        raise InvalidInput("options", [Problem("--agreements/--people", "give both, or neither")])
    if agreements is not None and people is not None:
        registry = load_registry_file(agreements)
        specs = [a for a in registry.agreements if not agreement or a.id in agreement]
        records = [row.record for row in read_people(people)]
        results = screen_population(records, [Screen.of(s) for s in specs], day)
    else:
        with (
            signed_in("screening.summary") as who,
            unit_of_work(who.store.sessions) as session,
        ):
            p = who.principal
            visible = [a.id for a in stored_agreements(session) if may_see(p.role, p.party, a)]
            unknown = [a for a in agreement or [] if a not in visible]
            if unknown:
                raise NotFound(f"no agreement {', '.join(map(repr, unknown))}")
            results = service.screen_stored(session, agreement or visible, day)
    if out_file:
        write_results(results, out_file)
        out.print(f"{out_file}: {len(results):,} results")
    out.print(summary_table(results, f"Screening on {day}"))


def explain_command(
    case_id: Annotated[str, typer.Argument(metavar="CASE_ID")],
    agreement: Annotated[str, typer.Option(help="The agreement to screen against.")],
    at: ScreeningDayOption = None,
) -> None:
    """Every rule checked for one person against one agreement, in plain words, with sources.

    An officer or supervisor of the agreement's sender; the read of the record is audited."""
    day = _day(at, command_clock())
    with signed_in("people.screening") as who, unit_of_work(who.store.sessions) as session:
        party = who.principal.party
        if party is not None and stored_agreement(session, agreement).sender != party:
            raise NotFound(f"no agreement {agreement!r}")
        record, checks = explain_stored(session, case_id, agreement, day, actor=who.name)
    eligible = all(check.passed for check in checks)
    out.print(
        f"{record.case_id} (family {record.family_id}) against {agreement} on {day}: "
        + ("[green]eligible[/]" if eligible else "[red]blocked[/]")
    )
    for check in checks:
        outcome = "passed" if check.passed else "[red]BLOCKS[/]"
        out.print(f"\n[bold]{check.rule}[/] {outcome}: {escape(check.text)}", soft_wrap=True)
        if not check.passed:
            out.print(f"    why: {escape(check.reason)}", soft_wrap=True)
        out.print(f"    source: {escape('; '.join(check.sources))}", soft_wrap=True)


def whatif_command(
    draft: Annotated[
        Path, typer.Argument(help="Agreements YAML with the draft terms (any status).")
    ],
    people: Annotated[
        Path | None, typer.Option(help="People file (default: the stored pool).")
    ] = None,
    at: ScreeningDayOption = None,
) -> None:
    """How many people and families a draft agreement would admit, and what would block the rest.

    With --people it works on files alone and needs no sign-in; on the stored pool, the
    signed-in officer or supervisor."""
    day = _day(at, command_clock())
    if people is not None:
        records = [row.record for row in read_people(people)]
        registry = load_registry_file(draft)
    else:
        with (
            signed_in("screening.summary") as who,
            unit_of_work(who.store.sessions) as session,
        ):
            registry = load_registry_file(draft, agreements_repository.party_codes(session))
            records = stored_people(session)
    results = screen_population(records, [Screen.of(a) for a in registry.agreements], day)
    out.print(summary_table(results, f"What-if on {day}: {len(records):,} people"))
