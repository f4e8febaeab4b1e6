"""The account rules as data and pure functions: who may be a user, how long a session lives,
when sign-in attempts are refused, what a token may do. No database here."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Sequence
from typing import get_args

from accord.access import Scope as Scope
from accord.access import needs_party
from accord.errors import Problem
from accord.workflow.transitions import Role

ROLES: tuple[Role, ...] = get_args(Role)

USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,63}$")
PARTY = re.compile(r"^[A-Z][A-Z0-9_-]{1,15}$")
"""As agreements name parties: a state code such as XK, or an organisation such as MON-XK."""
SESSION_LIFETIME = 12 * 3600
"""The cookie's own lifetime: the absolute limit of a session; the server ends it sooner when
idle."""
PASSWORD_MIN = 12
PASSWORD_MAX = 1024

SCOPES: tuple[Scope, ...] = get_args(Scope)
"""What an API token may do: `read` (GET routes) and `write` (every route that changes
something). They are independent: a script that writes and reads needs both. A browser session
carries every scope."""
TOKEN_MAX_LIFETIME = dt.timedelta(days=365)
TOKEN_NAME_MAX = 100

IDLE_TIMEOUT = dt.timedelta(minutes=30)
ABSOLUTE_TIMEOUT = dt.timedelta(hours=12)
TOUCH_EVERY = dt.timedelta(minutes=1)
"""How stale a session's last-seen or a token's last-used time may get before a request writes
it again: a read then costs no write, and the idle timeout stays exact to the minute."""


def stale(last: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether a request at `now` should write its credential's last-use time."""
    return last is None or now - last >= TOUCH_EVERY


ATTEMPT_WINDOW = dt.timedelta(minutes=15)
ACCOUNT_FAILURES = 5
"""Failures for one username within the window (since its last success) that refuse the next
attempt, even with the right password."""
ADDRESS_FAILURES = 20
"""Failures from one address within the window, whatever the usernames, that refuse the next
attempt from it. A success does not reset this count."""


def user_problems(username: str, password: str, role: str, party: str | None) -> list[Problem]:
    """Everything wrong with a new user, all at once."""
    problems = []
    if not USERNAME.match(username):
        problems.append(
            Problem(
                "username",
                "2 to 64 characters: lower-case letters, digits, '.', '_' or '-',"
                " starting with a letter",
            )
        )
    if len(password) < PASSWORD_MIN:
        problems.append(Problem("password", f"at least {PASSWORD_MIN} characters"))
    elif len(password) > PASSWORD_MAX:
        problems.append(Problem("password", f"at most {PASSWORD_MAX} characters"))
    if role not in ROLES:
        problems.append(Problem("role", f"one of {', '.join(ROLES)}"))
    if party is not None and not PARTY.match(party):
        problems.append(Problem("party", "a party code such as XK or MON-XK"))
    elif party is None and needs_party(role):
        problems.append(Problem("party", f"a {role} acts for one party: give it"))
    return problems


def as_role(value: str) -> Role:
    """A stored role back as a Role; a value outside the table is a corrupted row."""
    for role in ROLES:
        if role == value:
            return role
    raise ValueError(f"unknown role {value!r}")


def scope_problems(scopes: Collection[str]) -> list[Problem]:
    if not scopes:
        return [Problem("scopes", f"at least one of {', '.join(SCOPES)}")]
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        return [Problem("scopes", f"unknown {', '.join(unknown)}; known: {', '.join(SCOPES)}")]
    return []


def lifetime_problems(expires_in: dt.timedelta) -> list[Problem]:
    if expires_in <= dt.timedelta(0):
        return [Problem("expires_in", "a token must expire in the future")]
    if expires_in > TOKEN_MAX_LIFETIME:
        return [Problem("expires_in", f"at most {TOKEN_MAX_LIFETIME.days} days")]
    return []


def session_live(
    *,
    last_seen_at: dt.datetime,
    expires_at: dt.datetime,
    ended_at: dt.datetime | None,
    now: dt.datetime,
) -> bool:
    """Neither signed out, idle for the idle timeout, nor past its absolute end."""
    return ended_at is None and now < last_seen_at + IDLE_TIMEOUT and now < expires_at


def token_live(
    *, expires_at: dt.datetime, revoked_at: dt.datetime | None, now: dt.datetime
) -> bool:
    return revoked_at is None and now < expires_at


def wait_for(failures: Sequence[dt.datetime], limit: int, now: dt.datetime) -> dt.timedelta | None:
    """How long until fewer than `limit` of these failures (oldest first, all within the window)
    remain within the window; None when there are fewer already."""
    if len(failures) < limit:
        return None
    freed_by = failures[len(failures) - limit]
    return max(freed_by + ATTEMPT_WINDOW - now, dt.timedelta(0))
