"""Signing in on the command line (DESIGN §4, every actor is authenticated): `accord login`,
`whoami` and `logout`, the token file only its owner may read, ACCORD_TOKEN, and every command
that reads or writes the database refused, with nothing written, until someone signs in."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from accord.accounts import service
from accord.cli import command_tree
from accord.clock import SetClock, SystemClock
from accord.config import Settings
from accord.db import unit_of_work
from accord.models import ApiToken, AuditEvent, LoginAttempt, Person
from accord.store import Store, open_store
from tests.accounts.support import PASSWORD, audited, rows
from tests.support import Cli, cheap_passwords, person


@pytest.fixture(autouse=True)
def cheap_argon2() -> Iterator[None]:
    with cheap_passwords():
        yield


@pytest.fixture
def token_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own token file, in a folder `accord login` has to make."""
    path = tmp_path / "home" / ".config" / "accord" / "token"
    monkeypatch.setenv("ACCORD_TOKEN_FILE", str(path))
    return path


@pytest.fixture
def cli(database_url: str) -> Cli:
    return Cli(database_url).signed_up()


@pytest.fixture
def opened(database_url: str) -> Iterator[Store]:
    store = open_store(Settings(database_url=database_url))
    try:
        yield store
    finally:
        store.close()


def login(cli: Cli, username: str, password: str = PASSWORD) -> str:
    result = cli("login", username, "--password-stdin", input=password + "\n")
    return result.output if result.exit_code == 0 else f"exit {result.exit_code}: {result.output}"


def people_file(tmp_path: Path) -> Path:
    path = tmp_path / "people.jsonl"
    path.write_text(json.dumps(person("A1")) + "\n")
    return path


def test_login_keeps_a_token_for_its_owner_alone_and_every_command_acts_as_the_account(
    cli: Cli, token_file: Path, tmp_path: Path, opened: Store
) -> None:
    signed = login(cli, "olga")
    assert "signed in as olga, officer of United States (US), until" in signed
    assert str(token_file) in signed
    token = token_file.read_text().strip()
    assert token.startswith("acc_") and token not in signed
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(token_file.parent.stat().st_mode) == 0o700
    me = cli("whoami")
    assert me.exit_code == 0, me.output
    assert "olga: officer of United States (US); token 'cli on " in me.output
    assert "(read, write, from the token file) expires" in me.output
    [row] = [r for r in rows(opened, ApiToken) if r["name"].startswith("cli on ")]
    lifetime = row["expires_at"] - row["created_at"]
    assert lifetime == dt.timedelta(hours=12)

    imported = cli("people", "import", str(people_file(tmp_path)))
    assert imported.exit_code == 0, imported.output
    assert [actor for actor, _, _ in audited(opened, "people.imported")] == ["olga"]
    assert [a for a, _, _ in audited(opened, "login.succeeded")] == ["olga"]
    assert "cli:" not in "".join(str(r["actor"]) for r in rows(opened, AuditEvent))

    # Signing in again as someone else revokes the token the file held.
    assert "signed in as sam, supervisor of United States (US)," in login(cli, "sam")
    with unit_of_work(opened.sessions) as session:
        assert service.token_principal(session, token, SystemClock()) is None
    assert "sam: supervisor of United States (US)" in cli("whoami").output


def test_a_wrong_password_signs_no_one_in_and_is_recorded(
    cli: Cli, token_file: Path, opened: Store
) -> None:
    refused = login(cli, "olga", "not the password at all")
    assert refused.startswith("exit 1: ")
    assert "unknown username or wrong password" in refused
    assert not token_file.exists()
    assert [(a["username"], a["succeeded"]) for a in rows(opened, LoginAttempt)] == [
        ("olga", False)
    ]
    assert [a for a, _, _ in audited(opened, "login.failed")] == ["anonymous"]


def test_logout_revokes_the_token_and_removes_the_file(
    cli: Cli, token_file: Path, opened: Store
) -> None:
    login(cli, "rita")
    token = token_file.read_text().strip()
    out = cli("logout")
    assert out.exit_code == 0, out.output
    assert "signed out rita: the token is revoked" in out.output
    assert not token_file.exists()
    with unit_of_work(opened.sessions) as session:
        assert service.token_principal(session, token, SystemClock()) is None
    assert [a for a, _, _ in audited(opened, "token.revoked")] == ["rita"]
    after = cli("whoami")
    assert after.exit_code == 1
    assert "not signed in: run `accord login USERNAME`" in after.output
    # The revoked token is refused wherever it is presented.
    assert (
        "unknown, expired or revoked"
        in Cli(cli.database_url, {"x": token})("whoami", user="x").output
    )
    assert "no live sign-in to revoke" in cli("logout").output
    # A script's token in ACCORD_TOKEN is the admin's to revoke: logout leaves it live.
    kept = cli("logout", user="sam")
    assert "ACCORD_TOKEN is set, and commands still act with it" in kept.output
    assert "sam: supervisor of United States (US)" in cli("whoami", user="sam").output


