"""`accord pool|item|review …`: the workflow, one command per step.

Thin over the service: each command is one unit of work (one transaction), except `review`,
which applies each decision in its own. The day of every move comes from the clock: ACCORD_NOW
when set, else the system clock. Who acts is the signed-in account (`accord login`, or
ACCORD_TOKEN): each command stands on the API's access rule for the same act, and the service
checks the account's role and party on every move.
"""

from __future__ import annotations

import csv
import datetime as dt
import inspect
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import typer
from pydantic import BaseModel, ValidationError
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

from accord.access import Actor, sees_claims
from accord.cli_support import DayOption, acting, new_app, out, signed_in
from accord.clock import SetClock, today
from accord.errors import InvalidInput, NotFound, Problem
from accord.monitoring.moves import BINDINGS
from accord.proposals import views
from accord.proposals.batch import Decision, review_batch
from accord.proposals.moves import Binding, InterviewSet, NoticeRecorded
from accord.proposals.pools import propose_pool
from accord.proposals.render import (
    item_renderable,
    matched_pool_text,
    members_table,
    moved_text,
    outcome_text,
    pool_table,
)
from accord.proposals.service import Moved
from accord.workflow.moves import CliParam, Move

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
    tables = [pool_table(view, sender=sees_claims(who.role))]
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
) -> None:
    """Propose a pool: the stored people screened on the day, families in open items left out,
    up to floor(pool_factor × places left); the matcher chooses, every family is re-screened.

    An officer or supervisor of the sender."""
    with acting("pools.propose") as (session, clock, who):
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
) -> None:
    """A pool's families, where each one is now, and the members of those still waiting.

    The members are shown through the minimized view (what the receiver may see; each read
    audited). The sender's staff also read the matcher's scores and reasons; the receiver's
    reviewer reads its own pools only."""
    with acting("pools.get") as (session, _, who):
        view = views.pool_view(session, proposal_id, who)
        tables = _pool_output(session, view, who, members)
    for table in tables:
        out.print(table)


# --- Items ------------------------------------------------------------------------------------

item_app = new_app(
    "One family's way through the workflow: each command is one move, by the signed-in account."
)


@item_app.command("show")
def item_show(item_id: ItemArg) -> None:
    """The item's timeline: moves, notices, fear claims, movements and check-ins (a receiver or
    monitor sees no notice, claim or interview). The read is audited."""
    with acting("items.get") as (session, _, who):
        view = views.item_view(session, item_id, who)
        renderable = item_renderable(view)
    out.print(renderable)


@item_app.command("notice-copy")
def item_notice_copy(
    item_id: ItemArg,
    case_id: Annotated[str, typer.Argument(metavar="CASE_ID")],
    out_file: Annotated[
        Path | None,
        typer.Option("--out", help="Write the document (PDF) here.", dir_okay=False),
    ] = None,
    notice_id: Annotated[
        int | None, typer.Option("--notice", help="One notice (default: each served on CASE_ID).")
    ] = None,
) -> None:
    """Typeset a served notice again from its stored template and inputs, and show that its
    SHA-256 matches the one recorded when it was served (exit 1 if it does not)."""
    from accord.proposals import notices

    lines: list[str] = []
    matches = True
    with acting("items.notice_document") as (session, _, who):
        views.readable_item(session, item_id, who)
        found = views.notice_documents(session, item_id, who, case_id=case_id)
        if notice_id is not None:
            found = [n for n in found if n.id == notice_id]
        if not found:
            raise NotFound(f"no notice document for {case_id} on item {item_id}")
        for notice in found:
            copy = notices.notice_copy(session, notice.id)
            matches &= copy.matches
            lines.append(
                f"notice {notice.id} to {notice.case_id} ({notice.recipient}) served on"
                f" {notice.served_on} in {notice.language}"
                + (
                    f", read in {notice.read_in} by {notice.interpreter}"
                    if notice.interpreter
                    else ""
                )
            )
            lines.append(f"  recorded sha256 {notice.document_sha256}")
            lines.append(
                f"  typeset   sha256 {copy.document.sha256}:"
                + (" matches" if copy.matches else " DOES NOT MATCH")
            )
            if copy.document.renderer != notice.renderer:
                lines.append(f"  typeset by {copy.document.renderer}; served by {notice.renderer}")
            if out_file is not None and notice is found[-1]:
                out_file.write_bytes(copy.document.pdf)
                lines.append(f"  written to {out_file}")
    for line in lines:
        out.print(line)
    if not matches:
        raise typer.Exit(1)


def _bare(annotation: Any) -> Any:
    """A body field's type without `None` and without its validators (`FreeText` is `str`)."""
    if get_origin(annotation) is Annotated:
        return _bare(get_args(annotation)[0])
    if get_origin(annotation) in (Union, UnionType):
        [kept] = [a for a in get_args(annotation) if a is not type(None)]
        return _bare(kept)
    return annotation


