"""`accord users …` end to end on SQLite and PostgreSQL, as a signed-in admin: passwords from
a hidden prompt or standard input, tokens printed once, no hash ever shown; the first admin
made once, on a database without users."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import Result

from accord.accounts import service
from accord.clock import SystemClock
from accord.config import Settings
from accord.db import unit_of_work
from accord.models import ApiToken, User
from accord.store import Store, open_store
from tests.accounts.support import PASSWORD, audited, rows
from tests.support import ADMIN, Cli, cheap_passwords, sign_up


@pytest.fixture(autouse=True)
def cheap_argon2() -> Iterator[None]:
    """These tests are about the commands; test_signin keeps argon2's real parameters."""
    with cheap_passwords():
        yield


@pytest.fixture
def cli(database_url: str) -> Cli:
    """The database with its first admin (ada), signed in on each command below."""
    return Cli(database_url, sign_up(database_url, users=()))


@pytest.fixture
def opened(database_url: str) -> Iterator[Store]:
    store = open_store(Settings(database_url=database_url))
    try:
        yield store
    finally:
        store.close()


def typed(cli: Cli, text: str, *args: str, user: str | None = ADMIN) -> Result:
    """`accord …` as the admin, with `text` on standard input."""
    return cli(*args, input=text, user=user)


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
    assert "user rita added: reviewer of Kosovo (XK)" in result.output
    assert add(cli, "ann", "--role", "admin").exit_code == 0
    listed = cli("users", "list", user=ADMIN)
    assert listed.exit_code == 0, listed.output
    assert cells(listed, "ann")[:4] == ["ann", "admin", "-", "yes"]
    assert cells(listed, "ada")[:4] == ["ada", "admin", "-", "yes"]
    assert cells(listed, "rita")[:4] == ["rita", "reviewer", "Kosovo (XK)", "yes"]
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
    assert [u["username"] for u in rows(opened, User)] == [ADMIN]
    assert add(cli, "olga", "--role", "officer").exit_code == 0
    taken = add(cli, "olga", "--role", "supervisor")
    assert taken.exit_code == 1
    assert "exists already" in taken.output


def test_a_token_is_printed_once_listed_revoked_and_refused(cli: Cli, opened: Store) -> None:
    assert add(cli, "olga", "--role", "officer", "--party", "US").exit_code == 0
    issued = cli(
        "users", "token", "issue", "olga", "--name", "ci", "--scope", "read", "--scope", "write",
        "--expires-days", "30", user=ADMIN,
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

    [row] = [r for r in rows(opened, ApiToken) if r["name"] == "ci"]
    listed = cli("users", "token", "list", "olga", user=ADMIN)
    assert listed.exit_code == 0, listed.output
    assert "ci" in listed.output and "read, write" in listed.output and "live" in listed.output
    for secret in (token, token.split("_", 2)[2], row["token_hash"]):
        assert secret not in listed.output

    revoked = cli("users", "token", "revoke", str(row["id"]), user=ADMIN)
    assert revoked.exit_code == 0, revoked.output
    assert f"token {row['id']} (ci) revoked" in revoked.output
    assert "revoked" in cli("users", "token", "list", "olga", user=ADMIN).output
    with unit_of_work(opened.sessions) as session:
        assert service.token_principal(session, token, SystemClock()) is None
    assert cli("users", "token", "revoke", "999", user=ADMIN).exit_code == 1


def test_a_deactivated_user_loses_its_tokens(cli: Cli, opened: Store) -> None:
    assert add(cli, "olga", "--role", "officer").exit_code == 0
    token = cli(
        "users", "token", "issue", "olga", "--name", "ci", "--scope", "read", user=ADMIN
    ).stdout.strip()
    result = cli("users", "deactivate", "olga", user=ADMIN)
    assert result.exit_code == 0, result.output
    assert "olga" in result.output
    olga = cells(cli("users", "list", user=ADMIN), "olga")
    assert (olga[3], olga[5]) == ("no", "1")
    with unit_of_work(opened.sessions) as session:
        assert service.token_principal(session, token, SystemClock()) is None
    assert (
        cli(
            "users", "token", "issue", "olga", "--name", "x", "--scope", "read", user=ADMIN
        ).exit_code
        == 1
    )


def test_a_token_needs_a_known_user_a_scope_and_at_most_a_year(cli: Cli) -> None:
    assert add(cli, "olga", "--role", "officer").exit_code == 0
    unknown = cli(
        "users", "token", "issue", "nobody", "--name", "ci", "--scope", "read", user=ADMIN
    )
    assert unknown.exit_code == 1
    assert "no user named 'nobody'" in unknown.output
    assert cli("users", "token", "issue", "olga", "--name", "ci", user=ADMIN).exit_code == 2
    too_long = cli(
        "users", "token", "issue", "olga", "--name", "ci", "--scope", "read",
        "--expires-days", "366", user=ADMIN,
    )  # fmt: skip
    assert too_long.exit_code == 2


def test_the_first_admin_is_made_once_on_a_database_without_users(database_url: str) -> None:
    """`accord users bootstrap` is the one act with no one signed in: it makes the first admin
    of an empty database and is refused once any user exists."""
    empty = Cli(database_url)
    made = typed(empty, PASSWORD + "\n", "users", "bootstrap", "ada", "--password-stdin", user=None)
    assert made.exit_code == 0, made.output
    assert "first admin ada added: sign in with `accord login ada`" in made.output
    again = typed(
        empty, PASSWORD + "\n", "users", "bootstrap", "eve", "--password-stdin", user=None
    )
    assert again.exit_code == 1
    assert "the database has users already" in again.output
    store = open_store(Settings(database_url=database_url))
    try:
        assert [(u["username"], u["role"]) for u in rows(store, User)] == [("ada", "admin")]
        assert [(actor, name) for actor, name, _ in audited(store, "user.added")] == [
            ("ada", "ada")
        ]
    finally:
        store.close()


def test_managing_users_needs_a_signed_in_admin(database_url: str, opened: Store) -> None:
    cli = Cli(database_url).signed_up()
    nobody = typed(cli, PASSWORD + "\n", "users", "add", "eve", "--role", "officer",
                   "--password-stdin", user=None)  # fmt: skip
    assert nobody.exit_code == 1
    assert "not signed in: run `accord login USERNAME`" in nobody.output
    for user in ("olga", "sam", "rita", "mona"):
        refused = typed(cli, PASSWORD + "\n", "users", "add", "eve", "--role", "officer",
                        "--password-stdin", user=user)  # fmt: skip
        assert refused.exit_code == 1
        assert "may not use users.add" in refused.output
    for args, rule in (
        (("users", "list"), "users.list"),
        (("users", "deactivate", "olga"), "users.deactivate"),
        (("users", "token", "list", "olga"), "tokens.list"),
        (("users", "token", "issue", "sam", "--name", "x", "--scope", "write"), "tokens.issue"),
        (("users", "token", "revoke", "1"), "tokens.revoke"),
    ):
        refused = cli(*args, user="sam")
        assert refused.exit_code == 1
        assert f"a supervisor may not use {rule}" in refused.output
    added = typed(cli, PASSWORD + "\n", "users", "add", "eve", "--role", "officer",
                  "--password-stdin", user=ADMIN)  # fmt: skip
    assert added.exit_code == 0, added.output
    assert [(a, n) for a, n, _ in audited(opened, "user.added")][-1] == ("ada", "eve")
