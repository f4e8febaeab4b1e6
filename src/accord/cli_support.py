"""What every command shares: the database option, the signed-in account, the day options,
consoles and error output, and the root's lazy loading.

The command line starts at once because nothing heavy is imported before a command runs: the
root (`accord.cli.COMMANDS`) names each command with its help line (`Lazy`), and `LazyGroup`
imports a command's module only when that command is invoked; this module imports the database,
the accounts and the access rules inside the functions that need them. A command module is
imported whole when any of its commands runs, so what only one command needs (Polars, the
matcher, the web) is imported inside that command.

`--db` is declared once (`DbOption`, on the root's callback). `LazyGroup` gives that same
option to every command it loads, so `accord --db URL agreements list` and `accord agreements
list --db URL` both work (the one after the command wins), and the URL is kept on the command
line's context, where `signed_in(rule)`, `acting(rule)`, `store_for()` and `current_settings()`
read it. So, for a new command:
- it declares no database option: it opens the store through one of those functions;
- one that touches no database is marked `@without_database`, and gets no `--db`;
- a new root command or group is one entry of `accord.cli.COMMANDS`: where it lives
  (`module:attribute`, a command function or a Typer app) and its help line, which
  tests/test_cli.py compares with the command's own. Commands added to an existing group need
  nothing there.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperCommand, TyperGroup

from accord.errors import AccordError, InvalidInput
from accord.records.vocabulary import AUDIENCE_HELP, Audience

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from accord.access import Actor
    from accord.accounts.service import Principal
    from accord.clock import Clock
    from accord.config import Settings
    from accord.store import Store

_DATABASE = "accord.database_url"
"""Where the --db given on the command line is kept, in the context's `meta` (shared by the
root's context and every command's under it)."""

_running: ContextVar[dict[str, Any] | None] = ContextVar("accord_command_meta", default=None)
"""The `meta` of the command line being run, set by `AccordGroup.invoke` around the command."""


def _keep_database(ctx: typer.Context, value: str | None) -> None:
    if value is not None:  # an option after the command overrides one before it
        ctx.meta[_DATABASE] = value


DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL (default: ACCORD_DATABASE_URL, else ./accord.db).",
        show_default=False,
        expose_value=False,
        callback=_keep_database,
    ),
]
"""The database option, declared on the root alone; `LazyGroup` shares it with the commands."""

AudienceOption = Annotated[
    Audience, typer.Option("--audience", help=AUDIENCE_HELP, show_default=False)
]

DAY_FORMATS = ["%Y-%m-%d"]
"""How a day is written on the command line."""

DayOption = Annotated[
    dt.datetime | None,
    typer.Option(
        "--at",
        formats=DAY_FORMATS,
        help="The day to act as on (default: ACCORD_NOW, else today).",
        show_default=False,
    ),
]
"""--at of the workflow's commands."""

ScreeningDayOption = Annotated[
    dt.datetime | None,
    typer.Option("--at", formats=DAY_FORMATS, help="Screen as on this day (default today)."),
]
"""--at of the commands that screen (`screen`, `explain`, `whatif`, `match`, `propose`)."""

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

_NO_DATABASE = "accord_without_database"

Command = TypeVar("Command", bound=Callable[..., Any])


def without_database(command: Command) -> Command:
    """Marks a command that touches no database: it is given no --db option."""
    command.__dict__[_NO_DATABASE] = True  # Typer's wrapper copies the function's __dict__
    return command


def database_url() -> str | None:
    """The database URL given with --db (before or after the command), if any."""
    meta = _running.get()
    return meta.get(_DATABASE) if meta is not None else None


def current_settings() -> Settings:
    """The settings this command runs with: the environment's, and the database of --db."""
    from accord.config import Settings

    url = database_url()
    return Settings(database_url=url) if url else Settings()


def command_clock() -> Clock:
    """The clock this command's days come from, signed in or not (a command on files opens no
    store): ACCORD_NOW when set, else the system's; the same clock as `SignedIn.clock`."""
    from accord.clock import clock_for

    return clock_for(current_settings().now)


@contextmanager
def store_for() -> Iterator[Store]:
    """The store of this command's database, closed when the block ends."""
    from accord.store import open_store

    store = open_store(current_settings())
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
        return self.principal.actor

    @property
    def clock(self) -> Clock:
        """The workflow's clock: ACCORD_NOW when set, else the system's."""
        from accord.clock import clock_for

        return clock_for(self.store.settings.now)


