"""`accord users …`: add, list and deactivate users; issue, list and revoke their API tokens.

Whoever may run commands on the server manages accounts, as with `accord db upgrade`: the
command line signs no one in. A password is read from a hidden prompt, or for scripts from one
line of standard input (`--password-stdin`), never from an option that would stay in the shell
history. A token's secret is printed once, alone on standard output; no hash is ever shown.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from accord.accounts import policy, repository, service
from accord.cli_support import DbOption, actor, err, new_app, out, store_for
from accord.clock import clock_for
from accord.db import unit_of_work

app = new_app("Users who sign in to the API, and their API tokens.")
token_app = new_app("API tokens: scoped, expiring, revocable; the secret is shown once.")
app.add_typer(token_app, name="token")


class RoleName(StrEnum):
    admin = "admin"
    officer = "officer"
    supervisor = "supervisor"
    reviewer = "reviewer"
    monitor = "monitor"


class ScopeName(StrEnum):
    read = "read"
    write = "write"


UsernameArg = Annotated[str, typer.Argument(metavar="USERNAME")]


def _when(moment: dt.datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment is not None else "-"


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return typer.get_text_stream("stdin").readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@app.command("add")
def add_command(
    username: UsernameArg,
    role: Annotated[
        RoleName,
        typer.Option(
            case_sensitive=False,
            help="admin, officer or supervisor (sender), reviewer (receiver), monitor.",
        ),
    ],
    party: Annotated[
        str | None,
        typer.Option(
            metavar="CODE",
            help="The user's party: a reviewer's receiving state, a monitor's own code (both"
            " required), an officer's or supervisor's sending state (optional).",
            show_default=False,
        ),
    ] = None,
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin", help="Read the password from the first line of standard input."
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Add an active user; the password (at least 12 characters) is asked for twice, hidden."""
    password = _read_password(password_stdin)
    with store_for(db) as store, unit_of_work(store.sessions) as session:
        user = service.add_user(
            session,
            username,
            password,
            role.value,
            party,
            clock_for(store.settings.now),
            actor=actor(),
        )
        summary = f"user {user.username} added: {user.role}" + (
            f" of {user.party}" if user.party else ""
        )
    out.print(escape(summary))


@app.command("list")
def list_command(db: DbOption = None) -> None:
    """Every user with role, party, whether active, and how many tokens it was issued."""
    with store_for(db) as store, unit_of_work(store.sessions) as session:
        counts = repository.token_counts(session)
        table = Table(title="Users")
        for column in ("username", "role", "party", "active", "created (UTC)", "tokens"):
            table.add_column(column)
        for user in service.users(session):
            table.add_row(
                escape(user.username),
                user.role,
                escape(user.party or "-"),
                "yes" if user.active else "no",
                _when(user.created_at),
                str(counts.get(user.id, 0)),
            )
    out.print(table)


@app.command("deactivate")
def deactivate_command(username: UsernameArg, db: DbOption = None) -> None:
    """Refuse the user's sign-ins, sessions and tokens from now on; the record stays."""
    with store_for(db) as store, unit_of_work(store.sessions) as session:
        service.deactivate_user(session, username, clock_for(store.settings.now), actor=actor())
    out.print(f"user {escape(username)} deactivated: open sessions ended, tokens refused")


@token_app.command("issue")
def token_issue_command(
    username: UsernameArg,
    name: Annotated[str, typer.Option(help="What the token is for, e.g. the script's name.")],
    scope: Annotated[
        list[ScopeName],
        typer.Option(help="Repeatable: read (GET routes), write (changes); give both for both."),
    ],
    expires_days: Annotated[
        int,
        typer.Option(
            min=1, max=policy.TOKEN_MAX_LIFETIME.days, help="Days until the token expires."
        ),
    ] = 90,
    db: DbOption = None,
) -> None:
    """Issue an API token and print its secret once, alone on standard output."""
    with store_for(db) as store, unit_of_work(store.sessions) as session:
        secret = service.issue_token(
            session,
            username,
            name,
            [s.value for s in scope],
            dt.timedelta(days=expires_days),
            clock_for(store.settings.now),
            actor=actor(),
        )
    err.print(
        f"token for {escape(username)} ({', '.join(sorted(s.value for s in scope))}), expires in"
        f" {expires_days} days; the secret below is shown only now:"
    )
    typer.echo(secret)


@token_app.command("list")
def token_list_command(username: UsernameArg, db: DbOption = None) -> None:
    """The user's tokens: id, name, scopes, dates and state (never the secret or its hash)."""
    with store_for(db) as store, unit_of_work(store.sessions) as session:
        now = clock_for(store.settings.now).now()
        table = Table(title=f"API tokens of {escape(username)}")
        for column in ("id", "name", "scopes", "created", "expires", "last used", "state"):
            table.add_column(column)
        for token in service.tokens_of(session, username):
            if token.revoked_at is not None:
                state = f"revoked {_when(token.revoked_at)}"
            elif policy.token_live(expires_at=token.expires_at, revoked_at=None, now=now):
                state = "live"
            else:
                state = "expired"
            table.add_row(
                str(token.id),
                escape(token.name),
                ", ".join(token.scopes),
                _when(token.created_at),
                _when(token.expires_at),
                _when(token.last_used_at),
                state,
            )
    out.print(table)


@token_app.command("revoke")
def token_revoke_command(
    token_id: Annotated[int, typer.Argument(metavar="ID", help="The token's id (see list).")],
    db: DbOption = None,
) -> None:
    """Refuse the token from now on (revoking it again changes nothing)."""
    with store_for(db) as store, unit_of_work(store.sessions) as session:
        token = service.revoke_token(
            session, token_id, clock_for(store.settings.now), actor=actor()
        )
        line = f"token {token.id} ({escape(token.name)}) revoked {_when(token.revoked_at)} UTC"
    out.print(line)
