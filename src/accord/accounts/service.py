"""Accounts: users, sign-in under rate limits, browser sessions and API tokens.

Every function runs inside the caller's transaction and never commits, except `authenticate`:
a sign-in is its own unit of work. It takes the session factory, records the attempt and its
audit event, commits, and only then refuses, so a failed or refused sign-in is kept however the
request ends. Call it outside any open transaction (on SQLite a second writer would wait for
the first).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session, sessionmaker

from accord.access import Actor
from accord.accounts import policy, repository
from accord.accounts.credentials import (
    check_password,
    digest,
    format_token,
    hash_password,
    new_secret,
    parse_token,
    same_digest,
)
from accord.audit import repository as audit_repository
from accord.audit.personal import Personal, sign_in_subject
from accord.audit.service import Entry, record
from accord.clock import Clock
from accord.db import unit_of_work
from accord.errors import AccordError, Conflict, InvalidInput, NotFound, Problem
from accord.models import ApiToken, LoginAttempt, User, UserSession
from accord.workflow.transitions import Role

Via = Literal["session", "token"]
BAD_CREDENTIALS = "unknown username or wrong password"
"""The one answer to a failed sign-in: it does not tell which of the two was wrong."""
ANONYMOUS = "anonymous"
"""The audit actor of a sign-in that did not succeed: the name given proves nothing."""


class Unauthorized(AccordError):
    """No valid credentials: sign in, or send a live API token."""

    status_code = 401
    title = "Not signed in"


class TooManyAttempts(AccordError):
    """Too many failed sign-ins for the account or from the address: wait, then try again."""

    status_code = 429
    title = "Too many attempts"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
        """Seconds until an attempt will be heard again (for a Retry-After header)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is signed in, and how: what every access check reads."""

    name: str
    role: Role
    party: str | None
    via: Via
    scopes: frozenset[str]
    """The token's scopes; a browser session holds every scope."""
    user_id: int
    credential_id: int
    """The id of the user_sessions row (via session) or the api_tokens row (via token)."""

    @property
    def actor(self) -> Actor:
        """Who acts in the workflow: name, role and party, all from the account."""
        return Actor(self.name, self.role, self.party)


# --- Users ------------------------------------------------------------------------------------


def add_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    party: str | None,
    clock: Clock,
    *,
    actor: str,
) -> User:
    """A new active user; the password is kept only as an argon2 hash."""
    problems = policy.user_problems(username, password, role, party)
    if problems:
        raise InvalidInput(f"user {username!r}", problems)
    if repository.get_user(session, username) is not None:
        raise Conflict(f"a user named {username!r} exists already")
    now = clock.now()
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        party=party,
        active=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    record(
        session,
        actor,
        Entry("user.added", "user", username, {"role": role, "party": party}),
        at=now,
    )
    return user


def bootstrap_admin(session: Session, username: str, password: str, clock: Clock) -> User:
    """The first admin of a database that has no user at all; refused once any user exists.

    There is no one signed in to add the first account, so whoever may write the database adds
    it, once: later accounts are added by a signed-in admin. The audit chain is locked before
    the count, so two bootstraps at once cannot both find the database empty.
    """
    audit_repository.lock_head(session)
    if repository.any_user(session):
        raise Conflict(
            "the database has users already: the first admin is made only once;"
            " a signed-in admin adds users (`accord users add`)"
        )
    return add_user(session, username, password, "admin", None, clock, actor=username)


def users(session: Session) -> Sequence[User]:
    return repository.list_users(session)


def deactivate_user(session: Session, username: str, clock: Clock, *, actor: str) -> User:
    """Refuse every later sign-in, session and token of the user; the row stays for the record."""
    user = _user(session, username, for_update=True)
    if not user.active:
        return user
    now = clock.now()
    user.active = False
    repository.end_open_sessions(session, user.id, now)
    record(session, actor, Entry("user.deactivated", "user", username), at=now)
    return user


def _user(session: Session, username: str, *, for_update: bool = False) -> User:
    user = repository.get_user(session, username, for_update=for_update)
    if user is None:
        raise NotFound(f"no user named {username!r}")
    return user


# --- Signing in -------------------------------------------------------------------------------


