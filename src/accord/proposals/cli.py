"""`accord pool|item|review|case|incident|ledger …`: the workflow, one command per step.

Thin over the service: each command is one unit of work (one transaction), except `review`,
which applies each decision in its own. The day of every move comes from the clock: ACCORD_NOW
when set, else the system clock. Who acts is the signed-in account (`accord login`, or
ACCORD_TOKEN): each command stands on the API's access rule for the same act, and the service
checks the account's role and party on every move.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

from accord.access import SEES_CLAIMS, Actor
from accord.cli_support import DbOption, new_app, out, signed_in
from accord.clock import Clock, SetClock, today
from accord.db import unit_of_work
from accord.errors import InvalidInput, Problem
from accord.proposals import service, views
from accord.proposals.batch import Decision, review_batch
from accord.proposals.case_facts import assess, lift_fact
from accord.proposals.pools import propose_pool
from accord.proposals.render import (
    caps_table,
    item_renderable,
    ledger_rows_table,
    ledger_totals,
    matched_pool_text,
    members_table,
    moved_text,
    outcome_text,
    pool_table,
)
from accord.proposals.service import Moved
from accord.workflow.audience import AUDIENCE_HELP, Audience

# --- Who acts, and when -----------------------------------------------------------------------

ItemArg = Annotated[int, typer.Argument(metavar="ITEM_ID", help="A proposal item (one family).")]
RequestOption = Annotated[
    str | None,
    typer.Option(
        "--request-id",
        help="An id for this request: sending the same request again changes nothing.",
        show_default=False,
    ),
]

AudienceOption = Annotated[
    Audience, typer.Option("--audience", help=AUDIENCE_HELP, show_default=False)
]


@contextmanager
def _unit(db: str | None, rule: str) -> Iterator[tuple[Session, Clock, Actor]]:
    """The signed-in account, allowed by the rule, then one transaction, committed when the
    block ends without an error."""
    with signed_in(db, rule) as who, unit_of_work(who.store.sessions) as session:
        yield session, who.clock, who.actor


DayOption = Annotated[
    dt.datetime | None,
    typer.Option(
        "--at",
        formats=["%Y-%m-%d"],
        help="The day to act as on (default: ACCORD_NOW, else today).",
        show_default=False,
    ),
]


def _apply(db: str | None, rule: str, step: Callable[[Session, Clock, Actor], Moved]) -> None:
    with _unit(db, rule) as (session, clock, who):
        moved = step(session, clock, who)
    out.print(moved_text(moved))


# --- Pools ------------------------------------------------------------------------------------

pool_app = new_app("Proposal pools: the matcher's pool for an agreement in force, and its items.")
MembersOption = Annotated[
    bool,
    typer.Option(
        help="List the members of each family still waiting for the receiver's decision,"
        " through the minimized view (each read audited)."
    ),
]


def _pool_output(session: Session, view: views.PoolView, who: Actor, members: bool) -> list[Table]:
    tables = [pool_table(view, sender=who.role in SEES_CLAIMS)]
    waiting = views.waiting(view)
    if members and waiting:
        found = views.family_members(session, waiting, who)
        tables.append(members_table("Members of the families waiting for a decision", found))
    return tables


@pool_app.command("propose")
def pool_propose(
    agreement: Annotated[str, typer.Option(help="An agreement in force.")],
    at: DayOption = None,
    pin_out: Annotated[
        list[str] | None,
        typer.Option(metavar="FAMILY_ID", help="Repeatable: a family to leave out of the pool."),
    ] = None,
    time_limit: Annotated[float, typer.Option(min=0.1, help="Seconds the matcher may take.")] = 20,
    db: DbOption = None,
) -> None:
    """Propose a pool: the stored people screened on the day, families in open items left out,
    up to floor(pool_factor × places left); the matcher chooses, every family is re-screened.

    An officer or supervisor of the sender."""
    with _unit(db, "pools.propose") as (session, clock, who):
        if at is not None:
            clock = SetClock(at.replace(tzinfo=dt.UTC))
        matched = propose_pool(
            session, agreement, who, clock, pinned_out=pin_out or (), time_limit=time_limit
        )
        view = views.pool_view(session, matched.proposal.id, who)
        text = matched_pool_text(matched)
        table = pool_table(view, sender=True)
    out.print(text, soft_wrap=True)
    out.print(table)


@pool_app.command("show")
def pool_show(
    proposal_id: Annotated[int, typer.Argument(metavar="ID", help="A pool (proposal) id.")],
    members: MembersOption = True,
    db: DbOption = None,
) -> None:
    """A pool's families, where each one is now, and the members of those still waiting.

    The members are shown through the minimized view (what the receiver may see; each read
    audited). The sender's staff also read the matcher's scores and reasons; the receiver's
    reviewer reads its own pools only."""
    with _unit(db, "pools.get") as (session, _, who):
        view = views.pool_view(session, proposal_id, who)
        tables = _pool_output(session, view, who, members)
    for table in tables:
        out.print(table)


# --- Items ------------------------------------------------------------------------------------

item_app = new_app(
    "One family's way through the workflow: each command is one move, by the signed-in account."
)


@item_app.command("show")
def item_show(item_id: ItemArg, db: DbOption = None) -> None:
    """The item's timeline: moves, notices, fear claims, movements and check-ins (a receiver or
    monitor sees no notice, claim or interview). The read is audited."""
    with _unit(db, "items.get") as (session, _, who):
        view = views.item_view(session, item_id, who)
        renderable = item_renderable(view)
    out.print(renderable)


@item_app.command("accept")
def item_accept(item_id: ItemArg, request_id: RequestOption = None, db: DbOption = None) -> None:
    """The receiver accepts the family: a place is reserved (S13), after S12 and screening."""
    _apply(
        db,
        "items.accept",
        lambda s, c, who: service.move(s, item_id, "accept", who, c, request_id=request_id),
    )


CodeOption = Annotated[
    str,
    typer.Option(
        "--code", help="Reason code: " + ", ".join(service.REJECTION_CODES) + " (rejection)."
    ),
]
TextOption = Annotated[str, typer.Option("--text", help="The reason in words.")]


@item_app.command("reject")
def item_reject(
    item_id: ItemArg,
    code: CodeOption,
    text: TextOption,
    request_id: RequestOption = None,
    db: DbOption = None,
) -> None:
    """The receiver turns the family down, with a reason code and text."""
    _apply(
        db,
        "items.reject",
        lambda s, c, who: service.move(
            s, item_id, "reject", who, c, request_id=request_id, reason_code=code, reason_text=text
        ),
    )


@item_app.command("revoke")
def item_revoke(
    item_id: ItemArg,
    code: Annotated[str, typer.Option("--code", help="Reason code.")],
    text: TextOption,
    request_id: RequestOption = None,
    db: DbOption = None,
) -> None:
    """The receiver takes back an acceptance before transfer, with a reason: the place is
    released."""
    _apply(
        db,
        "items.revoke",
        lambda s, c, who: service.move(
            s, item_id, "revoke", who, c, request_id=request_id, reason_code=code, reason_text=text
        ),
    )


@item_app.command("withdraw")
def item_withdraw(
    item_id: ItemArg,
    reason: Annotated[str, typer.Option(help="Why the sender withdraws the family.")],
    request_id: RequestOption = None,
    db: DbOption = None,
) -> None:
    """The sender withdraws the family before transfer (cancelled): any place is released."""
    _apply(
        db,
        "items.withdraw",
        lambda s, c, who: service.move(
            s,
            item_id,
            "cancel",
            who,
            c,
            request_id=request_id,
            reason_code="withdrawal",
            reason_text=reason,
        ),
    )


class RecipientName(StrEnum):
    person = "person"
    counsel = "counsel"


def notice_text(item_id: int, moved: Moved | None, standing: views.NoticeStanding) -> str:
    """What the attempt did to the item: the move it made, or where the item stands and who
    exactly is still not validly served."""
    if moved is not None:
        return moved_text(moved)
    missing = ", ".join(standing.unserved)
    if standing.state == "accepted":
        return f"item {item_id} stays accepted: still not validly served: {missing}"
    text = f"item {item_id} is {standing.state}; the notice is recorded"
    if missing:
        text += (
            f"; still not validly served: {missing} (clearance, scheduling and transfer wait"
            " for it)"
        )
    return text


@item_app.command("notice")
def item_notice(
    item_id: ItemArg,
    case_id: Annotated[str, typer.Argument(metavar="CASE_ID", help="The member served.")],
    language: Annotated[str, typer.Option(help="ISO 639-1 language of the written notice.")],
    to: Annotated[
        RecipientName, typer.Option("--to", help="The person, or the person's counsel.")
    ] = RecipientName.person,
    refused_to_sign: Annotated[
        bool, typer.Option("--refused-to-sign", help="The person refused to sign: not service.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Record written notice naming the receiver (S6). Valid only in a language the person
    understands and signed; once every adult and counsel is served, the item is notified."""
    with _unit(db, "items.notice") as (session, clock, who):
        outcome, moved = service.record_notice(
            session, item_id, case_id, to.value, language, not refused_to_sign, who, clock
        )
        day = today(clock)
        standing = views.notice_standing(session, item_id, day)
    out.print(
        f"notice to {escape(case_id)} ({to.value}) in {escape(language)} on {day}:"
        f" {outcome.replace('_', ' ')}" + ("" if outcome == "served" else " (not service)"),
        soft_wrap=True,
    )
    out.print(escape(notice_text(item_id, moved, standing)), soft_wrap=True)


