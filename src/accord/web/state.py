"""What the application holds while it runs: the store, the clock and the matcher's job
runner."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from accord.clock import Clock
from accord.proposals.job_runner import JobRunner
from accord.store import Store


@dataclass
class AppState:
    store: Store
    clock: Clock
    jobs: JobRunner


def state_of(request: Request) -> AppState:
    """The running application's state, as `create_app` set it."""
    state: AppState = request.app.state.accord
    return state
