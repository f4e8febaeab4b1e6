"""/api/v1 exchange: the inbox a peer posts its sealed messages to, the received families our
reviewers decide on (recorded here and sent back to the sender), and the channels' messages as
the operators follow them.

The inbox is public: no session or token signs a peer in, the message's own signature does
(`accord.exchange.envelope`), and a refusal writes nothing but its audit event."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Any, Literal

from anyio import to_thread
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.access import Actor
from accord.cases.minimized import MinimizedPerson
from accord.db import unit_of_work
from accord.errors import (
    AccordError,
    Conflict,
    Forbidden,
    InvalidInput,
    MalformedInput,
    NotFound,
    Problem,
)
from accord.exchange import channel, keys, receiver, service
from accord.models import ExchangeMessage, ReceivedItem
from accord.queries import page_of
from accord.records.text import FreeText
from accord.records.vocabulary import CheckInDays, IncidentKind, OnwardOutcome, RejectionCode
from accord.web.auth import Caller, authorize
from accord.web.idempotency import IdempotencyKey, answer_once
from accord.web.paging import Limit, Offset, Page
from accord.web.paths import ROW_ID
from accord.web.problems import ProblemDetails, responses
from accord.web.state import AppState, state_of

log = logging.getLogger(__name__)

INBOX_MAX_BODY = 16 * 1024 * 1024
"""Bytes a sealed message may carry: a pool of some thousand families fits well within."""
JOSE = "application/jose"
NO_KEYS = "this deployment has no exchange keys"

public = APIRouter(tags=["exchange"])
router = APIRouter(tags=["exchange"], dependencies=[Depends(authorize)])
REVIEW = responses(401, 403, 404, 409)
"""A reviewer's route: 409 also where this deployment has no exchange keys."""

ReceivedId = Annotated[
    int, Path(ge=1, le=ROW_ID, description="A received item (one family a peer proposed).")
]


class NoKeys(AccordError):
    """A peer should try again later: the deployment is not set up to open what it sends."""

    status_code = 503
    title = "Exchange not set up"


class UnsupportedMedia(AccordError):
    status_code = 415
    title = "Unsupported media type"


class MessageRefused(AccordError):
    """A message that fails its checks: the peer's to fix, never to send again as it is."""

    status_code = 422
    title = "Message refused"


def _problem(description: str) -> dict[str, Any]:
    return {"model": ProblemDetails, "description": description}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- The inbox --------------------------------------------------------------------------------


class InboxIn(Strict):
    message: str = Field(
        min_length=1, max_length=INBOX_MAX_BODY, description="The sealed message: a compact JWE."
    )


class InboxOut(Strict):
    id: str = Field(description="The message's id.")
    kind: str
    outcome: Literal["applied", "held", "replay"] = Field(
        description="Applied; held until its predecessor on the channel arrives; or a replay"
        " of one taken already (nothing new)."
    )
    detail: str
    released: list[str] = Field(
        description="The held messages this one released, applied after it, in order."
    )


def _load_keys(app: AppState) -> keys.OwnKeys:
    """Our keys, or why there are none, without naming the server's files to the caller."""
    path = app.store.settings.keys_file
    if not path.exists():
        raise NoKeys(NO_KEYS)
    try:
        return service.own_keys(path)
    except (InvalidInput, OSError) as exc:
        log.error("the exchange keys cannot be read: %s", type(exc).__name__)
        raise NoKeys("this deployment's exchange keys cannot be read") from None


def _token(content_type: str, body: bytes) -> str:
    """The sealed message, as text (`application/jose`) or in a JSON document."""
    media = content_type.partition(";")[0].strip().lower()
    if media == "application/json":
        try:
            return InboxIn.model_validate_json(body).message
        except ValidationError as exc:
            raise MalformedInput(
                "the request",
                [
                    Problem(".".join(["body", *(str(p) for p in e["loc"])]), e["msg"])
                    for e in exc.errors()
                ],
            ) from None
    if media in (JOSE, ""):
        # Anything not ASCII fails the envelope's checks, refused (and audited) like any other.
        return body.decode("utf-8", errors="replace")
    raise UnsupportedMedia(f"send the sealed message as {JOSE}, or as JSON {{'message': ...}}")


