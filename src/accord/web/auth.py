"""Who is calling, and whether the route allows it: the one gate every API route goes through.

A caller is signed in by a browser session (an HttpOnly, SameSite=Strict cookie; a state-changing
request also carries the session's CSRF token in `X-CSRF-Token`) or by an API token
(`Authorization: Bearer …`, scoped, expiring, revocable). The route's name picks its rule in
`accord.access.RULES`; a route with no rule is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.security import APIKeyCookie, HTTPBearer

from accord.access import PUBLIC_ROUTES, Actor, check
from accord.accounts.service import (
    Principal,
    Unauthorized,
    csrf_ok,
    session_principal,
    token_principal,
)
from accord.db import unit_of_work
from accord.errors import Forbidden
from accord.web.state import AppState, state_of

SESSION_COOKIE = "accord_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

bearer = HTTPBearer(auto_error=False, description="An API token: `acc_…`.")
cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="A browser session.")


@dataclass(frozen=True, slots=True)
class Caller:
    """The signed-in user of one request, and how they signed in."""

    principal: Principal

    @property
    def actor(self) -> Actor:
        return self.principal.actor


def _principal(request: Request, state: AppState) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, credential = header.partition(" ")
    with unit_of_work(state.store.sessions) as session:
        if scheme.lower() == "bearer" and credential:
            found = token_principal(session, credential.strip(), state.clock)
            if found is None:
                raise Unauthorized("the API token is unknown, expired or revoked")
            return found
        session_id = request.cookies.get(SESSION_COOKIE)
        if not session_id:
            raise Unauthorized("sign in first (POST /api/v1/session) or send an API token")
        found = session_principal(session, session_id, state.clock)
        if found is None:
            raise Unauthorized("the session has ended or expired: sign in again")
        if request.method not in SAFE_METHODS and not csrf_ok(
            session, session_id, request.headers.get(CSRF_HEADER, "")
        ):
            raise Forbidden(f"a state-changing request needs the session's {CSRF_HEADER} header")
        return found


def authorize(request: Request) -> Caller:
    """The caller of this request, allowed by the route's rule; refused otherwise."""
    route = request.scope.get("route")
    name = getattr(route, "name", None)
    if name in PUBLIC_ROUTES:
        raise Forbidden(f"{name} is public: it has no caller")
    state = state_of(request)
    principal = _principal(request, state)
    check(str(name), principal.role, principal.scopes)
    request.state.caller = principal.name
    return Caller(principal)
