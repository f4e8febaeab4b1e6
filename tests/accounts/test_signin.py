"""Signing in: argon2 verification, one answer for every failure, rate limits by account and
by address, and every attempt kept and audited even when the request fails."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, extract_parameters
from sqlalchemy import update

from accord.accounts import credentials, service
from accord.accounts.service import BAD_CREDENTIALS, TooManyAttempts, Unauthorized
from accord.clock import SetClock
from accord.db import unit_of_work
from accord.models import Party, User, UserSession
from accord.store import Store
from tests.accounts.support import (
    ADDRESS,
    OTHER_ADDRESS,
    PASSWORD,
    add,
    attempts,
    audited,
    later,
    rows,
    run,
)

WRONG = "not the password at all"


def sign_in(
    store: Store,
    clock: SetClock,
    username: str = "alice",
    password: str = PASSWORD,
    address: str | None = ADDRESS,
) -> User:
    return service.authenticate(store.sessions, username, password, address, clock)


def refusal(
    store: Store,
    clock: SetClock,
    username: str = "alice",
    password: str = WRONG,
    address: str | None = ADDRESS,
) -> Unauthorized | TooManyAttempts:
    with pytest.raises((Unauthorized, TooManyAttempts)) as info:
        sign_in(store, clock, username, password, address)
    assert isinstance(info.value, Unauthorized | TooManyAttempts)
    return info.value


def test_the_right_password_signs_in_and_is_recorded(store: Store, clock: SetClock) -> None:
    add(store, clock)
    user = sign_in(store, clock, "Alice ")
    assert (user.username, user.role, user.party) == ("alice", "officer", "US")
    assert attempts(store) == [("alice", ADDRESS, True)]
    assert audited(store, "login.succeeded") == [("alice", "alice", {"address": ADDRESS})]


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(
    store: Store, clock: SetClock
) -> None:
    add(store, clock)
    wrong = refusal(store, clock, "alice", WRONG)
    unknown = refusal(store, clock, "mallory", PASSWORD)
    assert type(wrong) is type(unknown) is Unauthorized
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.detail == unknown.detail == BAD_CREDENTIALS
    assert attempts(store) == [("alice", ADDRESS, False), ("mallory", ADDRESS, False)]
    assert audited(store, "login.failed") == [
        ("anonymous", "alice", {"username": "alice", "address": ADDRESS}),
        ("anonymous", "(unknown)", {"username": "mallory", "address": ADDRESS}),
    ]
    assert WRONG not in repr(audited(store, "login.failed"))


def test_an_unknown_user_costs_one_argon2_verification_like_a_known_one(
    store: Store, clock: SetClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    add(store, clock)
    verified: list[str] = []
    real_verify = PasswordHasher.verify

    def counting(self: PasswordHasher, hash: str, password: str) -> bool:
        verified.append(hash)
        return real_verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    refusal(store, clock, "alice", WRONG)
    refusal(store, clock, "mallory", WRONG)
    assert len(verified) == 2
    assert verified[1] == credentials._decoy()
    assert verified[0] != verified[1]


def test_a_deactivated_user_is_refused_with_the_same_answer(store: Store, clock: SetClock) -> None:
    add(store, clock)
    run(store, service.deactivate_user, "alice", clock, actor="admin")
    assert refusal(store, clock, password=PASSWORD).detail == BAD_CREDENTIALS
    assert attempts(store) == [("alice", ADDRESS, False)]


def test_five_failures_lock_the_account_even_for_the_right_password_for_fifteen_minutes(
    store: Store, clock: SetClock
) -> None:
    add(store, clock)
    add(store, clock, "bob")
    for _ in range(5):
        assert isinstance(refusal(store, clock), Unauthorized)
    locked = refusal(store, clock, password=PASSWORD)
    assert isinstance(locked, TooManyAttempts)
    assert (locked.status_code, locked.retry_after) == (429, 15 * 60)
    # The lock is the account's, from any address; others sign in from the same address.
    assert isinstance(
        refusal(store, clock, password=PASSWORD, address=OTHER_ADDRESS), TooManyAttempts
    )
    assert isinstance(refusal(store, clock, password=PASSWORD, address=None), TooManyAttempts)
    assert sign_in(store, clock, "bob").username == "bob"
    later(clock, minutes=14, seconds=59)
    assert isinstance(refusal(store, clock, password=PASSWORD), TooManyAttempts)
    later(clock, seconds=1)
    assert sign_in(store, clock).username == "alice"
    # Refused attempts are audited, not counted: the lock did not stretch.
    assert len(audited(store, "login.refused")) == 4
    assert [a for a in attempts(store) if a[0] == "alice"] == [("alice", ADDRESS, False)] * 5 + [
        ("alice", ADDRESS, True)
    ]


def test_an_unknown_username_is_locked_like_a_known_one(store: Store, clock: SetClock) -> None:
    for _ in range(5):
        refusal(store, clock, "mallory")
    assert isinstance(refusal(store, clock, "mallory"), TooManyAttempts)


def test_a_success_clears_the_account_count_but_not_the_address_count(
    store: Store, clock: SetClock
) -> None:
    add(store, clock)
    for _ in range(4):
        refusal(store, clock)
    sign_in(store, clock)  # at the same moment as the failures before and after it
    for _ in range(4):
        refusal(store, clock)
    assert sign_in(store, clock).username == "alice"  # 8 failures in the window, 4 since success
    for _ in range(5):
        refusal(store, clock)
    assert isinstance(refusal(store, clock, password=PASSWORD), TooManyAttempts)


def test_twenty_failures_from_one_address_lock_it_whatever_the_usernames(
    store: Store, clock: SetClock
) -> None:
    add(store, clock)
    for n in range(20):
        assert isinstance(refusal(store, clock, f"guess{n}"), Unauthorized)
        later(clock, seconds=10)
    locked = refusal(store, clock, password=PASSWORD)
    assert isinstance(locked, TooManyAttempts)
    assert locked.retry_after == 15 * 60 - 200  # until the first guess leaves the window
    assert sign_in(store, clock, address=OTHER_ADDRESS).username == "alice"
    assert sign_in(store, clock, address=None).username == "alice"
    # A success from the locked address's own account does not unlock it.
    assert isinstance(refusal(store, clock, password=PASSWORD), TooManyAttempts)
    later(clock, seconds=locked.retry_after)
    assert sign_in(store, clock).username == "alice"


def test_a_failed_sign_in_is_kept_when_the_request_around_it_rolls_back(
    store: Store, clock: SetClock
) -> None:
    """The shape of a sign-in request: its own unit of work, which rolls back on the error."""
    add(store, clock)

    def request() -> None:
        with unit_of_work(store.sessions) as session:
            session.add(Party(code="ZZ", name="written by the request"))
            user = service.authenticate(store.sessions, "alice", WRONG, ADDRESS, clock)
            service.start_session(session, user, ADDRESS, clock)

    with pytest.raises(Unauthorized):
        request()
    assert rows(store, Party) == []
    assert rows(store, UserSession) == []
    assert attempts(store) == [("alice", ADDRESS, False)]
    assert len(audited(store, "login.failed")) == 1


def test_a_refusal_by_the_limit_is_kept_when_the_request_rolls_back(
    store: Store, clock: SetClock
) -> None:
    add(store, clock)
    for _ in range(5):
        refusal(store, clock)
    with pytest.raises(TooManyAttempts), unit_of_work(store.sessions):
        service.authenticate(store.sessions, "alice", PASSWORD, ADDRESS, clock)
    assert audited(store, "login.refused")[0][2] == {"username": "alice", "address": ADDRESS}


def test_a_hash_with_weaker_parameters_is_replaced_at_sign_in(
    store: Store, clock: SetClock
) -> None:
    add(store, clock)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with unit_of_work(store.sessions) as session:
        session.execute(update(User).values(password_hash=weak))
    sign_in(store, clock)
    [row] = rows(store, User)
    assert row["password_hash"] != weak
    assert extract_parameters(row["password_hash"]) == extract_parameters(
        credentials.hash_password(PASSWORD)
    )
    assert sign_in(store, clock).username == "alice"