def _receive(app: AppState, token: str) -> channel.Received:
    return service.receive(app.store.sessions, _load_keys(app), token, app.clock.now())


@public.post(
    "/exchange/inbox",
    name="exchange.inbox",
    summary="Take one sealed message from a peer: applied, held or a replay; refused otherwise",
    description="Needs no sign-in: the message is signed by its sender's key, which this"
    " deployment has registered (`accord peers add`), and encrypted to ours. The body is the"
    f' compact JWE as `{JOSE}`, or JSON `{{"message": …}}`, at most'
    f" {INBOX_MAX_BODY:,} bytes. A refused message (422) writes nothing but its audit event;"
    " 503 means this deployment cannot open messages yet: try again later.",
    response_model=InboxOut,
    responses={
        413: _problem(f"Request body over {INBOX_MAX_BODY:,} bytes"),
        415: _problem(f"Neither {JOSE} nor JSON"),
        422: _problem("Malformed request, or a message refused: `detail` says why"),
        503: _problem("This deployment has no exchange keys"),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                JOSE: {"schema": {"type": "string", "description": "A compact JWE."}},
                "application/json": {"schema": InboxIn.model_json_schema()},
            },
        }
    },
)
async def inbox(request: Request) -> InboxOut:
    token = _token(request.headers.get("content-type", ""), await request.body())
    got = await to_thread.run_sync(_receive, state_of(request), token)
    if got.outcome == "refused" or got.message_id is None or got.kind is None:
        raise MessageRefused(got.detail)
    return InboxOut(
        id=got.message_id,
        kind=got.kind,
        outcome=got.outcome,
        detail=got.detail,
        released=list(got.applied),
    )


# --- What a peer proposed to us, and our reviewers' steps ---------------------------------------


class ReceivedOut(Strict):
    id: int
    sender: str = Field(description="The sending party.")
    item_id: int = Field(description="The sender's own id of the item.")
    pool_id: int = Field(description="The sender's pool.")
    agreement_id: str
    family_id: str
    size: int
    proposed_on: dt.date
    state: str = Field(
        description="As the sender last told it (a seen state), or as our own step left it"
        " until the sender's answer."
    )
    since: dt.date
    scheduled_for: dt.date | None
    decision: str | None
    decided_by: str | None
    reason_code: str | None
    reason_text: str | None
    refusal: str | None = Field(description="The sender's refusal of our last step, and why.")
    arrived_on: dt.date | None
    onward: str | None
    members: list[MinimizedPerson] = Field(description="The family through the minimized view.")


class ReceivedDecisionIn(Strict):
    decision: Literal["accept", "reject", "revoke"]
    reason_code: RejectionCode | None = Field(None, description="Required to reject or revoke.")
    reason_text: FreeText | None = Field(
        None, min_length=1, max_length=2000, description="Required to reject or revoke."
    )


class ReceivedOnwardIn(Strict):
    outcome: OnwardOutcome
    detail: FreeText | None = Field(None, min_length=1, max_length=2000)


class ReceivedCheckInIn(Strict):
    days: CheckInDays = Field(description="Which check-in: 30, 90 or 180 days after arrival.")
    note: FreeText | None = Field(None, min_length=1, max_length=2000)


class ReceivedIncidentIn(Strict):
    agreement_id: str = Field(min_length=1, max_length=64)
    kind: IncidentKind
    text: FreeText = Field(min_length=1, max_length=4000)


class QueuedOut(Strict):
    message_id: str = Field(description="The message queued to the sender, with our step.")


def _ours(app: AppState, actor: Actor) -> keys.OwnKeys:
    """Our keys, for a reviewer of our own party: a reviewer of another reviews elsewhere."""
    try:
        own = _load_keys(app)
    except NoKeys as missing:  # the deployment's state, not a failure a retry mends
        raise Conflict(f"{missing.detail}: it receives nothing from its peers") from None
    if actor.party != own.party:
        raise Forbidden(f"{actor.name} reviews for {actor.party or 'no party'}, not {own.party}")
    return own