@item_app.command("fear")
def item_fear(
    item_id: ItemArg,
    case_id: Annotated[str, typer.Argument(metavar="CASE_ID", help="The member who fears.")],
    db: DbOption = None,
) -> None:
    """Record a fear claim about the receiver (S5): the item stops until it is decided."""
    _apply(db, "items.fear", lambda s, c, who: service.claim_fear(s, item_id, case_id, who, c))


ClaimantOption = Annotated[
    str | None,
    typer.Option(
        "--case", help="Whose claim, when several members' claims are pending on the item."
    ),
]


@item_app.command("interview")
def item_interview(
    item_id: ItemArg,
    at: Annotated[
        dt.datetime,
        typer.Option(
            "--at",
            formats=["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"],
            help="When (UTC), at least 72 hours from now.",
        ),
    ],
    case: ClaimantOption = None,
    db: DbOption = None,
) -> None:
    """Schedule the fear interview, with at least 72 hours' notice to the person and counsel."""
    with _unit(db, "items.interview") as (session, clock, who):
        claim = service.schedule_interview(
            session, item_id, at.replace(tzinfo=dt.UTC), who, clock, case_id=case
        )
        case_id = claim.case_id
    out.print(f"item {item_id}: fear interview of {case_id} set for {at:%Y-%m-%d %H:%M} UTC")


