"""`accord login|logout|whoami` and `accord users …`: signing in on the command line; adding,
listing and deactivating users; issuing, listing and revoking their API tokens.

The command line acts as a signed-in account (`accord.accounts.cli_session`): managing users
and tokens needs a signed-in admin, except the very first admin, which `accord users bootstrap`
makes on a database with no user at all. A password is read from a hidden prompt, or for
scripts from one line of standard input (`--password-stdin`), never from an option that would
stay in the shell history. A token's secret is printed once, alone on standard output; no hash
is ever shown; `accord login` writes its token to a file and never prints it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from accord.accounts import cli_session, policy, repository, service
from accord.cli_support import err, new_app, out, signed_in, store_for
from accord.db import unit_of_work
from accord.records.countries import country_label
from accord.workflow.transitions import Role

app = new_app("Users and their API tokens, managed by a signed-in admin.")
token_app = new_app("API tokens: scoped, expiring, revocable; the secret is shown once.")
app.add_typer(token_app, name="token")


UsernameArg = Annotated[str, typer.Argument(metavar="USERNAME")]


def _when(moment: dt.datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment is not None else "-"


PasswordStdinOption = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="Read the password from the first line of standard input."
    ),
]


def _read_password(from_stdin: bool, *, confirm: bool = True) -> str:
    if from_stdin:
        return typer.get_text_stream("stdin").readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=confirm)
    return password


# --- Signing in -------------------------------------------------------------------------------


def login_command(
    username: UsernameArg,
    password_stdin: PasswordStdinOption = False,
) -> None:
    """Sign in as USERNAME for 12 hours: every command then acts as this account.

    The password is checked (failed attempts are limited and audited), and a token is written
    to ACCORD_TOKEN_FILE (default ~/.config/accord/token), readable by you alone."""
    password = _read_password(password_stdin, confirm=False)
    with store_for() as store:
        done = cli_session.login(store.sessions, store.settings, username, password)
    party = f" of {country_label(done.party)}" if done.party else ""
    out.print(
        escape(
            f"signed in as {done.username}, {done.role}{party}, until"
            f" {_when(done.expires_at)} UTC; token kept in {done.path}"
        ),
        soft_wrap=True,
    )
    if cli_session.env_token(store.settings):
        err.print("note: ACCORD_TOKEN is set, and commands act with it rather than this sign-in")


def logout_command() -> None:
    """Sign out: revoke the token `accord login` kept and remove the token file."""
    with store_for() as store:
        done = cli_session.logout(store.sessions, store.settings)
    if done.username is not None:
        out.print(f"signed out {escape(done.username)}: the token is revoked")
    else:
        out.print("no live sign-in to revoke")
    if done.removed is not None:
        out.print(escape(f"{done.removed} removed"), soft_wrap=True)
    if cli_session.env_token(store.settings):
        err.print(
            "note: ACCORD_TOKEN is set, and commands still act with it; unset it (an admin"
            " revokes it with `accord users token revoke`)"
        )


def whoami_command() -> None:
    """Who this command line acts as: user, role, party, and when the sign-in ends."""
    with signed_in("session.me") as who, unit_of_work(who.store.sessions) as session:
        name, expires_at = cli_session.token_of(session, who.principal)
    p = who.principal
    source = "ACCORD_TOKEN" if cli_session.env_token(who.store.settings) else "the token file"
    out.print(
        escape(
            f"{p.name}: {p.role}{f' of {country_label(p.party)}' if p.party else ''};"
            f" token {name!r}"
            f" ({', '.join(sorted(p.scopes))}, from {source}) expires {_when(expires_at)} UTC"
        ),
        soft_wrap=True,
    )


# --- Users ------------------------------------------------------------------------------------


@app.command("bootstrap")
def bootstrap_command(
    username: UsernameArg,
    password_stdin: PasswordStdinOption = False,
) -> None:
    """Make the first admin of a database that has no user at all (refused once any user
    exists); then `accord login` as it and add the others with `accord users add`."""
    password = _read_password(password_stdin)
    with store_for() as store, unit_of_work(store.sessions) as session:
        user = service.bootstrap_admin(session, username, password, cli_session.credential_clock())
        name = user.username
    out.print(escape(f"first admin {name} added: sign in with `accord login {name}`"))


@app.command("add")
def add_command(
    username: UsernameArg,
    role: Annotated[
        Role,
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
    password_stdin: PasswordStdinOption = False,
) -> None:
    """Add an active user; the password (at least 12 characters) is asked for twice, hidden.

    A signed-in admin."""
    with signed_in("users.add") as who:
        password = _read_password(password_stdin)
        with unit_of_work(who.store.sessions) as session:
            user = service.add_user(
                session,
                username,
                password,
                role,
                party,
                cli_session.credential_clock(),
                actor=who.name,
            )
        summary = f"user {user.username} added: {user.role}" + (
            f" of {country_label(user.party)}" if user.party else ""
        )
    out.print(escape(summary))


@app.command("list")
def list_command() -> None:
    """Every user with role, party, whether active, and how many tokens it was issued."""
    with signed_in("users.list") as who, unit_of_work(who.store.sessions) as session:
        counts = repository.token_counts(session)
        table = Table(title="Users")
        for column in ("username", "role", "party", "active", "created (UTC)", "tokens"):
            table.add_column(column)
        for user in service.users(session):
            table.add_row(
                escape(user.username),
                user.role,
                escape(country_label(user.party) if user.party else "-"),
                "yes" if user.active else "no",
                _when(user.created_at),
                str(counts.get(user.id, 0)),
            )
    out.print(table)


@app.command("deactivate")
def deactivate_command(username: UsernameArg) -> None:
    """Refuse the user's sign-ins, sessions and tokens from now on; the record stays."""
    with signed_in("users.deactivate") as who, unit_of_work(who.store.sessions) as session:
        service.deactivate_user(session, username, cli_session.credential_clock(), actor=who.name)
    out.print(f"user {escape(username)} deactivated: open sessions ended, tokens refused")


