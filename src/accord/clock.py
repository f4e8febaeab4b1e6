"""The clock every deadline is computed from: the system's, or one that tests and the demo set.

Notice periods, interview notice, reopening windows and check-in dates are all computed from
`Clock.now()`, never from `datetime.now()` directly, so a test can stand on any day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


@dataclass
class SetClock:
    """A clock that stays where it is set; `advance` moves it forward, never back."""

    at: dt.datetime

    def now(self) -> dt.datetime:
        return self.at

    def advance(self, *, days: int = 0, hours: int = 0) -> dt.datetime:
        step = dt.timedelta(days=days, hours=hours)
        if step < dt.timedelta(0):
            raise ValueError("a clock does not go back")
        self.at += step
        return self.at

    @classmethod
    def on(cls, day: dt.date, hour: int = 9) -> SetClock:
        return cls(dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC))


def as_utc(moment: dt.datetime) -> dt.datetime:
    """A stored moment as an aware UTC one: SQLite gives back the naive UTC it was given."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def today(clock: Clock) -> dt.date:
    return clock.now().date()


def clock_for(now: dt.datetime | None) -> Clock:
    """The clock a command or the server runs on: ACCORD_NOW when set (UTC when no zone is
    given), else the system clock."""
    if now is None:
        return SystemClock()
    return SetClock(now if now.tzinfo else now.replace(tzinfo=dt.UTC))
