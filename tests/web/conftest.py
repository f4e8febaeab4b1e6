"""Every API test runs against the app on a real, migrated database (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.support import World, running


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    with running(database_url, tmp_path) as world:
        yield world
