"""Browser sessions: random ids kept only as digests, idle and absolute expiry, sign-out,
deactivation, and the CSRF token compared in constant time."""

from __future__ import annotations

import hashlib

from accord.accounts import service
from accord.accounts.service import Principal
from accord.clock import SetClock
from accord.models import UserSession
from accord.store import Store
from tests.accounts.support import ADDRESS, PASSWORD, add, later, rows, run, stored_text


def started(store: Store, clock: SetClock, username: str = "alice") -> tuple[str, str]:
    user = service.authenticate(store.sessions, username, PASSWORD, ADDRESS, clock)
    return run(store, service.start_session, user, ADDRESS, clock)


def principal(store: Store, clock: SetClock, session_id: str) -> Principal | None:
    return run(store, service.session_principal, session_id, clock)


def test_a_session_is_shown_once_and_kept_as_digests(store: Store, clock: SetClock) -> None:
    add(store, clock, "rita", "reviewer", "XK")
    session_id, csrf = started(store, clock, "rita")
    assert session_id != csrf
    assert min(len(session_id), len(csrf)) >= 43  # 32 random bytes
    [row] = rows(store, UserSession)
    assert row["token_hash"] == hashlib.sha256(session_id.encode()).hexdigest()
    assert row["csrf_hash"] == hashlib.sha256(csrf.encode()).hexdigest()
    assert (row["address"], row["ended_at"]) == (ADDRESS, None)
    text = stored_text(store, UserSession)
    assert session_id not in text
    assert csrf not in text

    found = principal(store, clock, session_id)
    assert found == Principal(
        name="rita",
        role="reviewer",
        party="XK",
        via="session",
        scopes=frozenset({"read", "write"}),
        user_id=row["user_id"],
        credential_id=row["id"],
    )


def test_an_unknown_session_id_is_nobody(store: Store, clock: SetClock) -> None:
    add(store, clock)
    started(store, clock)
    assert principal(store, clock, "") is None
    assert principal(store, clock, "made-up") is None


def test_reads_within_a_minute_write_the_last_seen_time_once(store: Store, clock: SetClock) -> None:
    add(store, clock)
    session_id, _ = started(store, clock)
    first = clock.at
    later(clock, seconds=59)
    assert principal(store, clock, session_id) is not None
    [row] = rows(store, UserSession)
    assert row["last_seen_at"] == first  # no write for a read within the minute
    later(clock, seconds=1)
    assert principal(store, clock, session_id) is not None
    [row] = rows(store, UserSession)
    assert row["last_seen_at"] == clock.at


def test_a_session_idle_for_thirty_minutes_has_ended(store: Store, clock: SetClock) -> None:
    add(store, clock)
    session_id, _ = started(store, clock)
    for _ in range(3):  # each use moves the idle deadline
        later(clock, minutes=29)
        assert principal(store, clock, session_id) is not None
    [row] = rows(store, UserSession)
    assert row["last_seen_at"] == clock.at
    later(clock, minutes=30)
    assert principal(store, clock, session_id) is None
    later(clock, seconds=1)
    assert principal(store, clock, session_id) is None


def test_a_session_in_use_ends_twelve_hours_after_sign_in(store: Store, clock: SetClock) -> None:
    add(store, clock)
    session_id, _ = started(store, clock)
    for _ in range(35):  # 11 h 40 min, used every 20 minutes
        later(clock, minutes=20)
        assert principal(store, clock, session_id) is not None
    later(clock, minutes=19, seconds=59)
    assert principal(store, clock, session_id) is not None
    later(clock, seconds=1)
    assert principal(store, clock, session_id) is None


def test_a_signed_out_session_is_refused(store: Store, clock: SetClock) -> None:
    add(store, clock)
    session_id, csrf = started(store, clock)
    other, _ = started(store, clock)
    assert run(store, service.end_session, session_id, clock) is True
    assert run(store, service.end_session, session_id, clock) is False
    assert principal(store, clock, session_id) is None
    assert run(store, service.csrf_ok, session_id, csrf) is False
    assert principal(store, clock, other) is not None


def test_deactivating_a_user_ends_its_sessions(store: Store, clock: SetClock) -> None:
    add(store, clock)
    session_id, csrf = started(store, clock)
    run(store, service.deactivate_user, "alice", clock, actor="admin")
    assert principal(store, clock, session_id) is None
    assert run(store, service.csrf_ok, session_id, csrf) is False
    [row] = rows(store, UserSession)
    assert row["ended_at"] == clock.at


def test_the_csrf_token_must_be_the_sessions_own(store: Store, clock: SetClock) -> None:
    add(store, clock)
    add(store, clock, "bob")
    session_id, csrf = started(store, clock)
    other_id, other_csrf = started(store, clock, "bob")
    assert run(store, service.csrf_ok, session_id, csrf) is True
    assert run(store, service.csrf_ok, other_id, other_csrf) is True
    assert run(store, service.csrf_ok, session_id, other_csrf) is False
    assert run(store, service.csrf_ok, session_id, "") is False
    assert run(store, service.csrf_ok, session_id, csrf[:-1]) is False
    assert run(store, service.csrf_ok, "made-up", csrf) is False
