"""`accord match` (files, any status; no sign-in) and `accord propose` (the store: agreements
in force, their ledgers and open items; pools created through the workflow by the signed-in
account)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    SpinnerColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import Progress as RichProgress
from rich.table import Table

from accord.agreements.loader import load_registry_file
from accord.agreements.service import stored_agreements
from accord.cases.reader import read_people
from accord.cases.service import stored_people
from accord.cli_support import (
    ScreeningDayOption,
    command_clock,
    err,
    out,
    signed_in,
    without_database,
)
from accord.clock import SetClock, today
from accord.db import unit_of_work
from accord.errors import InvalidInput, Problem
from accord.matching.learned import LearnedScorer
from accord.matching.proposal import Balance, Progress, Proposal, gap_text, propose
from accord.matching.score_files import FileScorer, read_outcomes, read_scores
from accord.matching.scoring import Scorer
from accord.matching.transparent import TransparentScorer
from accord.proposals import planning
from accord.proposals.pools import (
    agreements_to_propose,
    match_stored,
    propose_pools,
    record_computed,
)
from accord.proposals.render import matched_pool_text
from accord.records.agreement import AgreementIn
from accord.records.person import PersonRecord
from accord.screening.batch import screen_population
from accord.screening.single import Screen

PinOption = Annotated[
    list[str] | None,
    typer.Option(help="FAMILY_ID:AGREEMENT_ID, repeatable: a person's decision the matcher keeps."),
]
ScoresOption = Annotated[
    Path | None,
    typer.Option(help="Scores CSV (family_id,agreement_id,score): overrides the default scoring."),
]
ShareOption = Annotated[
    float,
    typer.Option(
        min=0.01, max=1.0, help="Balance: at most this share of a pool from one nationality."
    ),
]
PaceOption = Annotated[
    bool, typer.Option("--pace-monthly", help="Balance: spread each period's cap across months.")
]
TimeOption = Annotated[float, typer.Option(min=0.1, help="Seconds the solver may take.")]
OutcomesOption = Annotated[
    Path | None,
    typer.Option(
        help="Onward outcomes CSV (family_id,agreement_id,outcome): score with a model learned"
        " from them."
    ),
]
OutOption = Annotated[
    Path | None, typer.Option("--out", help="Write the proposal (JSON, DESIGN §7) here.")
]


def _pins(values: Sequence[str] | None, option: str) -> list[tuple[str, str]]:
    pins, problems = [], []
    for value in values or ():
        family_id, colon, agreement_id = value.partition(":")
        if not colon or not family_id or not agreement_id:
            problems.append(Problem(f"{option} {value}", "expected FAMILY_ID:AGREEMENT_ID"))
        pins.append((family_id, agreement_id))
    if problems:
        raise InvalidInput("options", problems)
    return pins


def _scorer(
    scores: Path | None,
    outcomes: Path | None,
    agreements: Sequence[AgreementIn],
    records: Sequence[PersonRecord],
    day: dt.date,
) -> Scorer:
    """The scores file if given, else a model learned from the outcomes file, else the
    transparent default. Outcomes name families among the people given."""
    if scores and outcomes:
        raise InvalidInput(
            "options", [Problem("--scores/--outcomes", "give one: a scores file or outcomes")]
        )
    if scores:
        return FileScorer(read_scores(scores))
    if not outcomes:
        return TransparentScorer()
    recorded = read_outcomes(outcomes)
    families: dict[str, list[PersonRecord]] = {}
    for record in records:
        families.setdefault(record.family_id, []).append(record)
    try:
        return LearnedScorer.fit(families, {a.id: a for a in agreements}, recorded, day)
    except ValueError as exc:
        raise InvalidInput(str(outcomes), [Problem(str(outcomes), str(exc))]) from None


def proposal_table(proposal: Proposal) -> Table:
    table = Table(
        title=f"Proposal: objective {proposal.objective:,.3f}, {gap_text(proposal.solution)}"
    )
    for column in ("agreement", "pool limit", "families", "people", "pinned", "score"):
        table.add_column(column)
    for pool in proposal.pools:
        table.add_row(
            pool.agreement_id,
            f"{pool.pool_limit:,}",
            f"{len(pool.families):,}",
            f"{sum(f.size for f in pool.families):,}",
            f"{sum(f.pinned for f in pool.families):,}",
            f"{sum(f.score for f in pool.families):,.3f}",
        )
    return table


def report(proposal: Proposal, out_file: Path | None) -> None:
    out.print(proposal_table(proposal))
    for skipped in proposal.skipped:
        out.print(f"{skipped.agreement_id}: {escape(skipped.note)}")
    if proposal.scored_pairs < proposal.eligible_pairs:
        out.print(
            f"the scores cover {proposal.scored_pairs:,} of {proposal.eligible_pairs:,} eligible"
            " (family, agreement) pairs; the others were not proposed"
        )
    for family_id, agreement_id in proposal.pinned_out:
        out.print(f"{family_id} pinned out of {agreement_id} by a person")
    if out_file:
        out_file.write_text(json.dumps(proposal.to_json(), indent=1, ensure_ascii=False) + "\n")
        out.print(f"{out_file}: proposal written")


@contextmanager
def solving() -> Iterator[Progress]:
    """A progress bar on standard error while the matcher works: how much of the gap between
    the best plan and the proven bound is closed, and both figures."""
    bar = RichProgress(
        SpinnerColumn(),
        TextColumn("matching"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[news]}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    with bar:
        task = bar.add_task("matching", total=1.0, news="")
        first: list[float] = []

        def heard(best: float, bound: float) -> None:
            gap = bound - best
            if not first and bound < float("inf"):
                first.append(max(gap, 1e-12))
            closed = 1.0 - gap / first[0] if first else 0.0
            bar.update(
                task,
                completed=max(0.0, min(1.0, closed)),
                news=f"best {best:,.3f}, bound {bound:,.3f}",
            )

        yield heard


def _run(
    agreements: Sequence[AgreementIn],
    records: Sequence[PersonRecord],
    day: dt.date,
    scorer: Scorer,
    pin_in: Sequence[str] | None,
    pin_out: Sequence[str] | None,
    balance: Balance,
    time_limit: float,
) -> Proposal:
    results = screen_population(records, [Screen.of(a) for a in agreements], day)
    with solving() as progress:
        return propose(
            agreements,
            records,
            results,
            day,
            scorer,
            balance=balance,
            pinned_in=_pins(pin_in, "--pin-in"),
            pinned_out=_pins(pin_out, "--pin-out"),
            time_limit=time_limit,
            progress=progress,
        )


@without_database
def match_command(
    agreements: Annotated[Path, typer.Option(help="Agreements YAML (any status: what-if).")],
    people: Annotated[Path, typer.Option(help="People file (JSON Lines, Parquet or CSV).")],
    at: ScreeningDayOption = None,
    scores: ScoresOption = None,
    outcomes: OutcomesOption = None,
    agreement: Annotated[
        list[str] | None, typer.Option(help="Only these agreement ids; default every one.")
    ] = None,
    pin_in: PinOption = None,
    pin_out: PinOption = None,
    max_nationality_share: ShareOption = 1.0,
    pace_monthly: PaceOption = False,
    time_limit: TimeOption = 30.0,
    out_file: OutOption = None,
) -> None:
    """Screen, then choose the best proposal pools, on files alone (no database).

    Needs no sign-in: it touches no database."""
    day = at.date() if at else today(command_clock())
    registry = load_registry_file(agreements)
    specs = [a for a in registry.agreements if not agreement or a.id in agreement]
    records = [row.record for row in read_people(people)]
    scorer = _scorer(scores, outcomes, registry.agreements, records, day)
    proposal = _run(
        specs,
        records,
        day,
        scorer,
        pin_in,
        pin_out,
        Balance(max_nationality_share, pace_monthly),
        time_limit,
    )
    report(proposal, out_file)


def propose_command(
    agreement: Annotated[list[str], typer.Option(help="Agreement id(s) in force.")],
    at: ScreeningDayOption = None,
    scores: ScoresOption = None,
    outcomes: OutcomesOption = None,
    pin_in: PinOption = None,
    pin_out: PinOption = None,
    max_nationality_share: ShareOption = 1.0,
    pace_monthly: PaceOption = False,
    time_limit: TimeOption = 30.0,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Compute and audit the proposal; create no pool (what-if work)."
        ),
    ] = False,
    out_file: OutOption = None,
    horizon: Annotated[
        str | None,
        typer.Option(
            metavar="DURATION",
            help="Plan over this many months (P12M, P1Y): this month's pools leave places for"
            " the families the months ahead are expected to bring, and say what they held back.",
        ),
    ] = None,
) -> None:
    """Propose pools for agreements in force from the stored people.

    As the signed-in officer or supervisor of their sender (a dry run too: it reads the
    people). Each agreement is limited by what its ledger leaves, families in open items or already transferred are left
    out, one pool at most per family. Each pool is created through the workflow (every family
    screened again), or, with --dry-run, only computed and audited. Every agreement that cannot
    take a pool is listed, with every reason, before anything is computed."""
    if horizon is not None:
        if pin_in or pin_out or max_nationality_share < 1 or pace_monthly or scores or outcomes:
            raise InvalidInput(
                "the command",
                [Problem("--horizon", "a planned proposal takes no pins, balance or score files")],
            )
        _propose_planned(agreement, horizon, at, dry_run)
        return
    with (
        signed_in("pools.preview" if dry_run else "pools.propose") as who,
        unit_of_work(who.store.sessions) as session,
    ):
        clock = who.clock
        if at is not None:
            clock = SetClock(at.replace(tzinfo=dt.UTC))
        day = today(clock)
        specs = agreements_to_propose(session, agreement, who.actor, day)
        known = stored_agreements(session) if outcomes else specs
        scorer = _scorer(scores, outcomes, known, stored_people(session), day)
        balance = Balance(max_nationality_share, pace_monthly)
        pins_in, pins_out = _pins(pin_in, "--pin-in"), _pins(pin_out, "--pin-out")
        if dry_run:
            with solving() as progress:
                proposal = match_stored(
                    session,
                    specs,
                    day,
                    scorer=scorer,
                    pinned_in=pins_in,
                    pinned_out=pins_out,
                    balance=balance,
                    time_limit=time_limit,
                    progress=progress,
                )
            record_computed(session, who.name, proposal, day)
            created: list[str] = []
        else:
            with solving() as progress:
                proposal, stored = propose_pools(
                    session,
                    [a.id for a in specs],
                    who.actor,
                    clock,
                    scorer=scorer,
                    pinned_in=pins_in,
                    pinned_out=pins_out,
                    balance=balance,
                    time_limit=time_limit,
                    progress=progress,
                )
            created = [matched_pool_text(m) for m in stored]
    report(proposal, out_file)
    if dry_run:
        out.print("dry run: no pool created")
    elif not created:
        out.print("no pool created: no eligible family fits, outside open items and pins")
    for text in created:
        out.print(text, soft_wrap=True)


def _propose_planned(
    agreement_ids: Sequence[str], horizon: str, at: dt.datetime | None, dry_run: bool
) -> None:
    """`accord propose --horizon`: this month's pools of a plan over the horizon."""
    months = planning.horizon_months(horizon)
    with (
        signed_in("pools.preview" if dry_run else "pools.propose") as who,
        unit_of_work(who.store.sessions) as session,
    ):
        clock = who.clock if at is None else SetClock(at.replace(tzinfo=dt.UTC))
        specs = agreements_to_propose(session, agreement_ids, who.actor, today(clock))
        planned = planning.propose_planned(
            session, [a.id for a in specs], who.actor, clock, months, dry_run=dry_run
        )
    plan = planned.plan
    out.print(
        f"planned over {months} months from {plan.month}: this month scores"
        f" {plan.score_now:,.3f}, the months ahead are expected to add {plan.expected_later:,.3f}"
        f" ({'proven' if plan.optimal else 'not proven'} within 0.1 %)"
    )
    for agreement_id, families in sorted(plan.pools().items()):
        people = sum(planned.sizes.get(f, 0) for f in families)
        out.print(
            f"{agreement_id}: {len(families)} families, {people} people: {', '.join(families)}"
        )
    for held in plan.held_back:
        out.print(f"held back: {escape(held.reason)}", soft_wrap=True)
    if plan.deferred:
        out.print(
            f"{len(plan.deferred)} families eligible now are planned for a later month"
            f" (e.g. {plan.deferred[0].family_id} in {plan.deferred[0].month})"
        )
    for agreement_id, why in planned.skipped:
        out.print(f"{agreement_id}: {why}")
    if dry_run:
        out.print("dry run: no pool created")
    for stored in planned.stored:
        out.print(f"pool {stored.id} proposed to {stored.agreement_id}")