@token_app.command("issue")
def token_issue_command(
    username: UsernameArg,
    name: Annotated[str, typer.Option(help="What the token is for, e.g. the script's name.")],
    scope: Annotated[
        list[str],
        typer.Option(
            metavar="|".join(policy.SCOPES),
            help="Repeatable: read (GET routes), write (changes); give both for both.",
        ),
    ],
    expires_days: Annotated[
        int,
        typer.Option(
            min=1, max=policy.TOKEN_MAX_LIFETIME.days, help="Days until the token expires."
        ),
    ] = 90,
) -> None:
    """Issue an API token and print its secret once, alone on standard output."""
    unknown = policy.scope_problems(scope)
    if unknown:  # refused as a bad option is, before anyone signs in
        raise typer.BadParameter(unknown[0].message, param_hint="'--scope'")
    with signed_in("tokens.issue") as who, unit_of_work(who.store.sessions) as session:
        secret = service.issue_token(
            session,
            username,
            name,
            list(scope),
            dt.timedelta(days=expires_days),
            cli_session.credential_clock(),
            actor=who.name,
        )
    err.print(
        f"token for {escape(username)} ({', '.join(sorted(scope))}), expires in"
        f" {expires_days} days; the secret below is shown only now:"
    )
    typer.echo(secret)


@token_app.command("list")
def token_list_command(username: UsernameArg) -> None:
    """The user's tokens: id, name, scopes, dates and state (never the secret or its hash)."""
    with signed_in("tokens.list") as who, unit_of_work(who.store.sessions) as session:
        now = cli_session.credential_clock().now()
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
) -> None:
    """Refuse the token from now on (revoking it again changes nothing)."""
    with signed_in("tokens.revoke") as who, unit_of_work(who.store.sessions) as session:
        token = service.revoke_token(
            session, token_id, cli_session.credential_clock(), actor=who.name
        )
        line = f"token {token.id} ({escape(token.name)}) revoked {_when(token.revoked_at)} UTC"
    out.print(line)
