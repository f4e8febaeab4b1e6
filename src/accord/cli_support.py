"""What every command shares: the --db option, the acting user, consoles and error output."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from accord.config import Settings
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


def actor() -> str:
    """Who acts from the command line; recorded on every audit event."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def settings_for(db: str | None) -> Settings:
    return Settings(database_url=db) if db else Settings()


@contextmanager
def store_for(db: str | None) -> Iterator[Store]:
    store = open_store(settings_for(db))
    try:
        yield store
    finally:
        store.close()


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
