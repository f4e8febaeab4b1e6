"""POSTs with an `Idempotency-Key`: the first answer is stored in the same transaction as the
effect, and a retry with the same key and the same request replays it (one effect). The same
key with a different request is refused. A refused request stores nothing, so its retry is
tried again."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Annotated

from fastapi import Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accord.clock import Clock
from accord.db import unit_of_work
from accord.errors import Conflict
from accord.models.idempotency import IdempotentRequest
from accord.store import Store
from accord.web.repository import kept_answer
from accord.web.state import state_of

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=200,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="Any unique string (e.g. a UUID): sending the request again with the same"
        " key replays the first answer instead of acting twice.",
    ),
]
REPLAYED = "Idempotent-Replayed"


def fingerprint(method: str, path: str, body: BaseModel | None) -> str:
    payload = body.model_dump(mode="json") if body is not None else None
    text = json.dumps([method, path, payload], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def run_once(
    store: Store,
    clock: Clock,
    principal: str,
    key: str | None,
    request_print: str,
    work: Callable[[Session], tuple[int, BaseModel]],
) -> JSONResponse:
    """Do `work` in one transaction, or replay the answer a request with this key got."""
    with unit_of_work(store.sessions) as session:
        if key is not None:
            prior = kept_answer(session, principal, key)
            if prior is not None:
                if prior.fingerprint != request_print:
                    raise Conflict(
                        "this Idempotency-Key was used for another request; use a new key"
                    )
                return JSONResponse(prior.body, prior.status, headers={REPLAYED: "true"})
        status, answer = work(session)
        body = answer.model_dump(mode="json")
        if key is not None:
            session.add(
                IdempotentRequest(
                    principal=principal,
                    key=key,
                    fingerprint=request_print,
                    status=status,
                    body=body,
                    created_at=clock.now(),
                )
            )
            try:
                session.flush()
            except IntegrityError as exc:
                raise Conflict(
                    "a request with this Idempotency-Key is being answered; retry shortly"
                ) from exc
    return JSONResponse(body, status)


def answer_once(
    request: Request,
    principal: str,
    key: str | None,
    body: BaseModel | None,
    work: Callable[[Session], tuple[int, BaseModel]],
) -> JSONResponse:
    """`run_once` for an API request: the application's store and clock, and the request's own
    fingerprint (method, path, body)."""
    state = state_of(request)
    return run_once(
        state.store,
        state.clock,
        principal,
        key,
        fingerprint(request.method, request.url.path, body),
        work,
    )
