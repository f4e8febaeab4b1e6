"""Users, clocks and row readers shared by the account tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import select

from accord.accounts import service
from accord.audit import personal
from accord.clock import SetClock
from accord.db import Base, table_of, unit_of_work
from accord.models import AuditEvent, LoginAttempt
from accord.store import Store

T = TypeVar("T")

START = dt.datetime(2026, 1, 12, 9, 0, tzinfo=dt.UTC)
PASSWORD = "correct horse battery"
ADDRESS = "203.0.113.7"
OTHER_ADDRESS = "198.51.100.20"


def later(clock: SetClock, **delta: float) -> None:
    """Move the clock forward by minutes or seconds (SetClock.advance counts days and hours)."""
    step = dt.timedelta(**delta)
    assert step >= dt.timedelta(0)
    clock.at += step


def run(store: Store, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """One service call in its own transaction, as a command or request would make it."""
    with unit_of_work(store.sessions) as session:
        return call(session, *args, **kwargs)


def add(
    store: Store,
    clock: SetClock,
    username: str = "alice",
    role: str = "officer",
    party: str | None = "US",
    password: str = PASSWORD,
) -> None:
    run(store, service.add_user, username, password, role, party, clock, actor="admin")


def rows(store: Store, model: type[Base]) -> list[dict[str, Any]]:
    """Every row of a model's table, as plain values."""
    with unit_of_work(store.sessions) as session:
        return [dict(r) for r in session.execute(select(table_of(model))).mappings()]


def stored_text(store: Store, *models: type[Base]) -> str:
    """Every value of every row of these tables (and the audit log), as one text to search."""
    return "\n".join(
        repr(value)
        for model in (*models, AuditEvent)
        for row in rows(store, model)
        for value in row.values()
    )


def audited(store: Store, action: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(actor, entity id, data) of each audit event with this action, oldest first, its
    personal values put back as a reader of the log reads them."""
    with unit_of_work(store.sessions) as session:
        events = list(
            session.execute(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
            ).scalars()
        )
        datas = personal.reveal(session, [e.data for e in events])
        return [(e.actor, e.entity_id, data) for e, data in zip(events, datas, strict=True)]


def attempts(store: Store) -> list[tuple[str, str | None, bool]]:
    """(username, address, succeeded) of each sign-in attempt, oldest first."""
    return [
        (r["username"], r["address"], r["succeeded"])
        for r in sorted(rows(store, LoginAttempt), key=lambda r: r["id"])
    ]
