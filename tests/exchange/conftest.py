"""The exchange's fixture: two deployments on one agreement (`tests.exchange.support.pair`),
the sender with two eligible single adults, A1 and A2."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from accord.store import Store
from tests.exchange.support import Pair, pair
from tests.proposals.support import import_records, single


@pytest.fixture
def two(store: Store, tmp_path: Path, sqlite_template: Path) -> Iterator[Pair]:
    found = pair(store, tmp_path, sqlite_template)
    import_records(store, tmp_path, [single("A1"), single("A2")])
    yield found
    found.receiver.store.close()