@contextmanager
def signed_in(rule: str) -> Iterator[SignedIn]:
    """The store, and who is signed in on this command line (ACCORD_TOKEN, else the token
    file), allowed by `rule`, the API's access rule (`accord.access.RULES`) the command stands
    on. Refused before any work, and with nothing written, when no one is signed in or the
    account's role or token may not use the rule."""
    from accord.access import check
    from accord.accounts import cli_session
    from accord.db import unit_of_work

    with store_for() as store:
        with unit_of_work(store.sessions) as session:
            principal = cli_session.principal(session, store.settings)
            check(rule, principal.role, principal.scopes)
        yield SignedIn(store, principal)


def forget_erased(engine: Engine) -> None:
    """After a commit that erased personal values: empty SQLite's write-ahead log of the old
    pages, or say how to when a reader held it."""
    from accord.db import forget_deleted

    if not forget_deleted(engine):
        err.print(
            "[yellow]note[/] a reader held the write-ahead log: run `accord db checkpoint` when"
            " the server is quiet, so no old page keeps the erased values"
        )


@contextmanager
def acting(rule: str) -> Iterator[tuple[Session, Clock, Actor]]:
    """The signed-in account, allowed by the rule, then one transaction, committed when the
    block ends without an error."""
    from accord.db import unit_of_work

    with signed_in(rule) as who, unit_of_work(who.store.sessions) as session:
        yield session, who.clock, who.actor


class AccordGroup(TyperGroup):
    """Renders domain errors as a clear message and an exit code instead of a traceback, and
    keeps the command line's context where `database_url` reads it."""

    def invoke(self, ctx: Any) -> Any:
        running = _running.set(ctx.meta)
        try:
            return super().invoke(ctx)
        except InvalidInput as exc:
            err.print(f"[bold red]error[/] {escape(exc.detail)}", soft_wrap=True)
            raise typer.Exit(2) from exc
        except AccordError as exc:
            err.print(f"[bold red]error[/] {escape(exc.detail)}", soft_wrap=True)
            raise typer.Exit(1) from exc
        finally:
            _running.reset(running)


@dataclass(frozen=True, slots=True)
class Lazy:
    """A command of the root, imported only when it runs: `target` is `module:attribute`, a
    Typer app (a group of commands) or a command function; `help` is the line `accord --help`
    shows for it, the first paragraph of its own help."""

    target: str
    help: str


class LazyGroup(AccordGroup):
    """The root: lists the commands of `lazy` without importing them, imports one when it is
    invoked, and gives each command it loads the root's --db unless it touches no database
    (`without_database`) or declares its own."""

    lazy: ClassVar[Mapping[str, Lazy]] = {}

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.database = next(p for p in self.params if p.name == "db")
        for name, entry in self.lazy.items():
            self.commands[name] = TyperCommand(name, help=entry.help)  # a stand-in for --help
        self._loaded: set[str] = set()

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] in self.lazy and args[0] not in self._loaded:
            self.load(args[0])
        return super().resolve_command(ctx, args)

    def load(self, name: str) -> Any:
        """The command `name`, imported and built, in place of its stand-in."""
        if name not in self._loaded:
            module, _, attribute = self.lazy[name].target.partition(":")
            found = getattr(importlib.import_module(module), attribute)
            if isinstance(found, typer.Typer):
                command: Any = typer.main.get_group(found)
            else:
                single = typer.Typer(add_completion=False)
                single.command(name)(found)
                command = typer.main.get_command(single)
            self._give_database(command)
            self.commands[name] = command
            self._loaded.add(name)
        return self.commands[name]

    def load_all(self) -> LazyGroup:
        """Every command loaded (for tests and tools that walk the whole tree)."""
        for name in self.lazy:
            self.load(name)
        return self

    def _give_database(self, command: Any) -> None:
        if isinstance(command, TyperGroup):
            for sub in command.commands.values():
                self._give_database(sub)
        elif not getattr(command.callback, _NO_DATABASE, False) and all(
            p.name != "db" for p in command.params
        ):
            command.params.append(self.database)


def new_app(help_text: str, cls: type[AccordGroup] = AccordGroup) -> typer.Typer:
    return typer.Typer(
        cls=cls,
        help=help_text,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_show_locals=False,
    )