class FearOutcome(StrEnum):
    positive = "positive"
    negative = "negative"


@item_app.command("fear-outcome")
def item_fear_outcome(
    item_id: ItemArg,
    outcome: Annotated[FearOutcome, typer.Argument(help="The interview's outcome.")],
    case: ClaimantOption = None,
    db: DbOption = None,
) -> None:
    """Record the fear claim's outcome after the interview: positive blocks this receiver for
    good and releases the place; negative opens a 15-day reopening window once no other
    member's claim is pending."""
    _apply(
        db,
        "items.fear_outcome",
        lambda s, c, who: service.decide_fear(s, item_id, outcome.value, who, c, case_id=case),
    )


@item_app.command("clear")
def item_clear(
    item_ids: Annotated[
        list[int], typer.Argument(metavar="ITEM_ID", help="Exactly one item (S14).")
    ],
    medical_fit_confirmed: Annotated[
        bool,
        typer.Option(
            "--medical-fit-confirmed", help="The supervisor confirms fitness to travel (S10)."
        ),
    ] = False,
    request_id: RequestOption = None,
    db: DbOption = None,
) -> None:
    """A supervisor's individual sign-off for ONE family (S14: no bulk clearance), after the
    notice period (S6), with medical fitness confirmed (S10).

    The signed-in account must be a supervisor of the sender."""
    if len(item_ids) != 1:
        raise InvalidInput(
            "clear",
            [
                Problem(
                    "ITEM_ID",
                    f"{len(item_ids)} items given; clearance is one supervisor's sign-off for one"
                    " family at a time (S14: no bulk clearance)",
                )
            ],
        )
    [item_id] = item_ids
    _apply(
        db,
        "items.clear",
        lambda s, c, who: service.move(
            s,
            item_id,
            "clear",
            who,
            c,
            request_id=request_id,
            medical_confirmed=medical_fit_confirmed,
        ),
    )


