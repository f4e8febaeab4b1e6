"""API tokens: shown once, kept as a digest, scoped, expiring, revocable, and refused once
their user is deactivated."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from accord.accounts import service
from accord.accounts.service import Principal
from accord.clock import SetClock
from accord.errors import Conflict, InvalidInput, NotFound
from accord.models import ApiToken
from accord.store import Store
from tests.accounts.support import add, audited, later, rows, run, stored_text

DAYS_90 = dt.timedelta(days=90)


def issued(
    store: Store,
    clock: SetClock,
    username: str = "alice",
    scopes: tuple[str, ...] = ("read",),
    expires_in: dt.timedelta = DAYS_90,
    name: str = "nightly export",
) -> str:
    return run(
        store, service.issue_token, username, name, list(scopes), expires_in, clock, actor="admin"
    )


def principal(store: Store, clock: SetClock, token: str) -> Principal | None:
    return run(store, service.token_principal, token, clock)


def test_a_token_is_shown_once_and_kept_as_a_digest(store: Store, clock: SetClock) -> None:
    add(store, clock)
    token = issued(store, clock, scopes=("write", "read", "read"))
    prefix, number, secret = token.split("_", 2)
    assert prefix == "acc"
    assert len(secret) >= 43
    [row] = rows(store, ApiToken)
    assert row["id"] == int(number)
    assert row["token_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert row["scopes"] == ["read", "write"]
    assert row["expires_at"] == clock.at + DAYS_90
    text = stored_text(store, ApiToken)
    assert secret not in text
    assert token not in text
    assert audited(store, "token.issued") == [
        (
            "admin",
            number,
            {
                "username": "alice",
                "name": "nightly export",
                "scopes": ["read", "write"],
                "expires_at": (clock.at + DAYS_90).isoformat(),
            },
        )
    ]

    found = principal(store, clock, token)
    assert found == Principal(
        name="alice",
        role="officer",
        party="US",
        via="token",
        scopes=frozenset({"read", "write"}),
        user_id=row["user_id"],
        credential_id=row["id"],
    )
    [row] = rows(store, ApiToken)
    assert row["last_used_at"] == clock.at


def test_a_token_carries_only_its_scopes(store: Store, clock: SetClock) -> None:
    add(store, clock)
    found = principal(store, clock, issued(store, clock, scopes=("read",)))
    assert found is not None
    assert found.scopes == frozenset({"read"})


def test_a_tampered_or_malformed_token_is_nobody(store: Store, clock: SetClock) -> None:
    add(store, clock)
    token = issued(store, clock)
    _, number, secret = token.split("_", 2)
    other = issued(store, clock)
    for bad in (
        f"acc_{number}_{secret[:-1]}",
        f"acc_{number}_{other.split('_', 2)[2]}",
        f"acc_{int(number) + 5}_{secret}",
        f"acc_{2**31 - 1}_{secret}",
        f"acc_{2**40}_{secret}",
        secret,
        "",
    ):
        assert principal(store, clock, bad) is None, bad
    assert principal(store, clock, token) is not None


def test_a_token_expires(store: Store, clock: SetClock) -> None:
    add(store, clock)
    token = issued(store, clock, expires_in=dt.timedelta(days=1))
    later(clock, hours=23, minutes=59, seconds=59)
    assert principal(store, clock, token) is not None
    later(clock, seconds=1)
    assert principal(store, clock, token) is None


def test_a_revoked_token_is_refused_and_revoking_twice_changes_nothing(
    store: Store, clock: SetClock
) -> None:
    add(store, clock)
    token = issued(store, clock)
    kept = issued(store, clock, name="kept")
    token_id = int(token.split("_")[1])
    later(clock, minutes=5)
    revoked = run(store, service.revoke_token, token_id, clock, actor="admin")
    assert revoked.revoked_at == clock.at
    later(clock, minutes=5)
    assert run(store, service.revoke_token, token_id, clock, actor="admin").revoked_at == (
        revoked.revoked_at
    )
    assert principal(store, clock, token) is None
    assert principal(store, clock, kept) is not None
    assert audited(store, "token.revoked") == [
        ("admin", str(token_id), {"username": "alice", "name": "nightly export"})
    ]
    with pytest.raises(NotFound):
        run(store, service.revoke_token, 999, clock, actor="admin")


def test_the_token_of_a_deactivated_user_is_refused(store: Store, clock: SetClock) -> None:
    add(store, clock)
    token = issued(store, clock)
    run(store, service.deactivate_user, "alice", clock, actor="admin")
    assert principal(store, clock, token) is None
    with pytest.raises(Conflict, match="deactivated"):
        issued(store, clock)


@pytest.mark.parametrize(
    ("scopes", "expires_in", "name", "place"),
    [
        ((), DAYS_90, "n", "scopes"),
        (("read", "admin"), DAYS_90, "n", "scopes"),
        (("read",), dt.timedelta(0), "n", "expires_in"),
        (("read",), dt.timedelta(days=366), "n", "expires_in"),
        (("read",), DAYS_90, "  ", "name"),
        (("read",), DAYS_90, "x" * 101, "name"),
    ],
)
def test_a_token_needs_known_scopes_an_expiry_within_a_year_and_a_name(
    store: Store,
    clock: SetClock,
    scopes: tuple[str, ...],
    expires_in: dt.timedelta,
    name: str,
    place: str,
) -> None:
    add(store, clock)
    with pytest.raises(InvalidInput) as info:
        issued(store, clock, scopes=scopes, expires_in=expires_in, name=name)
    assert [p.place for p in info.value.problems] == [place]
    assert rows(store, ApiToken) == []


def test_a_token_may_last_a_year_at_most(store: Store, clock: SetClock) -> None:
    add(store, clock)
    token = issued(store, clock, expires_in=dt.timedelta(days=365))
    later(clock, hours=365 * 24 - 1)
    assert principal(store, clock, token) is not None


def test_tokens_are_listed_per_user(store: Store, clock: SetClock) -> None:
    add(store, clock)
    add(store, clock, "bob")
    issued(store, clock, name="one")
    issued(store, clock, "bob", name="bob's")
    issued(store, clock, name="two")
    assert [t.name for t in run(store, service.tokens_of, "alice")] == ["one", "two"]
    with pytest.raises(NotFound):
        run(store, service.tokens_of, "nobody")
    with pytest.raises(NotFound):
        issued(store, clock, "nobody")
