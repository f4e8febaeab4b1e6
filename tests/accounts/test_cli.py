"""`accord users …` end to end on SQLite and PostgreSQL: passwords from a hidden prompt or
standard input, tokens printed once, no hash ever shown."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import Result

from accord.accounts import service
from accord.cli import app
from accord.clock import SystemClock
from accord.config import Settings
from accord.db import unit_of_work
from accord.models import ApiToken, User
from accord.store import Store, open_store
from tests.accounts.support import PASSWORD, rows
from tests.support import Cli


@pytest.fixture
def opened(database_url: str) -> Iterator[Store]:
    store = open_store(Settings(database_url=database_url))
    try:
        yield store
    finally:
        store.close()


def typed(cli: Cli, text: str, *args: str) -> Result:
    """`accord …` with `text` on standard input."""
    return cli.runner.invoke(
        app,
        [*args, "--db", cli.database_url],
        input=text,
        env={"COLUMNS": "200"},
        catch_exceptions=False,
    )


def cells(result: Result, first: str) -> list[str]:
    """The cells of the table row whose first cell is `first`."""
    for line in result.output.splitlines():
        row = [cell.strip() for cell in line.split("│")[1:-1]]
        if row and row[0] == first:
            return row
    raise AssertionError(f"no row {first!r} in\n{result.output}")


def add(cli: Cli, username: str, *options: str) -> Result:
    return typed(cli, PASSWORD + "\n", "users", "add", username, "--password-stdin", *options)


def test_users_are_added_from_standard_input_and_listed_without_hashes(
    cli: Cli, opened: Store
) -> None:
    result = add(cli, "rita", "--role", "reviewer", "--party", "XK")
    assert result.exit_code == 0, result.output
    assert "user rita added: reviewer of XK" in result.output
    assert add(cli, "ada", "--role", "admin").exit_code == 0
    listed = cli("users", "list")
    assert listed.exit_code == 0, listed.output
    assert cells(listed, "ada")[:4] == ["ada", "admin", "-", "yes"]
    assert cells(listed, "rita")[:4] == ["rita", "reviewer", "XK", "yes"]
    assert cells(listed, "rita")[5] == "0"
    assert "$argon2" not in listed.output
    assert PASSWORD not in result.output + listed.output
    user = service.authenticate(opened.sessions, "rita", PASSWORD, None, SystemClock())
    assert user.party == "XK"


def test_a_password_is_asked_twice_hidden_until_both_match(cli: Cli, opened: Store) -> None:
    result = typed(
        cli,
        f"{PASSWORD}\nsomething else\n{PASSWORD}\n{PASSWORD}\n",
        "users",
        "add",
        "olga",
        "--role",
        "officer",
        "--party",
        "US",
    )
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    assert PASSWORD not in result.output
    assert service.authenticate(opened.sessions, "olga", PASSWORD, None, SystemClock())


def test_an_invalid_or_taken_user_is_refused(cli: Cli, opened: Store) -> None:
    no_party = add(cli, "rita", "--role", "reviewer")
    assert no_party.exit_code == 2
    assert "party" in no_party.output
    short = typed(
        cli, "too short\n", "users", "add", "olga", "--role", "officer", "--password-stdin"
    )
    assert short.exit_code == 2
    assert "at least 12 characters" in short.output
    assert rows(opened, User) == []
    assert add(cli, "olga", "--role", "officer").exit_code == 0
    taken = add(cli, "olga", "--role", "supervisor")
    assert taken.exit_code == 1
    assert "exists already" in taken.output


def test_a_token_is_printed_once_listed_revoked_and_refused(cli: Cli, opened: Store) -> None:
    assert add(cli, "olga", "--role", "officer", "--party", "US").exit_code == 0
    issued = cli(
        "users", "token", "issue", "olga", "--name", "ci", "--scope", "read", "--scope", "write",
        "--expires-days", "30",
    )  # fmt: skip
    assert issued.exit_code == 0, issued.output
    token = issued.stdout.strip()
    assert token.startswith("acc_")
    assert issued.stdout == token + "\n"
    assert "shown only now" in issued.stderr
    with unit_of_work(opened.sessions) as session:
        found = service.token_principal(session, token, SystemClock())
    assert found is not None
    assert (found.name, found.scopes) == ("olga", frozenset({"read", "write"}))

    [row] = rows(opened, ApiToken)
    listed = cli("users", "token", "list", "olga")
    assert listed.exit_code == 0, listed.output
    assert "ci" in listed.output and "read, write" in listed.output and "live" in listed.output
    for secret in (token, token.split("_", 2)[2], row["token_hash"]):
        assert secret not in listed.output

    revoked = cli("users", "token", "revoke", str(row["id"]))
    assert revoked.exit_code == 0, revoked.output
    assert f"token {row['id']} (ci) revoked" in revoked.output
    assert "revoked" in cli("users", "token", "list", "olga").output
    with unit_of_work(opened.sessions) as session:
        assert service.token_principal(session, token, SystemClock()) is None
    assert cli("users", "token", "revoke", "999").exit_code == 1


def test_a_deactivated_user_loses_its_tokens(cli: Cli, opened: Store) -> None:
    assert add(cli, "olga", "--role", "officer").exit_code == 0
    token = cli("users", "token", "issue", "olga", "--name", "ci", "--scope", "read").stdout.strip()
    result = cli("users", "deactivate", "olga")
    assert result.exit_code == 0, result.output
    assert "olga" in result.output
    olga = cells(cli("users", "list"), "olga")
    assert (olga[3], olga[5]) == ("no", "1")
    with unit_of_work(opened.sessions) as session:
        assert service.token_principal(session, token, SystemClock()) is None
    assert cli("users", "token", "issue", "olga", "--name", "x", "--scope", "read").exit_code == 1


def test_a_token_needs_a_known_user_a_scope_and_at_most_a_year(cli: Cli) -> None:
    assert add(cli, "olga", "--role", "officer").exit_code == 0
    unknown = cli("users", "token", "issue", "nobody", "--name", "ci", "--scope", "read")
    assert unknown.exit_code == 1
    assert "no user named 'nobody'" in unknown.output
    assert cli("users", "token", "issue", "olga", "--name", "ci").exit_code == 2
    too_long = cli(
        "users", "token", "issue", "olga", "--name", "ci", "--scope", "read",
        "--expires-days", "366",
    )  # fmt: skip
    assert too_long.exit_code == 2