@item_app.command("schedule")
def item_schedule(
    item_id: ItemArg,
    on: Annotated[dt.datetime, typer.Option("--on", formats=["%Y-%m-%d"], help="Transfer day.")],
    db: DbOption = None,
) -> None:
    """Schedule the transfer of a cleared family."""
    _apply(db, "items.schedule", lambda s, c, who: service.schedule(s, item_id, on.date(), who, c))


@item_app.command("arrive")
def item_arrive(item_id: ItemArg, db: DbOption = None) -> None:
    """The receiver confirms arrival: the place is used, check-ins fall due at 30/90/180 days."""
    _apply(db, "items.arrive", lambda s, c, who: service.confirm_arrival(s, item_id, who, c))


class OnwardName(StrEnum):
    returned_home = "returned_home"
    remained = "remained"
    moved_on = "moved_on"
    absconded = "absconded"
    re_transferred = "re_transferred"


@item_app.command("onward")
def item_onward(
    item_id: ItemArg,
    outcome: Annotated[OnwardName, typer.Argument(help="What became of the family.")],
    detail: Annotated[
        str | None, typer.Option(help="e.g. the status under which the family remained.")
    ] = None,
    db: DbOption = None,
) -> None:
    """The receiver records the onward outcome after transfer."""
    _apply(
        db,
        "items.onward",
        lambda s, c, who: service.record_onward(s, item_id, outcome.value, who, c, detail=detail),
    )


@item_app.command("check-in")
def item_check_in(
    item_id: ItemArg,
    days: Annotated[int, typer.Argument(metavar="DAYS", help="30, 90 or 180.")],
    note: Annotated[str, typer.Option(help="What the check-in found.")],
    audience: AudienceOption,
    db: DbOption = None,
) -> None:
    """Record a monitoring check-in, on or after the day it falls due, saying who may read its
    note."""
    with _unit(db, "items.check_in") as (session, clock, who):
        check_in = service.record_check_in(
            session, item_id, days, note, who, clock, audience=audience
        )
        done = check_in.done_on
    out.print(f"item {item_id}: {days}-day check-in recorded on {done}")


@item_app.command("close")
def item_close(item_id: ItemArg, request_id: RequestOption = None, db: DbOption = None) -> None:
    """Close the item once the onward outcome and every check-in are recorded."""
    _apply(
        db,
        "items.close",
        lambda s, c, who: service.move(s, item_id, "close", who, c, request_id=request_id),
    )


# --- A review file ----------------------------------------------------------------------------

REVIEW_COLUMNS = ("item_id", "decision", "reason_code", "reason_text")