def _received_out(session: Session, item: ReceivedItem) -> ReceivedOut:
    fields = {name: getattr(item, name) for name in ReceivedOut.model_fields if name != "members"}
    members = [MinimizedPerson.model_validate(m) for m in receiver.members(session, item.id)]
    return ReceivedOut.model_validate({**fields, "members": members})


@router.get(
    "/received/items",
    name="received.list",
    summary="The families peers proposed to this deployment's party, with their members",
    response_model=Page[ReceivedOut],
    responses=REVIEW,
)
def list_received(
    request: Request,
    caller: Annotated[Caller, Depends(authorize)],
    limit: Limit = 50,
    offset: Offset = 0,
    agreement_id: Annotated[FreeText | None, Query(max_length=64)] = None,
    state: Annotated[FreeText | None, Query(max_length=40)] = None,
) -> Page[ReceivedOut]:
    app = state_of(request)
    _ours(app, caller.actor)
    query = select(ReceivedItem).order_by(
        ReceivedItem.agreement_id, ReceivedItem.pool_id, ReceivedItem.item_id, ReceivedItem.id
    )
    if agreement_id is not None:
        query = query.where(ReceivedItem.agreement_id == agreement_id)
    if state is not None:
        query = query.where(ReceivedItem.state == state)
    with unit_of_work(app.store.sessions) as session:
        rows, total = page_of(session, query, limit=limit, offset=offset)
        items = [_received_out(session, row) for row in rows]
    return Page[ReceivedOut](items=items, total=total, limit=limit, offset=offset)


@router.get(
    "/received/items/{received_id}",
    name="received.get",
    summary="One received family, with its members",
    response_model=ReceivedOut,
    responses=REVIEW,
)
def get_received(
    request: Request, received_id: ReceivedId, caller: Annotated[Caller, Depends(authorize)]
) -> ReceivedOut:
    app = state_of(request)
    _ours(app, caller.actor)
    with unit_of_work(app.store.sessions) as session:
        item = session.get(ReceivedItem, received_id)
        if item is None:
            raise NotFound(f"no received item {received_id}")
        return _received_out(session, item)