def authenticate(
    sessions: sessionmaker[Session],
    username: str,
    password: str,
    address: str | None,
    clock: Clock,
) -> User:
    """The user whose password this is, after the rate limits (see `policy`); else
    `Unauthorized` or `TooManyAttempts`, raised after the attempt is committed.

    The user returned is detached from the committed session, its columns loaded. Without an
    address (a command line) only the account limit applies.
    """
    with unit_of_work(sessions) as session:
        outcome = _sign_in(session, username, password, address, clock)
    if isinstance(outcome, AccordError):
        raise outcome
    return outcome


def _sign_in(
    session: Session, username: str, password: str, address: str | None, clock: Clock
) -> User | AccordError:
    now = clock.now()
    name = username.strip().lower()[:64]
    where = address[:64] if address else None
    # Locking the row queues concurrent guesses at one account behind each other's count.
    user = repository.get_user(session, name, for_update=True)
    wait = _wait(session, name, where, now)
    if wait is not None:
        record(session, ANONYMOUS, _sign_in_entry("login.refused", user, name, where), at=now)
        minutes = max(1, math.ceil(wait / dt.timedelta(minutes=1)))
        return TooManyAttempts(
            f"too many failed sign-ins for this account or from this address:"
            f" try again in {minutes} minute{'s' if minutes > 1 else ''}",
            retry_after=math.ceil(wait.total_seconds()),
        )
    checked = check_password(user.password_hash if user is not None else None, password)
    succeeded = user is not None and user.active and checked.ok
    session.add(LoginAttempt(username=name, address=where, at=now, succeeded=succeeded))
    if user is None or not succeeded:
        record(session, ANONYMOUS, _sign_in_entry("login.failed", user, name, where), at=now)
        return Unauthorized(BAD_CREDENTIALS)
    if checked.rehashed is not None:
        user.password_hash = checked.rehashed
    record(
        session,
        name,
        Entry("login.succeeded", "user", name, {"address": Personal(sign_in_subject(name), where)}),
        at=now,
    )
    session.flush()
    session.expunge(user)
    return user


def _sign_in_entry(action: str, user: User | None, name: str, where: str | None) -> Entry:
    """A refused or failed sign-in: the name as typed and the address are personal values (a
    password typed as a name must be erasable), and the chain names a known account only."""
    subject = sign_in_subject(name)
    return Entry(
        action,
        "user",
        name if user is not None else UNKNOWN_ACCOUNT,
        {"username": Personal(subject, name), "address": Personal(subject, where)},
    )


UNKNOWN_ACCOUNT = "(unknown)"
"""The subject the log names for a sign-in as no account there is."""


def _wait(
    session: Session, name: str, address: str | None, now: dt.datetime
) -> dt.timedelta | None:
    since = now - policy.ATTEMPT_WINDOW
    waits = [
        policy.wait_for(
            repository.failures_of_account(session, name, since), policy.ACCOUNT_FAILURES, now
        )
    ]
    if address is not None:
        waits.append(
            policy.wait_for(
                repository.failures_from_address(session, address, since),
                policy.ADDRESS_FAILURES,
                now,
            )
        )
    blocked = [w for w in waits if w is not None]
    return max(blocked) if blocked else None


# --- Browser sessions -------------------------------------------------------------------------


def start_session(
    session: Session, user: User, address: str | None, clock: Clock
) -> tuple[str, str]:
    """A new session for a signed-in user: (session id for the cookie, CSRF token). Both are
    shown only now; the row keeps their digests."""
    if not user.active:
        raise Unauthorized(BAD_CREDENTIALS)
    now = clock.now()
    session_id, csrf_token = new_secret(), new_secret()
    session.add(
        UserSession(
            user_id=user.id,
            token_hash=digest(session_id),
            csrf_hash=digest(csrf_token),
            address=address[:64] if address else None,
            created_at=now,
            last_seen_at=now,
            expires_at=now + policy.ABSOLUTE_TIMEOUT,
        )
    )
    session.flush()
    return session_id, csrf_token


def session_principal(session: Session, session_id: str, clock: Clock) -> Principal | None:
    """Who holds this session id, marking it seen now; None when it is unknown, signed out,
    idle too long, past its absolute end, or its user is deactivated."""
    found = repository.session_by_digest(session, digest(session_id))
    if found is None:
        return None
    row, user = found
    now = clock.now()
    live = policy.session_live(
        last_seen_at=row.last_seen_at, expires_at=row.expires_at, ended_at=row.ended_at, now=now
    )
    if not (live and user.active):
        return None
    if policy.stale(row.last_seen_at, now):
        row.last_seen_at = now
    return _principal(user, "session", frozenset(policy.SCOPES), row.id)


