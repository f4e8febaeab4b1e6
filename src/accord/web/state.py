"""What the application holds while it runs: the store and the clock."""

from __future__ import annotations

from dataclasses import dataclass

from accord.clock import Clock
from accord.store import Store


@dataclass
class AppState:
    store: Store
    clock: Clock
