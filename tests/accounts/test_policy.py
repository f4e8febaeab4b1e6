"""The account rules on plain values: no database."""

from __future__ import annotations

import datetime as dt

import pytest
from argon2 import PasswordHasher, extract_parameters

from accord.accounts import credentials, policy
from tests.accounts.support import PASSWORD, START

MINUTE = dt.timedelta(minutes=1)


def places(username: str, password: str, role: str, party: str | None) -> list[str]:
    return [p.place for p in policy.user_problems(username, password, role, party)]


def test_a_valid_user_has_no_problems() -> None:
    assert places("olga.m", PASSWORD, "officer", None) == []
    assert places("rita", PASSWORD, "reviewer", "XK") == []
    assert places("mona", PASSWORD, "monitor", "MON-XK") == []


@pytest.mark.parametrize(
    ("username", "password", "role", "party", "expected"),
    [
        ("Alice", PASSWORD, "officer", None, ["username"]),
        ("a", PASSWORD, "officer", None, ["username"]),
        ("1abc", PASSWORD, "officer", None, ["username"]),
        ("alice", "eleven-char", "officer", None, ["password"]),
        ("alice", "x" * 1025, "officer", None, ["password"]),
        ("alice", PASSWORD, "root", None, ["role"]),
        ("rita", PASSWORD, "reviewer", None, ["party"]),
        ("mona", PASSWORD, "monitor", None, ["party"]),
        ("olga", PASSWORD, "officer", "us", ["party"]),
        ("A", "short", "root", "x", ["username", "password", "role", "party"]),
    ],
)
def test_every_problem_of_a_new_user_is_named(
    username: str, password: str, role: str, party: str | None, expected: list[str]
) -> None:
    assert places(username, password, role, party) == expected


def test_a_password_of_exactly_twelve_characters_is_enough() -> None:
    assert places("alice", "x" * 12, "admin", None) == []
    assert places("alice", "x" * 11, "admin", None) == ["password"]


def test_a_session_lives_until_idle_for_half_an_hour_or_twelve_hours_old() -> None:
    def live(
        now: dt.datetime, last_seen: dt.datetime = START, ended: dt.datetime | None = None
    ) -> bool:
        return policy.session_live(
            last_seen_at=last_seen,
            expires_at=START + policy.ABSOLUTE_TIMEOUT,
            ended_at=ended,
            now=now,
        )

    assert live(START + 30 * MINUTE - dt.timedelta(seconds=1))
    assert not live(START + 30 * MINUTE)
    late = START + policy.ABSOLUTE_TIMEOUT
    assert live(late - MINUTE, last_seen=late - 2 * MINUTE)
    assert not live(late, last_seen=late - MINUTE)
    assert not live(START + MINUTE, ended=START)


def test_a_lock_lasts_until_enough_failures_leave_the_window() -> None:
    failures = [START + k * MINUTE for k in range(6)]
    now = START + 6 * MINUTE
    assert policy.wait_for(failures[:4], 5, now) is None
    # Five failures: the oldest must leave the window (at START + 15 min).
    assert policy.wait_for(failures[:5], 5, now) == 9 * MINUTE
    # Six: the two oldest must leave; the second leaves at START + 16 min.
    assert policy.wait_for(failures, 5, now) == 10 * MINUTE


def test_scopes_and_lifetimes_of_a_token_are_checked() -> None:
    assert policy.scope_problems(["read", "write"]) == []
    assert [p.place for p in policy.scope_problems([])] == ["scopes"]
    assert "admin" in policy.scope_problems(["read", "admin"])[0].message
    assert policy.lifetime_problems(dt.timedelta(days=365)) == []
    assert policy.lifetime_problems(dt.timedelta(days=365, seconds=1)) != []
    assert policy.lifetime_problems(dt.timedelta(0)) != []


def test_a_token_is_read_back_only_when_shaped_acc_id_secret() -> None:
    secret = credentials.new_secret()
    assert credentials.parse_token(credentials.format_token(42, secret)) == (42, secret)
    assert credentials.parse_token(f"acc_7_{secret}_with_underscores") == (
        7,
        f"{secret}_with_underscores",
    )
    for bad in (
        "",
        "acc",
        "acc_",
        "acc_12",
        "acc_12_",
        f"acc_x_{secret}",
        f"acc_-1_{secret}",
        f"acc_٣_{secret}",
        f"tok_1_{secret}",
        f"acc_{2**31}_{secret}",
        f"acc_1_{'x' * 129}",
    ):
        assert credentials.parse_token(bad) is None, bad


def test_an_unknown_user_is_checked_against_a_hash_as_costly_as_a_real_one() -> None:
    real = credentials.hash_password(PASSWORD)
    assert real.startswith("$argon2id$")
    assert extract_parameters(credentials._decoy()) == extract_parameters(real)
    assert credentials.check_password(None, PASSWORD).ok is False
    assert credentials.check_password(real, PASSWORD).ok is True
    assert credentials.check_password(real, PASSWORD + "!").ok is False
    assert credentials.check_password("not a hash", PASSWORD).ok is False


def test_a_hash_made_with_weaker_parameters_is_replaced_on_success() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    checked = credentials.check_password(weak, PASSWORD)
    assert checked.ok
    assert checked.rehashed is not None
    assert extract_parameters(checked.rehashed) == extract_parameters(
        credentials.hash_password(PASSWORD)
    )
    assert credentials.check_password(checked.rehashed, PASSWORD).rehashed is None
