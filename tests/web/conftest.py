"""Every API test runs against the app on a real, migrated database (SQLite and PostgreSQL).

Passwords are hashed with argon2 here too, with the cheapest parameters: these tests are about
HTTP, and each seeded world signs six users up; tests/accounts keeps the real parameters."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from accord.accounts import credentials
from tests.web.support import World, running


@pytest.fixture(autouse=True, scope="session")
def cheap_argon2() -> Iterator[None]:
    real = credentials._hasher
    credentials._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    credentials._decoy.cache_clear()
    try:
        yield
    finally:
        credentials._hasher = real
        credentials._decoy.cache_clear()


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    with running(database_url, tmp_path) as world:
        yield world
