"""What every command shares: the --db option, the signed-in user, consoles and error output."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from accord.access import Actor, check
from accord.accounts import cli_session
from accord.accounts.service import Principal
from accord.clock import Clock, clock_for
from accord.config import Settings
from accord.db import unit_of_work
from accord.errors import AccordError, InvalidInput
from accord.store import Store, open_store

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL (default: ACCORD_DATABASE_URL, else ./accord.db).",
        show_default=False,
    ),
]

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def settings_for(db: str | None) -> Settings:
    return Settings(database_url=db) if db else Settings()


@contextmanager
def store_for(db: str | None) -> Iterator[Store]:
    store = open_store(settings_for(db))
    try:
        yield store
    finally:
        store.close()


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The store a command works on, and the account it acts as."""

    store: Store
    principal: Principal

    @property
    def name(self) -> str:
        """The username: what the audit log records as the actor."""
        return self.principal.name

    @property
    def actor(self) -> Actor:
        """The workflow's actor: name, role and party, all from the account."""
        p = self.principal
        return Actor(p.name, p.role, p.party)

    @property
    def clock(self) -> Clock:
        """The workflow's clock: ACCORD_NOW when set, else the system's."""
        return clock_for(self.store.settings.now)


@contextmanager
def signed_in(db: str | None, rule: str) -> Iterator[SignedIn]:
    """The store, and who is signed in on this command line (ACCORD_TOKEN, else the token
    file), allowed by `rule`, the API's access rule (`accord.access.RULES`) the command stands
    on. Refused before any work, and with nothing written, when no one is signed in or the
    account's role or token may not use the rule."""
    with store_for(db) as store:
        with unit_of_work(store.sessions) as session:
            principal = cli_session.principal(session, store.settings)
            check(rule, principal.role, principal.scopes)
        yield SignedIn(store, principal)


class AccordGroup(TyperGroup):
    """Renders domain errors as a clear message and an exit code instead of a traceback."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except InvalidInput as exc:
            err.print(f"[bold red]error[/] {escape(exc.detail)}", soft_wrap=True)
            raise typer.Exit(2) from exc
        except AccordError as exc:
            err.print(f"[bold red]error[/] {escape(exc.detail)}", soft_wrap=True)
            raise typer.Exit(1) from exc


def new_app(help_text: str) -> typer.Typer:
    return typer.Typer(
        cls=AccordGroup,
        help=help_text,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_show_locals=False,
    )