def test_a_token_file_others_may_read_is_refused(cli: Cli, token_file: Path) -> None:
    login(cli, "sam")
    token_file.chmod(0o644)
    refused = cli("agreements", "list")
    assert refused.exit_code == 1
    assert f"the token file {token_file} may be read by group or others (mode 0644)" in (
        refused.output
    )
    token_file.chmod(0o600)
    assert cli("agreements", "list").exit_code == 0
    # Logging out still revokes and removes a token that may have been read.
    token_file.chmod(0o640)
    assert "signed out sam" in cli("logout").output
    assert not token_file.exists()


def test_login_refuses_a_folder_others_may_write(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv("ACCORD_TOKEN_FILE", str(shared / "token"))
    refused = login(cli, "olga")
    assert refused.startswith("exit 1: ")
    assert "may be written by others" in refused
    assert not (shared / "token").exists()


def test_accord_token_comes_first_and_a_stale_one_is_refused(
    cli: Cli, token_file: Path, opened: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    login(cli, "olga")
    assert "rita: reviewer of Kosovo (XK)" in cli("whoami", user="rita").output
    with unit_of_work(opened.sessions) as session:
        expired = service.issue_token(
            session,
            "sam",
            "old script",
            ["read", "write"],
            dt.timedelta(days=1),
            SetClock.on(dt.date(2020, 1, 1)),
            actor="ada",
        )
    stale = Cli(cli.database_url, {"old": expired, "bad": "acc_1_not-the-secret", "junk": "x"})
    # ACCORD_NOW stands the workflow's clock, not the credentials': it revives no token.
    monkeypatch.setenv("ACCORD_NOW", "2020-01-01T12:00:00")
    for who in ("old", "bad", "junk"):
        refused = stale("agreements", "list", user=who)
        assert refused.exit_code == 1, who
        assert "the token in ACCORD_TOKEN is unknown, expired or revoked" in refused.output
        assert "accord login" in refused.output
        assert "Traceback" not in refused.output


def test_people_import_without_sign_in_is_refused_and_writes_nothing(
    cli: Cli, tmp_path: Path, opened: Store
) -> None:
    """Issue 13: `people import` took no role at all."""
    before = len(rows(opened, AuditEvent))
    refused = cli("people", "import", str(people_file(tmp_path)))
    assert refused.exit_code == 1
    assert "not signed in: run `accord login USERNAME`, or set ACCORD_TOKEN" in refused.output
    assert rows(opened, Person) == []
    assert len(rows(opened, AuditEvent)) == before
    reviewer = cli("people", "import", str(people_file(tmp_path)), user="rita")
    assert reviewer.exit_code == 1
    assert "a reviewer may not use people.import" in reviewer.output
    assert rows(opened, Person) == []


def _commands() -> dict[str, object]:
    def walk(command: object, path: list[str]) -> Iterator[tuple[str, object]]:
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for name, sub in subcommands.items():
                yield from walk(sub, [*path, name])
        else:
            yield " ".join(path), command

    return dict(walk(command_tree(), []))


NO_SIGN_IN = {
    "version",
    "demo",
    "serve",
    "db upgrade",
    "db backup",
    "db restore",
    "db checkpoint",
    "keys init",
    "keys rotate",
    "keys export",
    "match",
    "scenario people",
    "scenario agreements",
    "login",
    "logout",
    "users bootstrap",
}
"""Commands that touch no database, the ones that sign in, sign out or make the first admin,
and the operator's own (upgrading, backing up and restoring the database take its credentials,
not an account)."""
SIGNED_IN = {
    "whoami": [],
    "screen": [],
    "explain": ["A1", "--agreement", "demo-xk-year"],
    "whatif": ["{file}"],
    "propose": ["--agreement", "demo-xk-year", "--dry-run"],
    "review": ["{file}"],
    "agreements load": ["{file}"],
    "agreements list": [],
    "agreements show": ["demo-xk-year"],
    "agreements status": ["demo-xk-year", "suspended", "--source", "x"],
    "people import": ["{file}"],
    "people subject-export": ["A1", "--out", "{file}.json"],
    "people erase": ["A1", "--reason", "data subject's request"],
    "retention run": ["--dry-run"],
    "audit verify": [],
    "audit log": [],
    "pool propose": ["--agreement", "demo-xk-year"],
    "pool show": ["1"],
    "item show": ["1"],
    "item accept": ["1"],
    "item reject": ["1", "--code", "other", "--text", "x"],
    "item revoke": ["1", "--code", "other", "--text", "x"],
    "item cancel": ["1", "--reason", "x"],
    "item notify": ["1", "A1", "--language", "es"],
    "item notice-copy": ["1", "A1"],
    "item claim-fear": ["1", "A1"],
    "item fear-interview": ["1", "--at", "2026-02-01 10:00"],
    "item fear-outcome": ["1", "negative"],
    "item clear": ["1", "--medical-fit-confirmed"],
    "item schedule": ["1", "--on", "2026-02-01"],
    "item transfer": ["1"],
    "item onward": ["1", "remained"],
    "item check-in": ["1", "30", "--note", "x", "--audience", "shared"],
    "item close": ["1"],
    "case change": ["A1", "stay"],
    "case lift": ["A1", "stay", "--reason", "the stay was set aside"],
    "case assess": ["A1", "--reason", "seen in person; fit to travel"],
    "incident report": ["demo-xk-year", "--kind", "other", "--text", "x", "--audience", "shared"],
    "incident lift": ["demo-xk-year", "--reason", "a reason long enough"],
    "ledger show": ["demo-xk-year"],
    "users add": ["eve", "--role", "officer", "--password-stdin"],
    "users list": [],
    "users deactivate": ["olga"],
    "users token issue": ["olga", "--name", "x", "--scope", "read"],
    "users token list": ["olga"],
    "users token revoke": ["1"],
    "templates list": [],
    "templates load": ["{file}"],
    "templates approve": ["es", "1", "--note", "certified by a sworn translator"],
    "payments record": [
        "demo-xk-year",
        "--amount",
        "100.00",
        "--currency",
        "USD",
        "--on",
        "2026-01-01",
        "--reference",
        "R-1",
    ],
    "payments list": [],
    "report publish": ["--period", "2025-Q4", "--out", "{file}.d"],
    "report list": [],
    "report explain": ["--period", "2025-Q4", "--cell", "families/all/proposed/period"],
    "peers add": ["XK", "--keys", "{file}"],
    "peers list": [],
    "peers revoke-key": ["0" * 43],
    "exchange sync": [],
    "exchange deliver": [],
    "exchange export": ["--to", "XK", "--out", "{file}.d"],
    "exchange import": ["{file}"],
    "exchange status": [],
    "exchange reconcile": ["--agreement", "demo-xk-year"],
    "received list": [],
    "received decide": ["1", "accept"],
    "received arrive": ["1"],
    "received onward": ["1", "remained"],
    "received check-in": ["1", "30"],
    "received incident": ["--agreement", "demo-xk-year", "--kind", "other", "--text", "seen"],
}
"""Every command that reads or writes the database, with arguments it would accept."""


def test_every_command_is_either_signed_in_or_touches_no_database() -> None:
    commands = set(_commands())
    assert commands - NO_SIGN_IN - set(SIGNED_IN) == set(), "a command with no expectation"
    assert (NO_SIGN_IN | set(SIGNED_IN)) - commands == set(), "an expectation with no command"
    assert NO_SIGN_IN & set(SIGNED_IN) == set()


def test_every_command_on_the_database_refuses_until_someone_signs_in(
    cli: Cli, tmp_path: Path, opened: Store
) -> None:
    file = people_file(tmp_path)
    before = len(rows(opened, AuditEvent))
    wrong = []
    for command, args in SIGNED_IN.items():
        argv = [*command.split(), *(a.replace("{file}", str(file)) for a in args)]
        result = cli(*argv, input=PASSWORD + "\n")
        if result.exit_code != 1 or "not signed in: run `accord login USERNAME`" not in (
            result.output
        ):
            wrong.append(f"{command}: exit {result.exit_code}: {result.output.strip()[:200]}")
    assert wrong == [], "\n".join(wrong)
    assert len(rows(opened, AuditEvent)) == before
    assert rows(opened, Person) == []


def test_the_help_says_which_commands_need_no_sign_in() -> None:
    for command in ("version", "demo", "serve", "db upgrade", "match", "scenario people"):
        shown = Cli("unused")(*command.split(), "--help", db=False)
        assert "Needs no sign-in" in " ".join(shown.output.split()), command
    shown = Cli("unused")("screen", "--help", db=False)
    assert "needs no sign-in" in " ".join(shown.output.split())
    assert os.environ.get("ACCORD_TOKEN") is None
