"""The account tests stand on a set clock, moved forward by hand."""

from __future__ import annotations

import pytest

from accord.clock import SetClock
from tests.accounts.support import START


@pytest.fixture
def clock() -> SetClock:
    return SetClock(START)
