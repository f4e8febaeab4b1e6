"""The web application's frame: templates, who is signed in, CSRF on every form, flash notes,
error pages, and signing in and out.

Pages are server-rendered (Jinja2, autoescaped) with htmx for partial updates. Every page
route names an API rule it stands on (`accord.access.PAGES`), so a page allows exactly whom
the API allows, and reads through the same functions, so a reviewer sees the same minimized
view. Pages sign in by browser session only (never by API token). The session's CSRF token
sits in its own HttpOnly cookie, from which each page writes it into its forms and into the
`X-CSRF-Token` header of htmx requests; a state-changing request without it is refused.
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException

from accord import __version__
from accord.access import PAGES, check, is_receiver, may_open, shown_state
from accord.accounts import policy, service
from accord.accounts.policy import SESSION_LIFETIME
from accord.accounts.service import TooManyAttempts, Unauthorized
from accord.clock import today
from accord.db import unit_of_work
from accord.errors import AccordError, Forbidden, MalformedInput, Problem
from accord.records.countries import countries_label, country_label, country_name
from accord.records.text import FreeText
from accord.web.auth import CSRF_HEADER, SAFE_METHODS, SESSION_COOKIE, Caller
from accord.web.state import state_of
from accord.workflow.audience import AUDIENCE_TEXT, WITHHELD, Audience
from accord.workflow.moves import BY_NAME as MOVES_BY_NAME
from accord.workflow.transitions import Role

HERE = Path(__file__).parent
CSRF_COOKIE = "accord_csrf"
FLASH_COOKIE = "accord_flash"
CSRF_FIELD = "csrf_token"
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals["version"] = __version__
templates.env.filters["shown_state"] = lambda state, role: shown_state(state, role)
templates.env.filters["label"] = lambda text: str(text).replace("_", " ")
templates.env.filters["tojson_attr"] = lambda value: json.dumps(value, default=str)
templates.env.filters["audience"] = lambda value: AUDIENCE_TEXT[Audience(value)]
# Countries by name beside their code (accord.records.countries): `{{ code|country }}` is
# "Rwanda (RW)"; `{{ code|country_name }}` is "Rwanda", for a heading about the parties.
templates.env.filters["country"] = lambda code: country_label(str(code))
templates.env.filters["country_name"] = lambda code: country_name(str(code))
templates.env.filters["countries"] = lambda codes, empty="": countries_label(codes, empty)
templates.env.globals["audiences"] = [(a.value, text) for a, text in AUDIENCE_TEXT.items()]
templates.env.globals["withheld"] = WITHHELD
# Where a move's form posts (accord.workflow.moves): `{{ move_path("notify", item.id) }}` is
# /items/7/notify; a name that is no move fails the page rather than post nowhere.
templates.env.globals["move_path"] = lambda name, item_id: MOVES_BY_NAME[name].path(item_id)


class SignInFirst(Exception):
    """A page asked for without a live session: sent to the sign-in page, then back."""


async def _form(request: Request) -> FormData:
    return await request.form()


async def page_caller(request: Request) -> Caller:
    """The signed-in user of a page, allowed by the API rule the page stands on."""
    route = request.scope.get("route")
    name = str(getattr(route, "name", ""))
    state = state_of(request)
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        raise SignInFirst
    with unit_of_work(state.store.sessions) as session:
        principal = service.session_principal(session, session_id, state.clock)
        if principal is None:
            raise SignInFirst
        if request.method not in SAFE_METHODS:
            form = await _form(request)
            sent = request.headers.get(CSRF_HEADER) or str(form.get(CSRF_FIELD) or "")
            if not service.csrf_ok(session, session_id, sent):
                raise Forbidden("this form has expired or did not come from Accord: reload it")
    rule = PAGES.get(name)
    if rule is None:
        raise Forbidden(f"no access rule for the page {name}: refused")
    check(rule, principal.role, principal.scopes)
    request.state.caller = principal.name
    return Caller(principal)


PageCaller = Annotated[Caller, Depends(page_caller)]


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    caller: Caller | None = None,
    status: int = 200,
) -> HTMLResponse:
    """A page (or, for an htmx request, the fragment template given), with the frame's
    context: the user, the CSRF token, today's date, the flash note, and what the user's role
    may do as `accord.access` decides it (the pages it may open; whether it receives)."""
    state = state_of(request)
    flash = request.cookies.get(FLASH_COOKIE)
    role = caller.principal.role if caller else None
    response = templates.TemplateResponse(
        request,
        template,
        {
            "me": caller.principal if caller else None,
            "may_open": may_open(role) if role else frozenset(),
            "receives": is_receiver(role) if role else False,
            "csrf": request.cookies.get(CSRF_COOKIE, ""),
            "today": today(state.clock),
            "flash": _unflash(flash) if flash else None,
            "htmx": is_htmx(request),
            **context,
        },
        status_code=status,
    )
    if flash:
        response.delete_cookie(FLASH_COOKIE, path="/", secure=True, httponly=True)
    return response


_FREE_TEXT: TypeAdapter[str] = TypeAdapter(FreeText)


def _checked(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise MalformedInput("the form", [Problem(name, "a text field, not a file")])
    try:
        return _FREE_TEXT.validate_python(value)
    except ValidationError as exc:
        message = exc.errors()[0]["msg"]
        raise MalformedInput("the form", [Problem(name, message)]) from None


def form_text(form: FormData, name: str) -> str | None:
    """A text field of a form read by hand, stripped; None when empty or absent. Held to the
    same rule as every free-text field (`accord.records.text.FreeText`), refused naming the field."""
    value = form.get(name)
    return None if value is None else _checked(name, value).strip() or None


def form_texts(form: FormData, name: str) -> list[str]:
    """Every value of a repeated form field, each held to the rule of `form_text`."""
    return [_checked(name, value) for value in form.getlist(name)]


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _unflash(raw: str) -> dict[str, str] | None:
    try:
        note = json.loads(raw)
    except ValueError:
        return None
    if isinstance(note, dict) and {"kind", "text"} <= note.keys():
        return {"kind": str(note["kind"]), "text": str(note["text"])[:500]}
    return None


def done(to: str, text: str, *, kind: str = "ok") -> RedirectResponse:
    """After a form's work: back to a page (303, so a reload does not post again), with a note
    shown once there."""
    response = RedirectResponse(local(to), status_code=303)
    response.set_cookie(
        FLASH_COOKIE,
        json.dumps({"kind": kind, "text": text[:500]}),
        max_age=60,
        path="/",
        secure=True,
        httponly=True,
        samesite="strict",
    )
    return response


def local(target: str | None, fallback: str = "/") -> str:
    """A path on this site only: never a redirect elsewhere (no scheme, no host, no //)."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


def error_page(request: Request, exc: Exception) -> Response:
    """A domain error on a page: the page's own frame with the message and its status. For an
    htmx request, the message alone, for the fragment's place."""
    if isinstance(exc, SignInFirst):
        wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if is_htmx(request):
            return Response(status_code=204, headers={"HX-Redirect": "/login"})
        return RedirectResponse(f"/login?next={quote(wanted)}", status_code=303)
    if isinstance(exc, AccordError):
        status, title, detail = exc.status_code, exc.title, exc.detail
    elif isinstance(exc, StarletteHTTPException):
        status = exc.status_code
        title, detail = {
            404: ("Not found", "there is no such page"),
            413: ("Request too large", str(exc.detail)),
        }.get(status, ("Request refused", str(exc.detail)))
    elif isinstance(exc, RequestValidationError):
        places = "; ".join(
            ".".join(str(p) for p in e["loc"]) + f": {e['msg']}" for e in exc.errors()
        )
        status, title, detail = 422, "The request is not valid", places
    else:
        status, title, detail = (
            500,
            "Something went wrong",
            "the request failed; nothing was written",
        )
    template = "_error.html" if is_htmx(request) else "error.html"
    caller = _signed_in(request)
    return render(
        request,
        template,
        {"title": title, "detail": detail, "status": status},
        caller=caller,
        status=status,
    )


def _signed_in(request: Request) -> Caller | None:
    """The session's user for an error page's frame, when there is one; never raises."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    state = state_of(request)
    try:
        with unit_of_work(state.store.sessions) as session:
            principal = service.session_principal(session, session_id, state.clock)
    except Exception:
        return None
    return Caller(principal) if principal else None


# --- Signing in and out -----------------------------------------------------------------------

router = APIRouter(include_in_schema=False)


LOGIN_COOKIE = "accord_login"
"""A random value the sign-in form also carries: a form posted from elsewhere cannot know it
(double submit), so no one can sign a browser in to an account of theirs."""


def _login_page(
    request: Request,
    next_page: str,
    *,
    error: str | None = None,
    username: str = "",
    status: int = 200,
) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        {"next": local(next_page, ""), "error": error, "username": username, "login_token": token},
        status=status,
    )
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        max_age=3600,
        path="/login",
        secure=True,
        httponly=True,
        samesite="strict",
    )
    return response


@router.get("/login", name="pages.login_form", response_class=HTMLResponse)
def login_form(request: Request, next: str = "") -> HTMLResponse:
    return _login_page(request, next)


@router.post("/login", name="pages.login", response_class=HTMLResponse)
def login(
    request: Request,
    username: Annotated[FreeText, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    login_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[FreeText, Form(max_length=2000)] = "",
) -> Response:
    state = state_of(request)
    address = request.client.host if request.client else None
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not (expected and hmac.compare_digest(expected, login_token)):
        return _login_page(
            request, next, error="the sign-in form had expired: try again", status=403
        )
    try:
        user = service.authenticate(state.store.sessions, username, password, address, state.clock)
    except (Unauthorized, TooManyAttempts) as exc:
        return _login_page(
            request, next, error=exc.detail, username=username, status=exc.status_code
        )
    with unit_of_work(state.store.sessions) as session:
        session_id, csrf = service.start_session(session, user, address, state.clock)
        role = policy.as_role(user.role)
    response = RedirectResponse(local(next, home_of(role)), status_code=303)
    response.delete_cookie(LOGIN_COOKIE, path="/login", secure=True, httponly=True)
    for name, value in ((SESSION_COOKIE, session_id), (CSRF_COOKIE, csrf)):
        response.set_cookie(
            name,
            value,
            max_age=SESSION_LIFETIME,
            path="/",
            secure=True,
            httponly=True,
            samesite="strict",
        )
    return response


@router.post("/logout", name="pages.logout")
def logout(request: Request, caller: PageCaller) -> Response:
    state = state_of(request)
    session_id = request.cookies.get(SESSION_COOKIE, "")
    with unit_of_work(state.store.sessions) as session:
        service.end_session(session, session_id, state.clock)
    response = RedirectResponse("/login", status_code=303)
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, path="/", secure=True, httponly=True, samesite="strict")
    return response


def home_of(role: Role) -> str:
    """Where a role starts: a reviewer at its review queue, everyone else at the dashboard."""
    return "/review" if is_receiver(role) else "/"
