"""/api/v1 exchange: the inbox a peer posts its sealed messages to, the received families our
reviewers decide on (recorded here and sent back to the sender), and the channels' messages as
the operators follow them.

The inbox is public: no session or token signs a peer in, the message's own signature does
(`accord.exchange.envelope`), and a refusal writes nothing but its audit event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, Literal

from anyio import to_thread
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.access import Actor
from accord.db import unit_of_work
from accord.errors import (
    AccordError,
    MalformedInput,
    Problem,
)
from accord.exchange import channel, keys, receiver, service
from accord.exchange.schemas import (
    ReceivedCheckInIn,
    ReceivedDecisionIn,
    ReceivedIncidentIn,
    ReceivedOnwardIn,
    ReceivedOut,
)
from accord.exchange.views import (
    load_keys,
    received_family,
    received_items,
    received_seen,
    reviewer_keys,
)
from accord.models import ExchangeMessage
from accord.queries import page_of
from accord.records.text import FreeText
from accord.web.auth import Caller, authorize
from accord.web.idempotency import IdempotencyKey, answer_once
from accord.web.paging import Limit, Offset, Page
from accord.web.paths import ReceivedId
from accord.web.problems import ProblemDetails, responses
from accord.web.state import AppState, state_of

INBOX_MAX_BODY = 16 * 1024 * 1024
"""Bytes a sealed message may carry: a pool of some thousand families fits well within."""
JOSE = "application/jose"

public = APIRouter(tags=["exchange"])
router = APIRouter(tags=["exchange"], dependencies=[Depends(authorize)])
REVIEW = responses(401, 403, 404, 409)
"""A reviewer's route: 409 also where this deployment has no exchange keys."""


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
    own = load_keys(app.store.settings.keys_file)
    return service.receive(app.store.sessions, own, token, app.clock.now())


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


class QueuedOut(Strict):
    message_id: str = Field(description="The message queued to the sender, with our step.")


def _ours(app: AppState, actor: Actor) -> keys.OwnKeys:
    """Our keys, for a reviewer of our own party (`accord.exchange.views.reviewer_keys`)."""
    return reviewer_keys(app.store.settings.keys_file, actor)


Step = Callable[[Session, keys.OwnKeys, Actor, dt.datetime], str]
"""One of our reviewer's steps (`accord.exchange.receiver`): the message id it queued."""


def _queued(
    request: Request,
    caller: Caller,
    idempotency_key: str | None,
    body: BaseModel | None,
    step: Step,
) -> JSONResponse:
    """Run a reviewer's step once (a retry with the same Idempotency-Key is answered the same),
    answering with the message it queued for the sender."""
    app = state_of(request)
    own = _ours(app, caller.actor)

    def work(session: Session) -> tuple[int, BaseModel]:
        return 200, QueuedOut(message_id=step(session, own, caller.actor, app.clock.now()))

    return answer_once(request, caller.principal.name, idempotency_key, body, work)


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
    query = received_items(agreement_id, state)
    with unit_of_work(app.store.sessions) as session:
        rows, total = page_of(session, query, limit=limit, offset=offset)
        items = [received_seen(session, row, caller.actor) for row in rows]
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
        return received_family(session, received_id, caller.actor)


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
    return _queued(
        request,
        caller,
        idempotency_key,
        body,
        lambda session, own, actor, now: receiver.decide(
            session,
            own,
            received_id,
            body.decision,
            actor,
            now,
            reason_code=body.reason_code,
            reason_text=body.reason_text,
        ),
    )


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
    return _queued(
        request,
        caller,
        idempotency_key,
        None,
        lambda session, own, actor, now: receiver.arrive(session, own, received_id, actor, now),
    )


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
    return _queued(
        request,
        caller,
        idempotency_key,
        body,
        lambda session, own, actor, now: receiver.onward(
            session, own, received_id, body.outcome, actor, now, detail=body.detail
        ),
    )


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
    return _queued(
        request,
        caller,
        idempotency_key,
        body,
        lambda session, own, actor, now: receiver.check_in(
            session, own, received_id, body.days, actor, now, note=body.note
        ),
    )


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
    return _queued(
        request,
        caller,
        idempotency_key,
        body,
        lambda session, own, actor, now: receiver.report_incident(
            session, own, body.agreement_id, body.kind, body.text, actor, now
        ),
    )


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
