"""Helpers shared by tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from argon2 import PasswordHasher
from typer.testing import CliRunner, Result

from accord.access import Actor
from accord.accounts import credentials, service
from accord.cli import app
from accord.clock import SystemClock
from accord.config import Settings
from accord.db import unit_of_work
from accord.documents import service as templates
from accord.store import Store, open_store

PASSWORD = "correct horse battery"
ADMIN = "ada"
USERS: tuple[tuple[str, str, str | None], ...] = (
    ("olga", "officer", "US"),
    ("sam", "supervisor", "US"),
    ("rita", "reviewer", "XK"),
    ("mona", "monitor", "MON-XK"),
    ("ruth", "reviewer", "AL"),
    ("sid", "supervisor", "AL"),
)
"""The accounts `sign_up` makes after the first admin (ada): the sender's officer and
supervisor, the receiver's reviewer, the monitor, and staff of a party foreign to the
agreements (a reviewer and a supervisor of AL)."""


@contextmanager
def cheap_passwords() -> Iterator[None]:
    """argon2 with its cheapest parameters, as tests/web does: these tests are about who acts,
    and each signs several users up; tests/accounts' service tests keep the real ones."""
    real = credentials._hasher
    credentials._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    credentials._decoy.cache_clear()
    try:
        yield
    finally:
        credentials._hasher = real
        credentials._decoy.cache_clear()


TEMPLATE_APPROVER = Actor("T. Reviewer", "supervisor")


def approve_notice_templates(store: Store, *, keep_drafts: frozenset[str] = frozenset()) -> None:
    """Approve every shipped notice template but those in `keep_drafts`, as a supervisor
    would after a certified review: the tests serve notices in the languages of their people."""
    clock = SystemClock()
    with unit_of_work(store.sessions) as session:
        for row in templates.list_templates(session, TEMPLATE_APPROVER, clock):
            if row.status == "draft" and row.language not in keep_drafts:
                templates.approve_template(
                    session,
                    row.language,
                    row.version,
                    "approved for the tests, as after a certified translator's review",
                    TEMPLATE_APPROVER,
                    clock,
                )


def sign_up(
    database_url: str, users: tuple[tuple[str, str, str | None], ...] = USERS
) -> dict[str, str]:
    """Bootstrap the first admin (ada), add the users, and issue each a read-and-write token
    for a year, as an admin would with `accord users token issue`: username -> token."""
    store = open_store(Settings(database_url=database_url))
    clock = SystemClock()
    try:
        with cheap_passwords(), unit_of_work(store.sessions) as session:
            service.bootstrap_admin(session, ADMIN, PASSWORD, clock)
            for username, role, party in users:
                service.add_user(session, username, PASSWORD, role, party, clock, actor=ADMIN)
            return {
                username: service.issue_token(
                    session,
                    username,
                    "tests",
                    ["read", "write"],
                    dt.timedelta(days=365),
                    clock,
                    actor=ADMIN,
                )
                for username in (ADMIN, *(u[0] for u in users))
            }
    finally:
        store.close()


class Cli:
    """Runs `accord …` in-process against the test's database, as a signed-in user (`user=`,
    whose token is given in ACCORD_TOKEN for that invocation) or as no one."""

    def __init__(self, database_url: str, tokens: Mapping[str, str] | None = None) -> None:
        self.database_url = database_url
        self.runner = CliRunner()
        self.tokens = dict(tokens or {})

    def signed_up(self) -> Cli:
        """This database with the first admin and `USERS`, each with a token."""
        self.tokens = sign_up(self.database_url)
        return self

    def __call__(
        self,
        *args: str,
        db: bool = True,
        user: str | None = None,
        input: str | None = None,
    ) -> Result:
        argv = [*args, "--db", self.database_url] if db else list(args)
        env = {"COLUMNS": "200", "ACCORD_TOKEN": self.tokens[user] if user else None}
        return self.runner.invoke(app, argv, input=input, env=env, catch_exceptions=False)


def person(case_id: str, family_id: str | None = None, **overrides: object) -> dict[str, object]:
    """A valid person record in the exchange schema; override any field."""
    record: dict[str, object] = {
        "case_id": case_id,
        "family_id": family_id or f"F-{case_id}",
        "relationship": "head",
        "given_name": "Ana",
        "family_name": "Example",
        "birth_date": "1990-04-02",
        "sex": "F",
        "nationalities": ["VE"],
        "languages": ["es"],
        "sender_status": "none",
        "removal_order": {"status": "final", "date": "2025-03-01"},
    }
    record.update(overrides)
    return record
