"""Pages of a receiving deployment (docs/exchange.md): the pools peers proposed to our party,
family by family, and each family through the minimized records held here, with the steps our
reviewer may take on it now: accept, reject or revoke; record its arrival; record what became
of it after.

Pages read and act through what the API's `received.*` routes call (`accord.exchange.views`,
`accord.exchange.receiver`): a reviewer of our own party only, the same refusals, the same audit
events. Each step is recorded here and queued to the sender, which stays the authority: a step
its workflow refuses comes back, is undone here, and shows on the family's page with why."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import get_args

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from accord.db import unit_of_work
from accord.errors import Conflict, NotFound
from accord.exchange import receiver
from accord.exchange.keys import OwnKeys
from accord.exchange.schemas import (
    ReceivedCheckInIn,
    ReceivedDecisionIn,
    ReceivedIncidentIn,
    ReceivedOnwardIn,
)
from accord.exchange.sender import COUNTED_RESERVED
from accord.exchange.views import received_family, received_items, reviewer_keys
from accord.models import ReceivedItem
from accord.records.countries import country_label
from accord.records.vocabulary import INCIDENT_KIND_NAMES, OnwardOutcome, RejectionCode
from accord.web.forms import body_of, whole_number
from accord.web.pages import PageCaller, done, form_text, render
from accord.web.paths import ReceivedId
from accord.web.state import state_of

router = APIRouter(include_in_schema=False)
REASONS: tuple[RejectionCode, ...] = get_args(RejectionCode)
ONWARD: tuple[OnwardOutcome, ...] = get_args(OnwardOutcome)
REVOCABLE = COUNTED_RESERVED
"""The states an acceptance may be revoked in, as `receiver.decide` allows."""
DONE = {"accept": "accepted", "reject": "rejected", "revoke": "revoked"}


@dataclass
class ReceivedPool:
    """One pool a peer proposed, as the list shows it."""

    sender: str
    agreement_id: str
    pool_id: int
    proposed_on: dt.date
    families: list[ReceivedItem] = field(default_factory=list)

    @property
    def people(self) -> int:
        return sum(f.size for f in self.families)

    @property
    def waiting(self) -> int:
        return sum(f.state == "proposed" for f in self.families)


def _ours(request: Request, caller: PageCaller) -> OwnKeys:
    return reviewer_keys(state_of(request).store.settings.keys_file, caller.actor)


@router.get("/received", name="pages.received.list", response_class=HTMLResponse)
def received_list(request: Request, caller: PageCaller) -> HTMLResponse:
    """Every family received, by pool, the pools with families waiting for a decision first.
    A deployment with no exchange keys receives nothing: the page says so, rather than fail
    the reviewer who follows its link."""
    try:
        _ours(request, caller)
    except Conflict as missing:
        return render(
            request,
            "received.html",
            {"pools": [], "unavailable": missing.detail, "nav": "received"},
            caller=caller,
        )
    pools: dict[tuple[str, str, int], ReceivedPool] = {}
    with unit_of_work(state_of(request).store.sessions) as session:
        for row in session.scalars(received_items()):
            pool = pools.setdefault(
                (row.sender, row.agreement_id, row.pool_id),
                ReceivedPool(row.sender, row.agreement_id, row.pool_id, row.proposed_on),
            )
            pool.families.append(row)
    shown = sorted(pools.values(), key=lambda p: (p.waiting == 0, -p.proposed_on.toordinal()))
    return render(
        request,
        "received.html",
        {
            "pools": shown,
            "unavailable": None,
            "nav": "received",
            "incident_kinds": INCIDENT_KIND_NAMES,
        },
        caller=caller,
    )


@router.get("/received/{received_id}", name="pages.received.get", response_class=HTMLResponse)
def received_page(request: Request, received_id: ReceivedId, caller: PageCaller) -> HTMLResponse:
    """The family through the minimized records, its state here, and a form for each step the
    state allows."""
    _ours(request, caller)
    with unit_of_work(state_of(request).store.sessions) as session:
        seen = received_family(session, received_id, caller.actor)
    return render(
        request,
        "received_item.html",
        {
            "item": seen,
            "reasons": REASONS,
            "onward": ONWARD,
            "revocable": seen.state in REVOCABLE,
            "checkable": seen.state in receiver.AFTER_ARRIVAL and seen.arrived_on is not None,
            "nav": "received",
        },
        caller=caller,
    )


def _recorded(session: Session, received_id: int, what: str) -> RedirectResponse:
    """Back to the family, with what was recorded and where it went."""
    item = session.get(ReceivedItem, received_id)
    if item is None:  # the step has just found it
        raise NotFound(f"no received item {received_id}")
    return done(
        f"/received/{received_id}",
        f"Family {item.family_id}: {what}. Recorded here and sent to"
        f" {country_label(item.sender)}, whose workflow applies it (a refusal shows here).",
    )


def _words(value: str) -> str:
    return value.replace("_", " ")


@router.post("/received/{received_id}/decision", name="pages.received.decide")
async def received_decide(
    request: Request, received_id: ReceivedId, caller: PageCaller
) -> RedirectResponse:
    """Accept, reject or revoke: the form read as the API's body; a rejection or revocation
    without its reason code and reason is refused by the command, as the API refuses it."""
    own = _ours(request, caller)
    form = await request.form()
    decision = form_text(form, "decision")
    reasoned = decision != "accept"
    body = body_of(
        ReceivedDecisionIn,
        form,
        {
            "decision": decision,
            "reason_code": form_text(form, "reason_code") if reasoned else None,
            "reason_text": form_text(form, "reason_text") if reasoned else None,
        },
    )
    state = state_of(request)
    with unit_of_work(state.store.sessions) as session:
        receiver.decide(
            session,
            own,
            received_id,
            body.decision,
            caller.actor,
            state.clock.now(),
            reason_code=body.reason_code,
            reason_text=body.reason_text,
        )
        what = DONE[body.decision]
        if body.reason_code:
            what += f" ({_words(body.reason_code)}: {body.reason_text})"
        return _recorded(session, received_id, what)


@router.post("/received/{received_id}/arrival", name="pages.received.arrive")
async def received_arrive(
    request: Request, received_id: ReceivedId, caller: PageCaller
) -> RedirectResponse:
    """The scheduled family arrived today."""
    own = _ours(request, caller)
    state = state_of(request)
    now = state.clock.now()
    with unit_of_work(state.store.sessions) as session:
        receiver.arrive(session, own, received_id, caller.actor, now)
        return _recorded(session, received_id, f"arrived on {now.date()}")


@router.post("/received/{received_id}/onward", name="pages.received.onward")
async def received_onward(
    request: Request, received_id: ReceivedId, caller: PageCaller
) -> RedirectResponse:
    """What became of the family after its arrival, with an optional detail."""
    own = _ours(request, caller)
    form = await request.form()
    body = body_of(
        ReceivedOnwardIn,
        form,
        {"outcome": form_text(form, "outcome"), "detail": form_text(form, "detail")},
    )
    state = state_of(request)
    with unit_of_work(state.store.sessions) as session:
        receiver.onward(
            session,
            own,
            received_id,
            body.outcome,
            caller.actor,
            state.clock.now(),
            detail=body.detail,
        )
        detail = f" ({body.detail})" if body.detail else ""
        return _recorded(session, received_id, f"onward outcome {_words(body.outcome)}{detail}")


@router.post("/received/{received_id}/check-in", name="pages.received.check_in")
async def received_check_in(
    request: Request, received_id: ReceivedId, caller: PageCaller
) -> RedirectResponse:
    """A monitoring check-in on a family that arrived; the sender records it against its own due
    day, or refuses one not yet due (the refusal shows here)."""
    own = _ours(request, caller)
    form = await request.form()
    body = body_of(
        ReceivedCheckInIn,
        form,
        {"days": whole_number(form, "days"), "note": form_text(form, "note")},
    )
    state = state_of(request)
    with unit_of_work(state.store.sessions) as session:
        receiver.check_in(
            session, own, received_id, body.days, caller.actor, state.clock.now(), note=body.note
        )
        return _recorded(session, received_id, f"the {body.days}-day check-in")


@router.post("/received/incidents", name="pages.received.incident")
async def received_incident(request: Request, caller: PageCaller) -> RedirectResponse:
    """An incident under an agreement we receive under, sent to its sender (onward removal or
    ill-treatment suspends the agreement there at once, S15)."""
    own = _ours(request, caller)
    form = await request.form()
    body = body_of(
        ReceivedIncidentIn,
        form,
        {
            "agreement_id": form_text(form, "agreement_id"),
            "kind": form_text(form, "kind"),
            "text": form_text(form, "text"),
        },
    )
    state = state_of(request)
    with unit_of_work(state.store.sessions) as session:
        receiver.report_incident(
            session, own, body.agreement_id, body.kind, body.text, caller.actor, state.clock.now()
        )
    return done(
        "/received",
        f"Incident ({INCIDENT_KIND_NAMES[body.kind].lower()}) under {body.agreement_id} sent to"
        " the sender.",
    )
