"""Every error as one problem-details document (RFC 9457), with the status its class carries.

Domain errors carry their status (400, 401, 403, 404, 409, 429); only a malformed payload is a
422. The detail of a domain error is written for the user it is shown to: the services never
put a protected fact in an error a reviewer can reach (DESIGN §6).

An unexpected error is answered and logged here (`Contained`), by its type, its place in the
code and the operation's name, and goes no further: the server would log it again with its
message and traceback, and the message of a validation error quotes the value it refused.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accord.errors import AccordError, InvalidInput

PROBLEM_JSON = "application/problem+json"
SERVER_BOUND = "x-accord-setting"
"""Marks a field whose bound is a setting of the server (its name): the OpenAPI document gives
the running server's value as the field's maximum (`accord.web.app`)."""
log = logging.getLogger("accord.web")


class FieldProblem(BaseModel):
    place: str = Field(examples=["body.reason_code"])
    message: str = Field(examples=["Field required"])


class ProblemDetails(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field("about:blank", examples=["about:blank"])
    title: str = Field(examples=["A safeguard stops this move"])
    status: int = Field(examples=[409])
    detail: str = Field(examples=["cannot accept item 7 (family F-12, demo-xk-year): S13: …"])
    instance: str | None = Field(None, examples=["/api/v1/items/7/accept"])
    problems: list[FieldProblem] = Field(default_factory=list)


def problem(
    status: int,
    title: str,
    detail: str,
    request: Request,
    problems: list[FieldProblem] | None = None,
    retry_after: int | None = None,
) -> JSONResponse:
    body = ProblemDetails(
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path,
        problems=problems or [],
    )
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return JSONResponse(
        body.model_dump(mode="json"), status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


def _domain(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AccordError)
    problems = (
        [FieldProblem(place=p.place, message=p.message) for p in exc.problems]
        if isinstance(exc, InvalidInput)
        else []
    )
    retry_after = getattr(exc, "retry_after", None)
    return problem(exc.status_code, exc.title, exc.detail, request, problems, retry_after)


def _malformed(request: Request, exc: Exception) -> JSONResponse:
    """A payload that does not parse: 422, naming each place (never echoing the input)."""
    assert isinstance(exc, RequestValidationError)
    problems = [
        FieldProblem(place=".".join(str(p) for p in error["loc"]), message=error["msg"])
        for error in exc.errors()
    ]
    detail = "; ".join(f"{p.place}: {p.message}" for p in problems)
    return problem(422, "Malformed request", detail, request, problems)


def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:
        # The framework's only 400: a body that is not JSON at all (bad bytes, bad syntax).
        # That is a malformed payload, which is 422 everywhere else.
        return problem(422, "Malformed request", "body: not a JSON document", request)
    titles = {404: "Not found", 405: "Method not allowed", 413: "Request too large"}
    response = problem(
        exc.status_code, titles.get(exc.status_code, "Request refused"), str(exc.detail), request
    )
    response.headers.update(exc.headers or {})
    if exc.status_code == 405:
        response.headers["Allow"] = ", ".join(allowed_methods(request))
    return response


def allowed_methods(request: Request) -> list[str]:
    """Every method the document gives the path (the router names only the first route it
    meets when one path's methods live in several routers); literal paths before templates."""
    paths = request.app.openapi()["paths"]
    path = request.url.path
    for template, methods in sorted(paths.items(), key=lambda p: p[0].count("{")):
        if re.fullmatch(re.sub(r"\{[^/]+\}", "[^/]+", template), path):
            return sorted(m.upper() for m in methods)
    return []


def log_unexpected(request: Request, exc: Exception) -> None:
    """Logged by type, place and operation only: the message of an unexpected error may quote
    data (a validation error quotes the value it refused), and so may its traceback."""
    frames = traceback.extract_tb(exc.__traceback__)
    place = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "unknown"
    route = getattr(request.scope.get("route"), "name", None) or "unmatched"
    log.error(
        json.dumps(
            {
                "event": "unexpected error",
                "error": type(exc).__name__,
                "at_code": place,
                "method": request.method,
                "route": route,
            }
        )
    )


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log_unexpected(request, exc)
    return problem(500, "Internal error", "the request failed; nothing was written", request)


Handler = Callable[[Request, Exception], Response]

_LAST_RESORT = json.dumps(
    {
        "type": "about:blank",
        "title": "Internal error",
        "status": 500,
        "detail": "the request failed; nothing was written",
        "problems": [],
    }
).encode()


class Contained:
    """ASGI middleware: an unexpected error is answered here and stops here. Starlette's own
    handler of last resort answers and then raises the error again, for the server to log with
    its message and traceback; nothing of a request may reach the logs that way."""

    def __init__(self, app: ASGIApp, answer: Handler) -> None:
        self.app = app
        self.answer = answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        answered = False

        async def sending(message: Message) -> None:
            nonlocal answered
            answered = answered or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:
            request = Request(scope, receive)
            if answered:  # the answer is on its way and cannot be changed: only logged
                log_unexpected(request, exc)
                return
            try:
                response = await run_in_threadpool(self.answer, request, exc)
            except Exception as failed:  # the error page itself failed: the plainest answer
                log_unexpected(request, failed)
                response = Response(_LAST_RESORT, 500, media_type=PROBLEM_JSON)
            await response(scope, receive, send)


def install(app: FastAPI, pages: Handler | None = None) -> None:
    """Problem details under /api/; elsewhere (the web pages), `pages` renders the error."""

    def either(api: Handler) -> Handler:
        def handle(request: Request, exc: Exception) -> Response:
            if pages is not None and not request.url.path.startswith("/api/"):
                if isinstance(exc, StarletteHTTPException) and exc.status_code == 405:
                    return api(request, exc)
                if not isinstance(
                    exc, AccordError | StarletteHTTPException | RequestValidationError
                ):
                    log_unexpected(request, exc)  # logged as the API logs it
                return pages(request, exc)
            return api(request, exc)

        return handle

    app.add_exception_handler(AccordError, either(_domain))
    app.add_exception_handler(RequestValidationError, either(_malformed))
    app.add_exception_handler(StarletteHTTPException, either(_http))
    app.add_middleware(Contained, answer=either(_unexpected))


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The problem responses a route documents in the OpenAPI document."""
    described = {
        400: "Invalid input",
        401: "Not signed in, or the credentials are wrong",
        403: "The role, party or token scope does not allow this",
        404: "Not found (or not visible to this user)",
        409: "Conflict with the current state: a safeguard, an illegal transition, a cap",
        413: "Request too large",
        422: "Malformed request",
        429: "Too many failed sign-ins",
    }
    return {
        status: {
            "model": ProblemDetails,
            "description": described[status],
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
        }
        for status in statuses
    }