@router.post(
    "/received/items/{received_id}/decision",
    name="received.decide",
    summary="Accept, reject or revoke a received family: recorded, and sent to the sender",
    response_model=QueuedOut,
    responses=REVIEW,
)
def decide(
    request: Request,
    received_id: ReceivedId,
    body: ReceivedDecisionIn,
    caller: Annotated[Caller, Depends(authorize)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    app = state_of(request)
    own = _ours(app, caller.actor)

    def work(session: Session) -> tuple[int, BaseModel]:
        sent = receiver.decide(
            session,
            own,
            received_id,
            body.decision,
            caller.actor,
            app.clock.now(),
            reason_code=body.reason_code,
            reason_text=body.reason_text,
        )
        return 200, QueuedOut(message_id=sent)

    return answer_once(request, caller.principal.name, idempotency_key, body, work)


@router.post(
    "/received/items/{received_id}/arrival",
    name="received.arrive",
    summary="Record a scheduled family's arrival: recorded, and sent to the sender",
    response_model=QueuedOut,
    responses=REVIEW,
)
def arrive(
    request: Request,
    received_id: ReceivedId,
    caller: Annotated[Caller, Depends(authorize)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    app = state_of(request)
    own = _ours(app, caller.actor)

    def work(session: Session) -> tuple[int, BaseModel]:
        sent = receiver.arrive(session, own, received_id, caller.actor, app.clock.now())
        return 200, QueuedOut(message_id=sent)

    return answer_once(request, caller.principal.name, idempotency_key, None, work)


@router.post(
    "/received/items/{received_id}/onward",
    name="received.onward",
    summary="Record what became of a family after its arrival: recorded, and sent to the sender",
    response_model=QueuedOut,
    responses=REVIEW,
)
def onward(
    request: Request,
    received_id: ReceivedId,
    body: ReceivedOnwardIn,
    caller: Annotated[Caller, Depends(authorize)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    app = state_of(request)
    own = _ours(app, caller.actor)

    def work(session: Session) -> tuple[int, BaseModel]:
        sent = receiver.onward(
            session,
            own,
            received_id,
            body.outcome,
            caller.actor,
            app.clock.now(),
            detail=body.detail,
        )
        return 200, QueuedOut(message_id=sent)

    return answer_once(request, caller.principal.name, idempotency_key, body, work)


@router.post(
    "/received/items/{received_id}/check-in",
    name="received.check_in",
    summary="Record a monitoring check-in on a family that arrived: sent to the sender",
    response_model=QueuedOut,
    responses=REVIEW,
)
def check_in(
    request: Request,
    received_id: ReceivedId,
    body: ReceivedCheckInIn,
    caller: Annotated[Caller, Depends(authorize)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    app = state_of(request)
    own = _ours(app, caller.actor)

    def work(session: Session) -> tuple[int, BaseModel]:
        sent = receiver.check_in(
            session, own, received_id, body.days, caller.actor, app.clock.now(), note=body.note
        )
        return 200, QueuedOut(message_id=sent)

    return answer_once(request, caller.principal.name, idempotency_key, body, work)


@router.post(
    "/received/incidents",
    name="received.incident",
    summary="Report an incident under an agreement we receive under: sent to its sender",
    response_model=QueuedOut,
    responses=REVIEW,
)
def incident(
    request: Request,
    body: ReceivedIncidentIn,
    caller: Annotated[Caller, Depends(authorize)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    app = state_of(request)
    own = _ours(app, caller.actor)

    def work(session: Session) -> tuple[int, BaseModel]:
        sent = receiver.report_incident(
            session, own, body.agreement_id, body.kind, body.text, caller.actor, app.clock.now()
        )
        return 200, QueuedOut(message_id=sent)

    return answer_once(request, caller.principal.name, idempotency_key, body, work)


# --- The channels' messages, for the operators --------------------------------------------------


class ExchangeMessageOut(Strict):
    """One message of a channel, without its sealed token or its body."""

    model_config = ConfigDict(extra="forbid", serialize_by_alias=True)

    id: int
    message_id: str
    direction: Literal["in", "out"]
    kind: str
    from_: str = Field(alias="from")
    to: str
    agreement: str
    seq: int
    state: str
    outcome: str | None
    attempts: int
    next_attempt_at: dt.datetime | None
    last_error: str | None


@router.get(
    "/exchange/messages",
    name="exchange.messages",
    summary="The messages sent to and received from peers, newest first (never their content)",
    response_model=Page[ExchangeMessageOut],
    responses=responses(401, 403),
)
def list_messages(
    request: Request,
    limit: Limit = 50,
    offset: Offset = 0,
    direction: Literal["in", "out"] | None = None,
    state: Annotated[FreeText | None, Query(max_length=12)] = None,
) -> Page[ExchangeMessageOut]:
    query = select(ExchangeMessage).order_by(ExchangeMessage.id.desc())
    if direction is not None:
        query = query.where(ExchangeMessage.direction == direction)
    if state is not None:
        query = query.where(ExchangeMessage.state == state)
    with unit_of_work(state_of(request).store.sessions) as session:
        rows, total = page_of(session, query, limit=limit, offset=offset)
        items = [
            ExchangeMessageOut.model_validate(
                {
                    "id": row.id,
                    "message_id": row.message_id,
                    "direction": row.direction,
                    "kind": row.kind,
                    "from": row.sender,
                    "to": row.recipient,
                    "agreement": row.agreement_id,
                    "seq": row.seq,
                    "state": row.state,
                    "outcome": row.outcome,
                    "attempts": row.attempts,
                    "next_attempt_at": row.next_attempt_at,
                    "last_error": row.last_error,
                }
            )
            for row in rows
        ]
    return Page[ExchangeMessageOut](items=items, total=total, limit=limit, offset=offset)
