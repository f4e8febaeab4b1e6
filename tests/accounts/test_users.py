"""Users: added with an argon2 hash only, validated, unique, listed and deactivated."""

from __future__ import annotations

import pytest

from accord.accounts import service
from accord.clock import SetClock
from accord.errors import Conflict, InvalidInput, NotFound
from accord.models import User
from accord.store import Store
from tests.accounts.support import PASSWORD, add, audited, rows, run, stored_text


def test_a_password_is_kept_only_as_an_argon2_hash(store: Store, clock: SetClock) -> None:
    add(store, clock, "rita", "reviewer", "XK")
    [row] = rows(store, User)
    assert row["password_hash"].startswith("$argon2id$")
    assert (row["username"], row["role"], row["party"], row["active"]) == (
        "rita",
        "reviewer",
        "XK",
        True,
    )
    assert PASSWORD not in stored_text(store, User)
    assert audited(store, "user.added") == [("admin", "rita", {"role": "reviewer", "party": "XK"})]


def test_an_invalid_user_is_refused_with_every_problem_and_nothing_written(
    store: Store, clock: SetClock
) -> None:
    with pytest.raises(InvalidInput) as info:
        add(store, clock, "Rita", "reviewer", None, password="short")
    assert [p.place for p in info.value.problems] == ["username", "password", "party"]
    assert "short" not in info.value.detail
    assert rows(store, User) == []
    assert audited(store, "user.added") == []


def test_a_username_is_taken_once(store: Store, clock: SetClock) -> None:
    add(store, clock, "olga")
    with pytest.raises(Conflict, match="olga"):
        add(store, clock, "olga", "supervisor")
    assert [r["role"] for r in rows(store, User)] == ["officer"]


def test_users_are_listed_by_name(store: Store, clock: SetClock) -> None:
    for name in ("sam", "ada", "olga"):
        add(store, clock, name, "admin", None)
    assert [u.username for u in run(store, service.users)] == ["ada", "olga", "sam"]


def test_deactivating_is_audited_once_and_needs_a_known_user(store: Store, clock: SetClock) -> None:
    add(store, clock, "olga")
    assert run(store, service.deactivate_user, "olga", clock, actor="admin").active is False
    run(store, service.deactivate_user, "olga", clock, actor="admin")
    assert audited(store, "user.deactivated") == [("admin", "olga", {})]
    with pytest.raises(NotFound):
        run(store, service.deactivate_user, "nobody", clock, actor="admin")
