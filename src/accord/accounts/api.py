"""/api/v1 session, users and tokens: signing in and out of a browser session, and the admin's
management of users and API tokens."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from accord.accounts import policy, service
from accord.accounts.policy import SESSION_LIFETIME
from accord.db import unit_of_work
from accord.records.text import FreeText
from accord.web.auth import SESSION_COOKIE, Caller, authorize
from accord.web.paging import Limit, Offset, Page, page
from accord.web.problems import responses
from accord.web.state import state_of
from accord.workflow.transitions import Role

public = APIRouter(tags=["session"])
router = APIRouter(tags=["session"], dependencies=[Depends(authorize)])


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginIn(Strict):
    username: FreeText = Field(min_length=1, max_length=64, examples=["rita"])
    password: SecretStr = Field(min_length=1, max_length=1024)


class Me(BaseModel):
    username: str
    role: Role
    party: str | None
    via: Literal["session", "token"]
    scopes: list[str]


class SignedIn(Me):
    csrf_token: str = Field(
        description="Send it as X-CSRF-Token on every state-changing request of this session."
    )


def _address(request: Request) -> str | None:
    return request.client.host if request.client else None


@public.post(
    "/session",
    name="session.login",
    summary="Sign in: a session cookie and its CSRF token",
    response_model=SignedIn,
    responses=responses(401, 422, 429),
)
def login(request: Request, response: Response, body: LoginIn) -> SignedIn:
    state = state_of(request)
    # Its own transaction: a failed attempt is kept even though this request fails.
    user = service.authenticate(
        state.store.sessions,
        body.username,
        body.password.get_secret_value(),
        _address(request),
        state.clock,
    )
    with unit_of_work(state.store.sessions) as session:
        session_id, csrf = service.start_session(session, user, _address(request), state.clock)
        username, role, party = user.username, policy.as_role(user.role), user.party
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=SESSION_LIFETIME,
        path="/",
        secure=True,
        httponly=True,
        samesite="strict",
    )
    return SignedIn(
        username=username,
        role=role,
        party=party,
        via="session",
        scopes=["read", "write"],
        csrf_token=csrf,
    )


@router.get(
    "/session",
    name="session.me",
    summary="Who is signed in",
    response_model=Me,
    responses=responses(401, 403),
)
def me(caller: Annotated[Caller, Depends(authorize)]) -> Me:
    p = caller.principal
    return Me(username=p.name, role=p.role, party=p.party, via=p.via, scopes=sorted(p.scopes))


@router.delete(
    "/session",
    name="session.logout",
    summary="Sign out: the session ends on the server and the cookie is cleared",
    status_code=204,
    responses=responses(401, 403),
)
def logout(request: Request, caller: Annotated[Caller, Depends(authorize)]) -> Response:
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id and caller.principal.via == "session":
        with unit_of_work(state_of(request).store.sessions) as session:
            service.end_session(session, session_id, state_of(request).clock)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="strict")
    return response


# --- Users and tokens (admin) -----------------------------------------------------------------


class UserOut(BaseModel):
    username: str
    role: Role
    party: str | None
    active: bool
    created_at: dt.datetime


class UserIn(Strict):
    username: FreeText = Field(min_length=2, max_length=64, examples=["rita"])
    password: SecretStr = Field(min_length=12, max_length=1024)
    role: Role
    party: FreeText | None = Field(None, max_length=16, examples=["XK"])


@router.get(
    "/users",
    name="users.list",
    summary="Users",
    response_model=Page[UserOut],
    responses=responses(401, 403),
)
def list_users(
    request: Request,
    caller: Annotated[Caller, Depends(authorize)],
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[UserOut]:
    with unit_of_work(state_of(request).store.sessions) as session:
        rows = [
            UserOut(
                username=u.username,
                role=policy.as_role(u.role),
                party=u.party,
                active=u.active,
                created_at=u.created_at,
            )
            for u in service.users(session)
        ]
    return page(rows, limit, offset)


@router.post(
    "/users",
    name="users.add",
    summary="Add a user (the password is hashed with argon2)",
    status_code=201,
    response_model=UserOut,
    responses=responses(400, 401, 403, 409),
)
def add_user(
    request: Request, body: UserIn, caller: Annotated[Caller, Depends(authorize)]
) -> UserOut:
    state = state_of(request)
    with unit_of_work(state.store.sessions) as session:
        user = service.add_user(
            session,
            body.username,
            body.password.get_secret_value(),
            body.role,
            body.party,
            state.clock,
            actor=caller.principal.name,
        )
        return UserOut(
            username=user.username,
            role=policy.as_role(user.role),
            party=user.party,
            active=user.active,
            created_at=user.created_at,
        )


class TokenIn(Strict):
    name: FreeText = Field(min_length=1, max_length=100, examples=["receiver case system"])
    scopes: list[Literal["read", "write"]] = Field(min_length=1, max_length=2)
    expires_days: int = Field(90, ge=1, le=365)


class TokenOut(BaseModel):
    id: int
    name: str
    scopes: list[str]
    expires_at: dt.datetime
    token: str = Field(description="Shown once: only its hash is kept.")


class RevokedOut(BaseModel):
    id: int
    revoked_at: dt.datetime | None


@router.post(
    "/users/{username}/tokens",
    name="tokens.issue",
    summary="Issue an API token for a user (scoped, expiring)",
    status_code=201,
    response_model=TokenOut,
    responses=responses(400, 401, 403, 404),
)
def issue_token(
    request: Request,
    username: Annotated[FreeText, Path(max_length=64)],
    body: TokenIn,
    caller: Annotated[Caller, Depends(authorize)],
) -> TokenOut:
    state = state_of(request)
    with unit_of_work(state.store.sessions) as session:
        secret = service.issue_token(
            session,
            username,
            body.name,
            body.scopes,
            dt.timedelta(days=body.expires_days),
            state.clock,
            actor=caller.principal.name,
        )
        issued = service.tokens_of(session, username)[-1]
        return TokenOut(
            id=issued.id,
            name=issued.name,
            scopes=list(issued.scopes),
            expires_at=issued.expires_at,
            token=secret,
        )


@router.delete(
    "/tokens/{token_id}",
    name="tokens.revoke",
    summary="Revoke an API token",
    response_model=RevokedOut,
    responses=responses(401, 403, 404),
)
def revoke_token(
    request: Request,
    token_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    caller: Annotated[Caller, Depends(authorize)],
) -> RevokedOut:
    state = state_of(request)
    with unit_of_work(state.store.sessions) as session:
        revoked = service.revoke_token(session, token_id, state.clock, actor=caller.principal.name)
        return RevokedOut(id=revoked.id, revoked_at=revoked.revoked_at)
