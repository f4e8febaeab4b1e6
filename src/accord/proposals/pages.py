"""Pages of pools and items: the proposal builder (the matcher's pool, why each family was
chosen, families added or left out by hand with a reason, then sent), the review queue and a
pool's page (the receiver's minimized view; each family accepted or rejected on its own, or
several selected and decided together, each recorded individually), and one item's page with
every move the table allows its reader next (notices, fear claims, interviews, clearance,
movements, onward outcomes, check-ins).

Pages call the same commands and read models as the API (`accord.proposals.views`, the moves'
bindings in `accord.monitoring.moves`): the same guards, the same audit events, the same
refusals a reviewer may read. Each move's form is built from its declaration
(`accord.workflow.moves`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from accord.access import Actor, acts_for_sender, may_see, may_use, sees_claims
from accord.agreements.service import stored_agreement, stored_agreements
from accord.clock import today
from accord.db import one_transaction, unit_of_work
from accord.documents.service import approved_languages
from accord.errors import AccordError, Forbidden, InvalidInput, MalformedInput, NotFound, Problem
from accord.matching.proposal import Balance
from accord.monitoring.moves import BINDINGS
from accord.proposals import jobs, planning, repository, views
from accord.proposals.batch import Decision, review_pool
from accord.proposals.moves import Binding, InterviewSet, NoticeRecorded
from accord.proposals.notices import served_document
from accord.proposals.pools import (
    match,
    matcher_input,
    propose_pools,
    record_computed,
    record_pins,
)
from accord.proposals.service import Moved
from accord.records.agreement import AgreementIn
from accord.records.countries import country_label
from accord.records.moves import DecisionsIn
from accord.records.text import FreeText
from accord.records.vocabulary import FearFinding, OnwardOutcome, Recipient, RejectionCode
from accord.web.files import pdf_response
from accord.web.forms import body_of, move_body, whole_number
from accord.web.pages import (
    PageCaller,
    done,
    form_text,
    form_texts,
    is_htmx,
    local,
    render,
)
from accord.web.paths import ROW_ID, ItemId, JobId, NoticeId, PoolId
from accord.web.state import state_of

router = APIRouter(include_in_schema=False)
REASONS: tuple[RejectionCode, ...] = get_args(RejectionCode)
ONWARD: tuple[OnwardOutcome, ...] = get_args(OnwardOutcome)
RECIPIENT_TEXT: dict[Recipient, str] = {"person": "the person", "counsel": "counsel"}
FINDING_TEXT: dict[FearFinding, str] = {
    "negative": "negative (a reopening window follows)",
    "positive": "positive (protected: never proposed to this receiver again)",
}
"""How the item page's choices read: one line for each word of the vocabulary
(`accord.records.vocabulary`), in the order offered (the first is the form's default)."""
assert set(RECIPIENT_TEXT) == set(get_args(Recipient))
assert set(FINDING_TEXT) == set(get_args(FearFinding))

_text = form_text


def _row_id(form: FormData, name: str) -> int | None:
    """A row's id carried by a form (None when absent), refused by name when it is not one."""
    found = whole_number(form, name)
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


def _visible_agreement(session: Session, caller: PageCaller, agreement_id: str) -> AgreementIn:
    """The agreement, not found unless the user may see it (as the API's `agreements.get`)."""
    agreement = stored_agreement(session, agreement_id)
    if not may_see(caller.principal.role, caller.principal.party, agreement):
        raise NotFound(f"no agreement {agreement_id!r}")
    return agreement


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
async def builder_preview(request: Request, caller: PageCaller) -> Response:
    """The matcher's pool for the agreement now, with the pins given; nothing is stored (the
    run is audited, as the API's preview). A run over more eligible pairs than a request may
    hold (`ACCORD_JOB_ABOVE_PAIRS`) is done as a job: the page then follows its progress."""
    form = await request.form()
    state = state_of(request)
    agreement_id = _text(form, "agreement_id") or ""
    horizon = _text(form, "horizon")
    if horizon:
        return _planned_preview(request, caller, agreement_id, horizon)
    pinned_in, pinned_out = _pins(form, "in"), _pins(form, "out")
    balance = _balance(form)
    pins_in = [(f, agreement_id) for f, _ in pinned_in]
    pins_out = [(f, agreement_id) for f, _ in pinned_out]
    with unit_of_work(state.store.sessions) as session:
        agreement = _visible_agreement(session, caller, agreement_id)
        if not acts_for_sender(caller.principal.role, caller.principal.party, agreement):
            raise Forbidden(
                f"{caller.principal.name} does not act for the sender of {agreement_id}"
            )
        day = today(state.clock)
        given = matcher_input(session, [agreement], day)
        job_id = None
        if given.pairs >= state.store.settings.job_above_pairs:
            ask = _ask(request, agreement_id, pinned_in, pinned_out, balance, store=False)
            job_id = jobs.submit(session, ask, caller.actor, state.clock).id
    if job_id is not None:
        card = _job_fragment(request, caller, job_id)  # queued: the card, whatever comes next
        await state.jobs.enqueue(job_id)
        return card
    proposal = match(
        given,
        pinned_in=pins_in,
        pinned_out=pins_out,
        balance=balance,
        time_limit=state.store.settings.max_solve_seconds,
    )
    with unit_of_work(state.store.sessions) as session:
        record_computed(session, caller.principal.name, proposal, day)
    return _preview(
        request,
        caller,
        agreement,
        jobs.preview_result(proposal),
        pinned_in,
        pinned_out,
        _text(form, "max_share") or "",
        form.get("pace") == "on",
    )


def _ask(
    request: Request,
    agreement_id: str,
    pinned_in: Sequence[tuple[str, str]],
    pinned_out: Sequence[tuple[str, str]],
    balance: Balance,
    *,
    store: bool,
) -> jobs.PreviewAsk:
    """The builder's question as a job asks it: one agreement, the pins with their reasons."""
    return jobs.PreviewAsk(
        (agreement_id,),
        tuple((f, agreement_id, r) for f, r in pinned_in),
        tuple((f, agreement_id, r) for f, r in pinned_out),
        balance.max_nationality_share,
        balance.pace_monthly,
        state_of(request).store.settings.max_solve_seconds,
        store=store,
    )


def _sender_agreement(session: Session, caller: PageCaller, agreement_id: str) -> AgreementIn:
    agreement = _visible_agreement(session, caller, agreement_id)
    if not acts_for_sender(caller.principal.role, caller.principal.party, agreement):
        raise Forbidden(f"{caller.principal.name} does not act for the sender of {agreement_id}")
    return agreement


def _planned_preview(
    request: Request, caller: PageCaller, agreement_id: str, horizon: str
) -> HTMLResponse:
    """This month's pool of a plan over the horizon, with what it held back and why; nothing is
    stored (the run is audited as `proposal.planned`)."""
    state = state_of(request)
    months = planning.horizon_months(horizon)
    with unit_of_work(state.store.sessions) as session:
        agreement = _sender_agreement(session, caller, agreement_id)
        day = today(state.clock)
        planned = planning.plan_pools(session, [agreement], day, months)
        planning.record_computed_plan(session, caller.principal.name, planned, day)
    plan = planned.plan
    placed = sorted(
        (p for p in plan.chosen if p.agreement_id == agreement_id),
        key=lambda p: (-p.score, p.family_id),
    )
    families: list[dict[str, Any]] = [
        {
            "family_id": p.family_id,
            "size": p.size,
            "score": p.score,
            "why": f"planned over {months} months",
            "pinned": False,
        }
        for p in placed
    ]
    result: dict[str, Any] = {
        "agreements": [
            {
                "agreement_id": agreement_id,
                "pool_limit": sum(p.size for p in placed),
                "families": families,
            }
        ]
        if families
        else [],
        "gap": None,
        "skipped": [{"agreement_id": a, "note": why} for a, why in planned.skipped],
    }
    return _preview(
        request,
        caller,
        agreement,
        result,
        [],
        [],
        "",
        False,
        horizon=horizon,
        planned={
            "months": months,
            "month": plan.month,
            "score_now": plan.score_now,
            "expected_later": plan.expected_later,
            "held_back": [h.reason for h in plan.held_back if h.agreement_id == agreement_id],
            "deferred": [d for d in plan.deferred if d.agreement_id == agreement_id],
        },
    )


def _preview(
    request: Request,
    caller: PageCaller,
    agreement: AgreementIn,
    result: dict[str, Any],
    pinned_in: Sequence[tuple[str, str]],
    pinned_out: Sequence[tuple[str, str]],
    max_share: str,
    pace: bool,
    job: jobs.JobView | None = None,
    *,
    horizon: str | None = None,
    planned: dict[str, Any] | None = None,
) -> HTMLResponse:
    """The pool the matcher answered (inline, or as a job's result, with how its run went) in
    the builder's form."""
    pool = next((p for p in result["agreements"] if p["agreement_id"] == agreement.id), None)
    return render(
        request,
        "_builder_preview.html",
        {
            "agreement": agreement,
            "pool": pool,
            "gap": result["gap"],
            "pinned_in": pinned_in,
            "pinned_out": pinned_out,
            "max_share": max_share,
            "pace": pace,
            "skipped": [s["note"] for s in result["skipped"] if s["agreement_id"] == agreement.id],
            "job": job,
            "curve": curve(job.progress) if job else None,
            "horizon": horizon,
            "planned": planned,
        },
        caller=caller,
    )


def _job_fragment(request: Request, caller: PageCaller, job_id: int) -> Response:
    state = state_of(request)
    with unit_of_work(state.store.sessions) as session:
        view = jobs.job_view(session, job_id, caller.actor, state.clock.now())
        agreement = _visible_agreement(session, caller, view.ask.agreement_ids[0])
    if view.state == "done" and view.result is not None and view.ask.store:
        pool_id = view.result["pools"][0]
        if is_htmx(request):
            return HTMLResponse("", headers={"HX-Redirect": f"/pools/{pool_id}"})
        return done(f"/pools/{pool_id}", f"Pool {pool_id} sent for review.")
    if view.state == "done" and view.result is not None:
        ask = view.ask
        return _preview(
            request,
            caller,
            agreement,
            view.result,
            [(f, r) for f, _, r in ask.pinned_in],
            [(f, r) for f, _, r in ask.pinned_out],
            "" if ask.max_share >= 1 else f"{ask.max_share * 100:g}",
            ask.pace,
            view,
        )
    return render(
        request,
        "_builder_job.html" if is_htmx(request) else "builder_job.html",
        {"job": view, "agreement": agreement, "curve": curve(view.progress), "nav": "review"},
        caller=caller,
    )


def curve(points: Sequence[dict[str, Any]], width: int = 320, height: int = 80) -> dict[str, str]:
    """The run's best plan and proven bound over time as two SVG polylines (no script)."""
    values = [v for p in points for v in (p["best"], p["bound"]) if v is not None and v < 1e300]
    if len(points) < 2 or not values:
        return {"best": "", "bound": ""}
    low, high = min(values), max(values)
    span_t = max(points[-1]["t"], 1e-9)
    span_v = max(high - low, 1e-9)

    def line(key: str) -> str:
        return " ".join(
            f"{p['t'] / span_t * width:.1f},{height - (p[key] - low) / span_v * height:.1f}"
            for p in points
            if p[key] is not None and p[key] < 1e300
        )

    return {"best": line("best"), "bound": line("bound")}


@router.get("/pools/new/jobs/{job_id}", name="pages.builder_job", response_class=HTMLResponse)
def builder_job(request: Request, caller: PageCaller, job_id: JobId) -> Response:
    """A matcher job's progress (the page asks again every second), then its pool."""
    return _job_fragment(request, caller, job_id)


@router.post("/pools/new/send", name="pages.builder_send")
async def builder_send(request: Request, caller: PageCaller) -> Response:
    """Store the pool as the person left it and send it to the receiver: the matcher runs once
    more with the pins (the ledger may have moved), and every pin is audited with its reason."""
    form = await request.form()
    state = state_of(request)
    agreement_id = _text(form, "agreement_id") or ""
    horizon = _text(form, "horizon")
    if horizon:
        months = planning.horizon_months(horizon)
        with unit_of_work(state.store.sessions) as session:
            _visible_agreement(session, caller, agreement_id)
            planned = planning.propose_planned(
                session, [agreement_id], caller.actor, state.clock, months
            )
            receiver = stored_agreement(session, agreement_id).receiver
        if not planned.stored:
            raise InvalidInput(
                "the proposal",
                [Problem(agreement_id, "the plan proposes no family this month")],
            )
        pool_id = planned.stored[0].id
        return done(
            f"/pools/{pool_id}", f"Pool {pool_id} sent to {country_label(receiver)} for review."
        )
    pinned_in, pinned_out = _pins(form, "in"), _pins(form, "out")
    balance = _balance(form)
    with unit_of_work(state.store.sessions) as session:
        _visible_agreement(session, caller, agreement_id)
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
        agreement = _sender_agreement(session, caller, agreement_id)
        given = matcher_input(session, [agreement], today(state.clock))
        job_id = None
        if given.pairs >= state.store.settings.job_above_pairs:
            ask = _ask(request, agreement_id, pinned_in, pinned_out, balance, store=True)
            job_id = jobs.submit(session, ask, caller.actor, state.clock).id
    if job_id is not None:
        await state.jobs.enqueue(job_id)
        return done(f"/pools/new/jobs/{job_id}", f"Matching as job {job_id}: the pool follows.")
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
        record_pins(session, caller.principal.name, proposal.id, pinned_in, pinned_out)
        pool_id, receiver = proposal.id, stored_agreement(session, agreement_id).receiver
    return done(
        f"/pools/{pool_id}", f"Pool {pool_id} sent to {country_label(receiver)} for review."
    )


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
    """The pool as the user may see it and, for a receiver, the families still waiting for its
    decision (or only one of them) through the minimized view (DESIGN §6), each read logged; the
    items' timelines are not read."""
    actor = caller.actor
    members: dict[int, Any] = {}
    with unit_of_work(state_of(request).store.sessions) as session:
        view = views.pool_view(session, pool_id, actor)
        pool = views.pool_seen(view.proposal, view.items, actor)
        if pool.view == "receiver":
            chosen = [item for item in views.waiting(view) if only in (None, item.id)]
            members = views.family_members(session, chosen, actor)
    return {
        "pool": pool,
        "members": members,
        "reasons": REASONS,
        "waiting": [i for i in pool.items if i.state == "proposed"],
        "nav": "review",
    }


@router.get("/pools/{pool_id}", name="pages.pool", response_class=HTMLResponse)
def pool_page(request: Request, pool_id: PoolId, caller: PageCaller) -> HTMLResponse:
    return render(request, "pool.html", _pool_context(request, pool_id, caller), caller=caller)


@router.post("/pools/{pool_id}/decide", name="pages.pool_decide")
async def pool_decide(request: Request, pool_id: PoolId, caller: PageCaller) -> Response:
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
    body = body_of(DecisionsIn, form, fields)
    state = state_of(request)
    outcomes = review_pool(
        state.store.sessions,
        pool_id,
        [Decision(d.item_id, d.decision, d.reason_code, d.reason_text) for d in body.decisions],
        caller.actor,
        state.clock,
    )
    done_now = [o for o in outcomes if o.done and not o.repeated]
    refused = [o for o in outcomes if not o.done]
    verb = "accepted" if decision == "accept" else "rejected"
    text = f"{len(done_now)} {'family' if len(done_now) == 1 else 'families'} {verb}."
    if refused:
        text += " Refused: " + "; ".join(f"item {o.item_id}: {o.refusal}" for o in refused)
    return done(f"/pools/{pool_id}", text, kind="warn" if refused else "ok")


# --- One item and its moves -------------------------------------------------------------------


@router.get("/items/{item_id}", name="pages.item", response_class=HTMLResponse)
def item_page(request: Request, item_id: ItemId, caller: PageCaller) -> HTMLResponse:
    """The item as the user may see it (`accord.proposals.views.item_seen`), with a form for
    each move the table allows next that the user may make."""
    actor = caller.actor
    extra: dict[str, Any] = {}
    with unit_of_work(state_of(request).store.sessions) as session:
        item = views.item_seen(session, item_id, actor)
        if sees_claims(actor.role):
            extra["notices"] = repository.notice_records(session, item_id)
            extra["claims"] = repository.fear_claims(session, item_id)
            extra["approved_languages"] = approved_languages(session, state_of(request).clock)
    return render(
        request,
        "item.html",
        {
            "item": item,
            "reasons": REASONS,
            "onward": ONWARD,
            "recipients": list(RECIPIENT_TEXT.items()),
            "findings": list(FINDING_TEXT.items()),
            "may_make": [
                b.move.name for b in BINDINGS.values() if may_use(actor.role, b.move.rule)
            ],
            "nav": "review",
            **extra,
        },
        caller=caller,
    )


@router.get(
    "/items/{item_id}/notices/{notice_id}.pdf",
    name="pages.notice_document",
    response_class=Response,
)
def notice_document_page(
    request: Request, item_id: ItemId, notice_id: NoticeId, caller: PageCaller
) -> Response:
    """The document a notice served: typeset again from what was stored, the same bytes."""
    with unit_of_work(state_of(request).store.sessions) as session:
        copy = served_document(session, item_id, notice_id, caller.actor)
        name = f"notice-{item_id}-{copy.notice.case_id}-{notice_id}.pdf"
    return pdf_response(copy.document.pdf, name)


def described(done: object) -> str:
    """What a move did, in a line for the page it returns to: from what its command returned."""
    if isinstance(done, Moved):
        repeated = " (already done: nothing new)" if done.repeated else ""
        to_state = done.to_state.replace("_", " ")
        return f"Item {done.item_id}: {done.action.replace('_', ' ')} → {to_state}{repeated}."
    if isinstance(done, NoticeRecorded):
        return (
            f"Notice to {done.case_id} ({done.recipient}) recorded:"
            f" {done.outcome.replace('_', ' ')}; document sha256 {done.document_sha256[:16]}…"
        )
    if isinstance(done, views.CheckInView):
        return f"{done.days}-day check-in recorded."
    if isinstance(done, InterviewSet):
        return f"Interview scheduled for {done.at}."
    return "Done."


def _make(
    request: Request, binding: Binding[Any, Any], item_id: int, body: object, actor: Actor
) -> object:
    """The move's command, on an item the user may read (any other is not found), in a unit of
    work of its own: inside the page's transaction, a refusal undoes the move's own writes."""
    state = state_of(request)
    with unit_of_work(state.store.sessions) as session:
        views.readable_item(session, item_id, actor)
        return binding.command(session, item_id, body, actor, state.clock, None)


def _move_route(binding: Binding[Any, Any]) -> None:
    move = binding.move

    async def make(request: Request, item_id: ItemId, caller: PageCaller) -> Response:
        """The move, then the page that shows it, as one transaction. Every field of the form
        is read and checked before the move; a failure after it undoes it."""
        form = await request.form()
        back = local(_text(form, "back"), f"/items/{item_id}")
        sessions = state_of(request).store.sessions
        # The review queue's row is redrawn only for those who read pools: anyone else (a
        # monitor recording a check-in) gets the item page, never a pool's rows and records.
        if not is_htmx(request) or not may_use(caller.principal.role, "pools.get"):
            checked = move_body(move, form)
            with one_transaction(sessions):
                note = described(_make(request, binding, item_id, checked, caller.actor))
            return done(back, note)
        # The review queue's row, redrawn in place with the decision or the refusal.
        pool_id = _row_id(form, "pool_id")
        refusal: AccordError | None = None
        body: object = None
        try:
            body = move_body(move, form)
        except MalformedInput as exc:  # shown in the row; no move is tried
            refusal = exc
        with one_transaction(sessions) as session:
            item = views.readable_item(session, item_id, caller.actor)
            if pool_id not in (None, item.proposal_id):
                raise NotFound(f"no item {item_id} in pool {pool_id}")
            note = ""
            if refusal is None:
                try:
                    note = described(_make(request, binding, item_id, body, caller.actor))
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

    make.__name__ = f"page_{move.name}"
    router.add_api_route(
        move.path(), make, methods=["POST"], name=move.page, include_in_schema=False
    )


for _binding in BINDINGS.values():
    _move_route(_binding)
