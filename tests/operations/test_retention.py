"""The retention schedule, on SQLite and PostgreSQL: six years after the last thing recorded,
a person whose items have all ended is erased (ground `retention`), one with an item that can
still move is kept whatever its age; sign-in attempts, their audit values, expired sessions and
kept answers go after their days; the chain verifies after it all; a dry run removes nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from accord.accounts import service as accounts
from accord.accounts.service import Unauthorized
from accord.audit.service import verify
from accord.clock import SetClock
from accord.config import Settings
from accord.db import unit_of_work
from accord.errors import Forbidden
from accord.models import AuditEvent, Erasure, LoginAttempt, Person, PersonalValue
from accord.operations import retention
from accord.proposals.service import withdraw
from accord.store import Store
from tests.proposals.support import (
    OFFICER,
    START,
    SUPERVISOR,
    accept,
    import_records,
    load_agreement,
    propose,
    run,
    single,
)
from tests.support import Cli

SCHEDULE = retention.Schedule(case_years=6, sign_in_days=90, replay_days=30)


@pytest.fixture
def clock() -> SetClock:
    return SetClock.on(START)


def world(store: Store, tmp_path: Path, clock: SetClock) -> None:
    """A1's item withdrawn (ended), B1's accepted (open), C1 never proposed; one failed
    sign-in from an address."""
    load_agreement(store)
    import_records(store, tmp_path, [single("A1"), single("B1"), single("C1")])
    ended, still_open = propose(store, clock, ["F-A1", "F-B1"])
    accept(store, clock, ended)
    accept(store, clock, still_open)
    run(store, withdraw, ended, "the family withdrew its consent", OFFICER, clock)
    with pytest.raises(Unauthorized):
        accounts.authenticate(store.sessions, "nobody", "wrong", "203.0.113.9", clock)


def counts(store: Store) -> dict[str, int]:
    with unit_of_work(store.sessions) as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Person, Erasure, LoginAttempt, PersonalValue, AuditEvent)
        }


def later(clock: SetClock, **delta: int) -> SetClock:
    return SetClock(clock.now() + dt.timedelta(**delta))


def test_nothing_is_due_before_its_time(store: Store, tmp_path: Path, clock: SetClock) -> None:
    world(store, tmp_path, clock)
    with unit_of_work(store.sessions) as session:
        due = retention.due(session, SCHEDULE, later(clock, days=89).now())
    assert due.counts() == {
        "people": 0,
        "sign-in values": 0,
        "sign-in attempts": 0,
        "sessions": 0,
        "kept answers": 0,
    }


def test_after_six_years_ended_cases_are_erased_and_open_ones_kept(
    store: Store, tmp_path: Path, clock: SetClock
) -> None:
    world(store, tmp_path, clock)
    then = later(clock, days=6 * 366)
    with unit_of_work(store.sessions) as session:
        due = retention.due(session, SCHEDULE, then.now())
    assert due.people == ["A1", "C1"]
    assert (due.sign_in_values, due.login_attempts) == (2, 1)  # the name typed and the address

    before = counts(store)
    done, kept = run(store, retention.apply, SCHEDULE, SUPERVISOR, then)
    assert done.people == ["A1", "C1"] and kept == []
    after = counts(store)
    assert after["people"] == before["people"] - 2 and after["erasures"] == 2
    assert after["login_attempts"] == 0
    assert after["personal_values"] == before["personal_values"] - 2
    with unit_of_work(store.sessions) as session:
        assert session.get(Person, "B1") is not None
        grounds = {e.case_id: e.ground for e in session.scalars(select(Erasure))}
        assert grounds == {"A1": "retention", "C1": "retention"}
        [applied] = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "retention.applied")
        )
        assert applied.data["removed"]["people"] == 2 and applied.actor == "sam"
        assert verify(session).ok
    # Run again the same day: nothing more is due.
    with unit_of_work(store.sessions) as session:
        assert retention.due(session, SCHEDULE, then.now()).counts()["people"] == 0


def test_only_a_supervisor_applies_it(store: Store, tmp_path: Path, clock: SetClock) -> None:
    world(store, tmp_path, clock)
    before = counts(store)
    with pytest.raises(Forbidden):
        run(store, retention.apply, SCHEDULE, OFFICER, later(clock, days=6 * 366))
    assert counts(store) == before


def test_the_schedule_comes_from_the_settings() -> None:
    settings = Settings(
        database_url="sqlite://",
        retention_case_years=10,
        retention_sign_in_days=30,
        retention_replay_days=7,
    )
    assert retention.Schedule.of(settings) == retention.Schedule(10, 30, 7)
    leap = dt.datetime(2028, 2, 29, tzinfo=dt.UTC)
    assert retention.Schedule(6, 90, 30).case_cutoff(leap) == dt.datetime(
        2022, 2, 28, tzinfo=dt.UTC
    )


def test_the_dry_run_says_what_is_due_and_removes_nothing(
    store: Store, database_url: str, tmp_path: Path, clock: SetClock
) -> None:
    world(store, tmp_path, clock)
    cli = Cli(database_url).signed_up()
    before = counts(store)
    done = cli("retention", "run", "--dry-run", user="sam")
    assert done.exit_code == 0, done.output
    assert "6 years after the last thing recorded" in done.output
    assert "due: 0 people" in done.output
    assert counts(store)["people"] == before["people"]