def _parameter(move: Move, param: CliParam) -> inspect.Parameter:
    """A command's parameter for one field of the move's body: its type, choices and whether it
    is required are the body's; a date or a moment is read in the formats the move names."""
    assert move.body is not None
    field = move.body.model_fields[param.field]
    kind = _bare(field.annotation)
    help_text = param.help or field.description or ""
    typed: Any = kind
    if kind in (dt.date, dt.datetime):
        typed = dt.datetime
    elif get_origin(kind) is Literal and not all(isinstance(v, str) for v in get_args(kind)):
        typed = int  # numbers as numbers: the body refuses one that is not among them
    info: Any
    if param.flag is None:
        info = typer.Argument(metavar=param.metavar, help=help_text, show_default=False)
    else:
        info = typer.Option(
            param.flag,
            help=help_text,
            formats=list(param.formats) or None,
            metavar=param.metavar,
            show_default=False,
        )
    if kind is bool:
        default: Any = False  # a flag: set when given
    elif field.is_required():
        default = inspect.Parameter.empty
    else:
        default = field.default
    return inspect.Parameter(
        param.field,
        inspect.Parameter.KEYWORD_ONLY,
        annotation=Annotated[typed, info],
        default=default,
    )


def _body(move: Move, given: dict[str, Any]) -> BaseModel | None:
    """The move's body from the command's arguments, checked by its model: a value it refuses
    is named by its option, as the command line names it."""
    if move.body is None:
        return None
    fields = move.body.model_fields
    values: dict[str, Any] = {}
    for param in move.cli:
        value = given[param.field]
        if param.negated:
            value = not value
        elif isinstance(value, dt.datetime) and _bare(fields[param.field].annotation) is dt.date:
            value = value.date()  # a day is read as a moment at midnight
        values[param.field] = value
    try:
        return move.body.model_validate(values)
    except ValidationError as exc:
        names = {p.field: p.flag or p.metavar or p.field.upper() for p in move.cli}
        where = [str(e["loc"][0]) if e["loc"] else move.verb for e in exc.errors()]
        problems = [
            Problem(names.get(w, w), e["msg"]) for w, e in zip(where, exc.errors(), strict=True)
        ]
        raise InvalidInput(move.verb, problems) from None


def _move_command(binding: Binding[Any, Any]) -> None:
    """`accord item <verb> ITEM_ID …`: the move's body read from its arguments, then its command
    as the signed-in account, allowed by the move's access rule, in one transaction; what it did
    printed as `say` puts it."""
    move = binding.move

    def command(**given: Any) -> None:
        item_ids = given.pop("item_id")
        request_id = given.pop("request_id", None)
        if move.one_family:
            if len(item_ids) != 1:
                raise InvalidInput(
                    move.verb,
                    [Problem("ITEM_ID", f"{len(item_ids)} items given; {move.one_family}")],
                )
            [item_id] = item_ids
        else:
            item_id = item_ids
        body = _body(move, given)
        with acting(move.rule) as (session, clock, who):
            done = binding.command(session, item_id, body, who, clock, request_id)
            lines = say(done, item_id, session, today(clock))
        for line in lines:
            out.print(escape(line), soft_wrap=True)

    item: Any = ItemArg
    if move.one_family:
        item = Annotated[
            list[int],
            typer.Argument(metavar="ITEM_ID", help=f"Exactly one item: {move.one_family}."),
        ]
    parameters = [
        inspect.Parameter("item_id", inspect.Parameter.KEYWORD_ONLY, annotation=item),
        *(_parameter(move, param) for param in move.cli),
    ]
    if binding.retries:
        parameters.append(
            inspect.Parameter(
                "request_id", inspect.Parameter.KEYWORD_ONLY, annotation=RequestOption, default=None
            )
        )
    command.__signature__ = inspect.Signature(parameters, return_annotation=None)  # type: ignore[attr-defined]
    command.__name__ = f"item_{move.name}"
    command.__doc__ = move.help
    item_app.command(move.verb)(command)


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


def say(done: object, item_id: int, session: Session, day: dt.date) -> list[str]:
    """What a move did, in lines, from what its command returned (read in its transaction: a
    notice tells who is still to be served)."""
    if isinstance(done, Moved):
        return [moved_text(done)]
    if isinstance(done, NoticeRecorded):
        attempt = f"notice to {done.case_id} ({done.recipient}) in {done.language} on {done.on}:"
        attempt += f" {done.outcome.replace('_', ' ')}"
        attempt += "" if done.outcome == "served" else " (not service)"
        standing = views.notice_standing(session, item_id, day)
        document = (
            f"document: notice {done.notice_id}, sha256 {done.document_sha256}"
            f" (accord item notice-copy {item_id} {done.case_id} --out FILE writes it)"
        )
        return [attempt, document, notice_text(item_id, done.moved, standing)]
    if isinstance(done, InterviewSet):
        return [
            f"item {item_id}: fear interview of {done.case_id} set for"
            f" {done.at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"
        ]
    if isinstance(done, views.CheckInView):
        return [f"item {item_id}: {done.days}-day check-in recorded on {done.done_on}"]
    return [f"item {item_id}: done"]


for _binding in BINDINGS.values():
    _move_command(_binding)


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
        with acting("pools.get") as (session, _, who):
            tables = _pool_output(session, views.pool_view(session, pool, who), who, True)
        for table in tables:
            out.print(table)
        out.print(
            f"decide in a CSV file ({','.join(REVIEW_COLUMNS)}), then `accord review FILE`",
            soft_wrap=True,
        )
        return
    assert file is not None
    with signed_in("pools.decide") as who:
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
