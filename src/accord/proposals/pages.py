"""Pages of pools and items: the proposal builder (the matcher's pool, why each family was
chosen, families added or left out by hand with a reason, then sent), the review queue and a
pool's page (the receiver's minimized view; each family accepted or rejected on its own, or
several selected and decided together, each recorded individually), and one item's page with
every move the table allows its reader next (notices, fear claims, interviews, clearance,
movements, onward outcomes, check-ins).

Moves go through the API's own functions: the same guards, the same audit events, the same
refusals a reviewer may read."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from accord.access import RULES, SEES_CLAIMS, acts_for_sender, may_see
from accord.agreements import api as agreements_api
from accord.agreements.service import stored_agreement, stored_agreements
from accord.audit.service import Entry, record_many
from accord.clock import today
from accord.db import one_transaction, unit_of_work
from accord.errors import AccordError, Forbidden, InvalidInput, MalformedInput, NotFound, Problem
from accord.matching.proposal import Balance
from accord.proposals import api as proposals_api
from accord.proposals import repository, views
from accord.proposals.pools import match_stored, propose_pools, record_computed
from accord.proposals.service import REJECTION_CODES
from accord.records.text import FreeText
from accord.web.pages import (
    PageCaller,
    done,
    form_text,
    form_texts,
    is_htmx,
    local,
    render,
    state_of,
)

router = APIRouter(include_in_schema=False)
ONWARD = ("returned_home", "remained", "moved_on", "absconded", "re_transferred")


def body_of(model: type[BaseModel], form: FormData, fields: dict[str, Any]) -> BaseModel:
    """A form's fields as the API's body model; a field that does not parse is named, and the
    form is refused as the API refuses the same body (422)."""
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        problems = [
            Problem(".".join(str(p) for p in e["loc"]) or "form", e["msg"]) for e in exc.errors()
        ]
        raise MalformedInput("the form", problems) from None


_text = form_text


def _whole_number(form: FormData, name: str) -> int | str | None:
    """A number typed in a form: an int when it is written in ASCII digits, else the text as it
    came, for the body model to refuse by name (`int()` would read '²' and fail, or '٣')."""
    text = _text(form, name)
    return int(text) if text is not None and text.isascii() and text.isdigit() else text


ROW_ID = 2**31 - 1
"""The largest id of a stored row (the database's integer)."""


def _row_id(form: FormData, name: str) -> int | None:
    """A row's id carried by a form (None when absent), refused by name when it is not one."""
    found = _whole_number(form, name)
    if found is None:
        return None
    if not isinstance(found, int) or not 1 <= found <= ROW_ID:
        raise MalformedInput("the form", [Problem(name, f"an id from 1 to {ROW_ID}")])
    return found


# --- The proposal builder ---------------------------------------------------------------------


def _pins(form: FormData, kind: str) -> list[tuple[str, str]]:
    """Pins carried by the form as `family::reason`, plus new ones ticked or typed now."""
    pins: dict[str, str] = {}
    for raw in form_texts(form, f"pinned_{kind}"):
        family, _, reason = raw.partition("::")
        if family:
            pins[family] = reason
    if kind == "out":
        for ticked in form_texts(form, "leave_out"):
            pins[ticked] = _text(form, f"reason_{ticked}") or ""
    else:
        added = _text(form, "add_family")
        if added:
            pins[added] = _text(form, "add_reason") or ""
    return sorted(pins.items())


def _builder_agreements(request: Request, caller: PageCaller) -> list[Any]:
    p = caller.principal
    with unit_of_work(state_of(request).store.sessions) as session:
        return [
            a
            for a in stored_agreements(session)
            if a.status == "in_force" and acts_for_sender(p.role, p.party, a)
        ]


@router.get("/pools/new", name="pages.builder", response_class=HTMLResponse)
def builder(
    request: Request,
    caller: PageCaller,
    agreement: Annotated[FreeText | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    choices = _builder_agreements(request, caller)
    chosen = agreement if any(a.id == agreement for a in choices) else None
    return render(
        request,
        "builder.html",
        {"choices": choices, "chosen": chosen, "nav": "review"},
        caller=caller,
    )


def _balance(form: FormData) -> Balance:
    share = _text(form, "max_share")
    try:
        max_share = float(share) / 100 if share else 1.0
    except ValueError as exc:
        raise InvalidInput("the form", [Problem("max_share", "a percentage")]) from exc
    if not 0 < max_share <= 1:
        raise InvalidInput("the form", [Problem("max_share", "between 1 and 100 %")])
    return Balance(max_share, form.get("pace") == "on")


@router.post("/pools/new/preview", name="pages.builder_preview", response_class=HTMLResponse)
async def builder_preview(request: Request, caller: PageCaller) -> HTMLResponse:
    """The matcher's pool for the agreement now, with the pins given; nothing is stored (the
    run is audited, as the API's preview)."""
    form = await request.form()
    state = state_of(request)
    agreement_id = _text(form, "agreement_id") or ""
    pinned_in, pinned_out = _pins(form, "in"), _pins(form, "out")
    balance = _balance(form)
    agreements_api.get_agreement(request, agreement_id, caller)  # not found unless visible
    with unit_of_work(state.store.sessions) as session:
        agreement = stored_agreement(session, agreement_id)
        if not acts_for_sender(caller.principal.role, caller.principal.party, agreement):
            raise Forbidden(
                f"{caller.principal.name} does not act for the sender of {agreement_id}"
            )
        day = today(state.clock)
        proposal = match_stored(
            session,
            [agreement],
            day,
            pinned_in=[(f, agreement_id) for f, _ in pinned_in],
            pinned_out=[(f, agreement_id) for f, _ in pinned_out],
            balance=balance,
            time_limit=state.store.settings.max_solve_seconds,
        )
        record_computed(session, caller.principal.name, proposal, day)
    pool = next((p for p in proposal.pools if p.agreement_id == agreement_id), None)
    return render(
        request,
        "_builder_preview.html",
        {
            "agreement": agreement,
            "pool": pool,
            "gap": proposal.solution.gap,
            "pinned_in": pinned_in,
            "pinned_out": pinned_out,
            "max_share": _text(form, "max_share") or "",
            "pace": form.get("pace") == "on",
            "skipped": [s.note for s in proposal.skipped if s.agreement_id == agreement_id],
        },
        caller=caller,
    )


@router.post("/pools/new/send", name="pages.builder_send")
async def builder_send(request: Request, caller: PageCaller) -> Response:
    """Store the pool as the person left it and send it to the receiver: the matcher runs once
    more with the pins (the ledger may have moved), and every pin is audited with its reason."""
    form = await request.form()
    state = state_of(request)
    agreement_id = _text(form, "agreement_id") or ""
    pinned_in, pinned_out = _pins(form, "in"), _pins(form, "out")
    balance = _balance(form)
    agreements_api.get_agreement(request, agreement_id, caller)  # not found unless visible
    missing = [f for f, reason in (*pinned_in, *pinned_out) if not reason]
    if missing:
        raise InvalidInput(
            "the proposal",
            [
                Problem(f"family {f}", "a family added or left out by hand needs a reason")
                for f in missing
            ],
        )
    with unit_of_work(state.store.sessions) as session:
        _, stored = propose_pools(
            session,
            [agreement_id],
            caller.actor,
            state.clock,
            pinned_in=[(f, agreement_id) for f, _ in pinned_in],
            pinned_out=[(f, agreement_id) for f, _ in pinned_out],
            balance=balance,
            time_limit=state.store.settings.max_solve_seconds,
        )
        if not stored:
            raise InvalidInput(
                "the proposal",
                [Problem(agreement_id, "no eligible family fits the pool limit today")],
            )
        proposal = stored[0].proposal
        record_many(
            session,
            caller.principal.name,
            [
                Entry(
                    "proposal.pinned",
                    "proposal",
                    str(proposal.id),
                    {"family_id": family, "pin": kind, "reason": reason},
                )
                for kind, pins in (("in", pinned_in), ("out", pinned_out))
                for family, reason in pins
            ],
        )
        pool_id, receiver = proposal.id, stored_agreement(session, agreement_id).receiver
    return done(f"/pools/{pool_id}", f"Pool {pool_id} sent to {receiver} for review.")


# --- Pools and the review queue ---------------------------------------------------------------


@router.get("/review", name="pages.review", response_class=HTMLResponse)
def review_queue(request: Request, caller: PageCaller) -> HTMLResponse:
    """The pools the user may see, those with families waiting for a decision first."""
    state = state_of(request)
    p = caller.principal
    rows: list[dict[str, Any]] = []
    with unit_of_work(state.store.sessions) as session:
        visible = {a.id: a for a in stored_agreements(session) if may_see(p.role, p.party, a)}
        for proposal in repository.proposals(session):
            if proposal.agreement_id not in visible:
                continue
            items = repository.items(session, proposal_id=proposal.id)
            rows.append(
                {
                    "proposal": proposal,
                    "agreement": visible[proposal.agreement_id],
                    "families": len(items),
                    "people": sum(i.size for i in items),
                    "waiting": sum(i.state == "proposed" for i in items),
                }
            )
    rows.sort(key=lambda r: (r["waiting"] == 0, -r["proposal"].id))
    return render(request, "review.html", {"rows": rows, "nav": "review"}, caller=caller)


def _pool_context(
    request: Request, pool_id: int, caller: PageCaller, *, only: int | None = None
) -> dict[str, Any]:
    pool = proposals_api.get_pool(request, pool_id, caller)
    members: dict[int, Any] = {}
    if pool.view == "receiver":
        # The reviewer decides on the families' minimized records (DESIGN §6), each read logged.
        members = proposals_api.waiting_members(request, pool_id, caller, only=only)
    return {
        "pool": pool,
        "members": members,
        "reasons": REJECTION_CODES,
        "waiting": [i for i in pool.items if i.state == "proposed"],
        "nav": "review",
    }


@router.get("/pools/{pool_id}", name="pages.pool", response_class=HTMLResponse)
def pool_page(request: Request, pool_id: proposals_api.PoolId, caller: PageCaller) -> HTMLResponse:
    return render(request, "pool.html", _pool_context(request, pool_id, caller), caller=caller)


@router.post("/pools/{pool_id}/decide", name="pages.pool_decide")
async def pool_decide(
    request: Request, pool_id: proposals_api.PoolId, caller: PageCaller
) -> Response:
    """Several families decided together, each on its own (a refusal does not stop the rest)."""
    form = await request.form()
    decision = _text(form, "decision")
    chosen = [text.strip() for text in form_texts(form, "item") if text.strip()]
    if not chosen:
        raise InvalidInput("the form", [Problem("item", "select at least one family")])
    fields: dict[str, Any] = {
        "decisions": [
            {
                "item_id": i,
                "decision": decision,
                "reason_code": _text(form, "reason_code") if decision == "reject" else None,
                "reason_text": _text(form, "reason_text") if decision == "reject" else None,
            }
            for i in chosen
        ]
    }
    body = body_of(proposals_api.DecisionsIn, form, fields)
    assert isinstance(body, proposals_api.DecisionsIn)
    outcomes = proposals_api.decide(request, pool_id, body, caller)
    done_now = [o for o in outcomes if o.done and not o.repeated]
    refused = [o for o in outcomes if not o.done]
    verb = "accepted" if decision == "accept" else "rejected"
    text = f"{len(done_now)} {'family' if len(done_now) == 1 else 'families'} {verb}."
    if refused:
        text += " Refused: " + "; ".join(f"item {o.item_id}: {o.refusal}" for o in refused)
    return done(f"/pools/{pool_id}", text, kind="warn" if refused else "ok")


# --- One item and its moves -------------------------------------------------------------------


@router.get("/items/{item_id}", name="pages.item", response_class=HTMLResponse)
def item_page(request: Request, item_id: proposals_api.ItemId, caller: PageCaller) -> HTMLResponse:
    state = state_of(request)
    item = proposals_api.get_item(request, item_id, caller)
    extra: dict[str, Any] = {}
    if caller.principal.role in SEES_CLAIMS:
        with unit_of_work(state.store.sessions) as session:
            extra["notices"] = repository.notices(session, item_id)
            extra["claims"] = repository.fear_claims(session, item_id)
    return render(
        request,
        "item.html",
        {
            "item": item,
            "reasons": REJECTION_CODES,
            "onward": ONWARD,
            "nav": "review",
            **extra,
        },
        caller=caller,
    )


Fields = Callable[[FormData], dict[str, Any]]


def _no_body(form: FormData) -> dict[str, Any]:
    return {}


MOVES: dict[str, tuple[str, Callable[..., Any], type[BaseModel] | None, Fields]] = {
    "accept": ("accept", proposals_api.accept, None, _no_body),
    "reject": (
        "reject",
        proposals_api.reject,
        proposals_api.RejectIn,
        lambda f: {"reason_code": _text(f, "reason_code"), "reason_text": _text(f, "reason_text")},
    ),
    "revoke": (
        "revoke",
        proposals_api.revoke,
        proposals_api.RevokeIn,
        lambda f: {"reason_code": _text(f, "reason_code"), "reason_text": _text(f, "reason_text")},
    ),
    "withdraw": (
        "withdraw",
        proposals_api.withdraw,
        proposals_api.WithdrawIn,
        lambda f: {"reason": _text(f, "reason")},
    ),
    "notice": (
        "notices",
        proposals_api.notice,
        proposals_api.NoticeIn,
        lambda f: {
            "case_id": _text(f, "case_id"),
            "recipient": _text(f, "recipient") or "person",
            "language": _text(f, "language"),
            "signed": f.get("refused") != "on",
        },
    ),
    "fear": (
        "fear-claims",
        proposals_api.fear,
        proposals_api.FearIn,
        lambda f: {"case_id": _text(f, "case_id")},
    ),
    "interview": (
        "fear-interview",
        proposals_api.interview,
        proposals_api.InterviewIn,
        lambda f: {"at": _text(f, "at"), "case_id": _text(f, "case_id")},
    ),
    "fear_outcome": (
        "fear-outcome",
        proposals_api.fear_outcome,
        proposals_api.FearOutcomeIn,
        lambda f: {"outcome": _text(f, "outcome"), "case_id": _text(f, "case_id")},
    ),
    "clear": (
        "clear",
        proposals_api.clear,
        proposals_api.ClearIn,
        lambda f: {"medical_fit_confirmed": f.get("medical_fit_confirmed") == "on"},
    ),
    "schedule": (
        "schedule",
        proposals_api.schedule,
        proposals_api.ScheduleIn,
        lambda f: {"on": _text(f, "on")},
    ),
    "arrive": ("arrival", proposals_api.arrive, None, _no_body),
    "onward": (
        "onward",
        proposals_api.onward,
        proposals_api.OnwardIn,
        lambda f: {"outcome": _text(f, "outcome"), "detail": _text(f, "detail")},
    ),
    "check_in": (
        "check-ins",
        proposals_api.check_in,
        proposals_api.CheckInIn,
        lambda f: {
            "days": _whole_number(f, "days"),
            "note": _text(f, "note") or "",
            "audience": _text(f, "audience"),
        },
    ),
    "close": ("close", proposals_api.close, None, _no_body),
}
"""Each move of an item's page: its path, the API function that makes it, its body model, and
how the form's fields become that body."""


def _described(move: str, answer: dict[str, Any]) -> str:
    if "to_state" in answer:
        repeated = " (already done: nothing new)" if answer.get("repeated") else ""
        return f"Item {answer['item_id']}: {move.replace('_', ' ')} → {answer['to_state'].replace('_', ' ')}{repeated}."
    if "outcome" in answer and "moved" in answer:
        return f"Notice recorded: {answer['outcome'].replace('_', ' ')}."
    if "due_on" in answer:
        return f"{answer['days']}-day check-in recorded."
    if "at" in answer:
        return f"Interview scheduled for {answer['at']}."
    return "Done."


def _move_route(move: str) -> None:
    path, handler, model, fields = MOVES[move]

    async def make(request: Request, item_id: proposals_api.ItemId, caller: PageCaller) -> Response:
        """The move, then the page that shows it, as one transaction. Every field of the form
        is read and checked before the move; a failure after it undoes it."""
        form = await request.form()
        kwargs: dict[str, Any] = {
            "request": request,
            "item_id": item_id,
            "caller": caller,
            "idempotency_key": None,
        }
        back = local(_text(form, "back"), f"/items/{item_id}")
        sessions = state_of(request).store.sessions
        # The review queue's row is redrawn only for those who read pools: anyone else (a
        # monitor recording a check-in) gets the item page, never a pool's rows and records.
        if not is_htmx(request) or caller.principal.role not in RULES["pools.get"].roles:
            if model is not None:
                kwargs["body"] = body_of(model, form, fields(form))
            with one_transaction(sessions):
                answer = json.loads(handler(**kwargs).body)
            return done(back, _described(move, answer))
        # The review queue's row, redrawn in place with the decision or the refusal.
        pool_id = _row_id(form, "pool_id")
        refusal: AccordError | None = None
        try:
            if model is not None:
                kwargs["body"] = body_of(model, form, fields(form))
        except MalformedInput as exc:  # shown in the row; no move is tried
            refusal = exc
        with one_transaction(sessions) as session:
            item = views.readable_item(session, item_id, caller.actor)
            if pool_id not in (None, item.proposal_id):
                raise NotFound(f"no item {item_id} in pool {pool_id}")
            note = ""
            if refusal is None:
                try:
                    note = _described(move, json.loads(handler(**kwargs).body))
                except AccordError as exc:  # its own writes are undone; the row shows why
                    refusal = exc
            context = _pool_context(request, item.proposal_id, caller, only=item_id)
            row = next((i for i in context["pool"].items if i.id == item_id), None)
            if row is None:
                raise NotFound(f"no item {item_id} in pool {item.proposal_id}")
            return render(
                request,
                "_review_row.html",
                {
                    **context,
                    "i": row,
                    "note": refusal.detail if refusal else note,
                    "note_kind": "error" if refusal else "ok",
                },
                caller=caller,
                status=refusal.status_code if refusal else 200,
            )

    make.__name__ = f"page_{move}"
    router.add_api_route(
        f"/items/{{item_id}}/{path}",
        make,
        methods=["POST"],
        name=f"pages.items.{move}",
        include_in_schema=False,
    )


for _move in MOVES:
    _move_route(_move)