def csrf_ok(session: Session, session_id: str, csrf_token: str) -> bool:
    """Whether the CSRF token is the one given to this (not signed-out) session."""
    found = repository.session_by_digest(session, digest(session_id))
    if found is None or found[0].ended_at is not None:
        return False
    return same_digest(found[0].csrf_hash, digest(csrf_token))


def end_session(session: Session, session_id: str, clock: Clock) -> bool:
    """Sign out; False when there was no open session with this id."""
    found = repository.session_by_digest(session, digest(session_id))
    if found is None or found[0].ended_at is not None:
        return False
    found[0].ended_at = clock.now()
    return True


# --- API tokens -------------------------------------------------------------------------------


def issue_token(
    session: Session,
    username: str,
    name: str,
    scopes: Collection[str],
    expires_in: dt.timedelta,
    clock: Clock,
    *,
    actor: str,
) -> str:
    """A new API token for the user, returned once as `acc_<id>_<secret>`; only the secret's
    digest is kept. Scopes from `policy.SCOPES`; expiry required, at most a year."""
    label = name.strip()
    problems = policy.scope_problems(scopes) + policy.lifetime_problems(expires_in)
    if not label or len(label) > policy.TOKEN_NAME_MAX:
        problems.append(Problem("name", f"1 to {policy.TOKEN_NAME_MAX} characters"))
    if problems:
        raise InvalidInput(f"token for {username!r}", problems)
    user = _user(session, username)
    if not user.active:
        raise Conflict(f"{username} is deactivated: no token can be issued")
    now = clock.now()
    secret = new_secret()
    token = ApiToken(
        user_id=user.id,
        name=label,
        token_hash=digest(secret),
        scopes=sorted(set(scopes)),
        created_at=now,
        expires_at=now + expires_in,
    )
    session.add(token)
    session.flush()
    record(
        session,
        actor,
        Entry(
            "token.issued",
            "api_token",
            str(token.id),
            {
                "username": username,
                "name": label,
                "scopes": token.scopes,
                "expires_at": token.expires_at.isoformat(),
            },
        ),
        at=now,
    )
    return format_token(token.id, secret)


def token_principal(session: Session, token: str, clock: Clock) -> Principal | None:
    """Who holds this API token, marking it used now; None when it is malformed, unknown,
    revoked, expired, or its user is deactivated."""
    parsed = parse_token(token)
    if parsed is None:
        return None
    token_id, secret = parsed
    found = repository.token_with_user(session, token_id)
    if found is None:
        return None
    row, user = found
    if not same_digest(row.token_hash, digest(secret)):
        return None
    now = clock.now()
    if not (policy.token_live(expires_at=row.expires_at, revoked_at=row.revoked_at, now=now)):
        return None
    if not user.active:
        return None
    if policy.stale(row.last_used_at, now):
        row.last_used_at = now
    return _principal(user, "token", frozenset(row.scopes) & frozenset(policy.SCOPES), row.id)


def revoke_token(session: Session, token_id: int, clock: Clock, *, actor: str) -> ApiToken:
    """Refuse the token from now on; revoking it again changes nothing."""
    found = repository.token_with_user(session, token_id)
    if found is None:
        raise NotFound(f"no API token {token_id}")
    token, user = found
    if token.revoked_at is None:
        now = clock.now()
        token.revoked_at = now
        record(
            session,
            actor,
            Entry(
                "token.revoked",
                "api_token",
                str(token.id),
                {"username": user.username, "name": token.name},
            ),
            at=now,
        )
    return token


def tokens_of(session: Session, username: str) -> Sequence[ApiToken]:
    """Every token of the user, oldest first, revoked and expired ones included."""
    return repository.tokens_of(session, _user(session, username).id)


def _principal(user: User, via: Via, scopes: frozenset[str], credential_id: int) -> Principal:
    return Principal(
        name=user.username,
        role=policy.as_role(user.role),
        party=user.party,
        via=via,
        scopes=scopes,
        user_id=user.id,
        credential_id=credential_id,
    )