def read_decisions(path: Path) -> list[Decision]:
    """item_id,decision,reason_code,reason_text; every bad row is listed, nothing applied."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidInput(str(path), [Problem(str(path), exc.strerror or str(exc))]) from None
    reader = csv.DictReader(text.splitlines())
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [c for c in REVIEW_COLUMNS[:2] if c not in header]
    unknown = [c for c in header if c not in REVIEW_COLUMNS]
    if missing or unknown:
        problems = [Problem("header", f"missing column {c}") for c in missing]
        problems += [Problem("header", f"unknown column {c}") for c in unknown]
        raise InvalidInput(str(path), problems)
    decisions, problems = [], []
    for number, raw in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
        item, decision = row.get("item_id", ""), row.get("decision", "")
        if not item.isdigit():
            problems.append(Problem(f"row {number} item_id", f"not an item id: {item!r}"))
        if decision not in ("accept", "reject"):
            problems.append(
                Problem(f"row {number} decision", f"expected accept or reject, got {decision!r}")
            )
        if item.isdigit() and decision in ("accept", "reject"):
            decisions.append(
                Decision(
                    int(item),
                    "accept" if decision == "accept" else "reject",
                    row.get("reason_code") or None,
                    row.get("reason_text") or None,
                )
            )
    if problems:
        raise InvalidInput(str(path), problems)
    return decisions


def review_command(
    file: Annotated[
        Path | None,
        typer.Argument(
            help="CSV: item_id,decision(accept|reject),reason_code,reason_text (to apply).",
            show_default=False,
        ),
    ] = None,
    pool: Annotated[
        int | None,
        typer.Option(
            metavar="ID",
            help="Show this pool's families still waiting for a decision, with their members"
            " (the minimized view), instead of applying a file.",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """A receiver's review: read a pool's waiting families, or apply a decisions file.

    With --pool: the families waiting for a decision and their members through the minimized
    view (what the receiver may see; each read audited). With FILE: apply
    the decisions, one transaction each: a refused decision is reported and the rest still
    applied; running the same file again changes nothing."""
    if (file is None) == (pool is None):
        raise InvalidInput(
            "review", [Problem("FILE/--pool", "give a review file to apply, or --pool to read")]
        )
    if pool is not None:
        with _unit(db, "pools.get") as (session, _, who):
            tables = _pool_output(session, views.pool_view(session, pool, who), who, True)
        for table in tables:
            out.print(table)
        out.print(
            f"decide in a CSV file ({','.join(REVIEW_COLUMNS)}), then `accord review FILE`",
            soft_wrap=True,
        )
        return
    assert file is not None
    with signed_in(db, "pools.decide") as who:
        decisions = read_decisions(file)
        outcomes = review_batch(
            who.store.sessions,
            decisions,
            who.actor,
            who.clock,
            after_each=lambda outcome: out.print(outcome_text(outcome), soft_wrap=True),
        )
    done = sum(o.done and not o.repeated for o in outcomes)
    repeated = sum(o.repeated for o in outcomes)
    refused = sum(not o.done for o in outcomes)
    out.print(f"{file}: {done} decided, {repeated} already decided, {refused} refused")
    if refused:
        raise typer.Exit(1)


# --- Case changes, incidents, the ledger ------------------------------------------------------

case_app = new_app(
    "Changes to a case that stop a transfer (a court stay, a new claim, an appeal), and a"
    " supervisor's acts that end one or assess a vulnerability."
)


class ChangeName(StrEnum):
    stay = "stay"
    new_claim = "new_claim"
    appeal = "appeal"


class ClaimType(StrEnum):
    refugee = "refugee"
    withholding = "withholding"
    cat = "cat"
    temporary = "temporary"


@case_app.command("change")
def case_change(
    case_id: Annotated[str, typer.Argument(metavar="CASE_ID")],
    change: Annotated[ChangeName, typer.Argument(help="stay, new_claim or appeal.")],
    against: Annotated[
        str | None,
        typer.Option(metavar="XX", help="A new claim: the country it is against (required)."),
    ] = None,
    claim_type: Annotated[ClaimType, typer.Option(help="A new claim: its type.")] = (
        ClaimType.refugee
    ),
    db: DbOption = None,
) -> None:
    """Record the change on the person (S3); every open item of the family is cancelled and
    its place released."""
    with _unit(db, "people.case_change") as (session, clock, who):
        cancelled = service.record_case_change(
            session,
            case_id,
            change.value,
            who,
            clock,
            against=against,
            claim_type=claim_type.value,
        )
    out.print(f"{case_id}: {change.value.replace('_', ' ')} recorded")
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
    db: DbOption = None,
) -> None:
    """A supervisor ends one protective fact, with a reason (audited): the only way one goes
    away; a case file that leaves it out never removes it."""
    which = (
        detail.upper() if detail and fact in (FactName.protection, FactName.fear_claim) else detail
    )
    with _unit(db, "people.lift") as (session, clock, who):
        lift_fact(session, case_id, fact.value, reason, who, clock, detail=which)
    out.print(
        f"{case_id}: {fact.value.replace('_', ' ')}" + (f" ({which})" if which else "") + " lifted"
    )


@case_app.command("assess")
def case_assess(
    case_id: Annotated[str, typer.Argument(metavar="CASE_ID")],
    reason: Annotated[str, typer.Option(help="The assessment's reasons (10 characters or more).")],
    db: DbOption = None,
) -> None:
    """A supervisor's individual assessment of a vulnerable person (S8), dated today, audited:
    the vulnerability no longer blocks on its own."""
    with _unit(db, "people.assess") as (session, clock, who):
        done = assess(session, case_id, "S8", reason, who, clock)
        line = f"{case_id}: S8 assessed by {done.by} on {done.date}"
    out.print(escape(line))


incident_app = new_app("Incidents under an agreement; onward removal or ill-treatment suspends it.")


class IncidentKind(StrEnum):
    onward_removal = "onward_removal"
    ill_treatment = "ill_treatment"
    other = "other"


@incident_app.command("report")
def incident_report(
    agreement: Annotated[str, typer.Argument(metavar="AGREEMENT")],
    kind: Annotated[IncidentKind, typer.Option(help="What happened.")],
    text: Annotated[str, typer.Option(help="What was reported, in words.")],
    audience: AudienceOption,
    db: DbOption = None,
) -> None:
    """Report an incident; onward removal or ill-treatment suspends the agreement (S15). The
    text is read by whom `--audience` names."""
    with _unit(db, "incidents.report") as (session, clock, who):
        incident = service.report_incident(
            session, agreement, kind.value, text, who, clock, audience=audience
        )
        number, suspends = incident.id, incident.suspends
    out.print(
        f"incident {number} reported under {agreement}"
        + ("; the agreement is suspended (S15)" if suspends else "")
    )


@incident_app.command("lift")
def incident_lift(
    agreement: Annotated[str, typer.Argument(metavar="AGREEMENT")],
    reason: Annotated[str, typer.Option(help="Why the suspension ends (10 characters or more).")],
    db: DbOption = None,
) -> None:
    """A supervisor lifts a suspension, with a reason: the agreement is in force again."""
    with _unit(db, "incidents.lift") as (session, clock, who):
        service.lift_suspension(session, agreement, reason, who, clock)
    out.print(f"{agreement}: suspension lifted; in force again")


ledger_app = new_app("The quota ledger (S13): what each cap holds and every row.")


@ledger_app.command("show")
def ledger_show(
    agreement: Annotated[str, typer.Argument(metavar="AGREEMENT")],
    at: DayOption = None,
    rows: Annotated[bool, typer.Option(help="List every ledger row.")] = True,
    db: DbOption = None,
) -> None:
    """Per cap: limit, held (reserved + used in the period), left and the period; the rows.

    The sender's staff and the receiver's reviewer."""
    with _unit(db, "agreements.ledger") as (session, clock, who):
        day = at.date() if at else today(clock)
        view = views.ledger_view(session, agreement, day, who)
    out.print(caps_table(view))
    out.print(ledger_totals(view))
    if rows:
        out.print(ledger_rows_table(view))
