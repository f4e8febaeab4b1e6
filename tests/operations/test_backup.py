"""`accord db backup` and `accord db restore`, and the restore drill (docs/operations.md), on
SQLite and on PostgreSQL.

The drill: a database holding an agreement, people and a pool is backed up while another
connection goes on writing to its audit log; the backup is restored into an empty database,
whose audit chain verifies and whose rows are the backup's. A restore goes only into an empty
database and the kind of database the backup was made from; a damaged backup, or one of a schema
this Accord does not know, is refused before anything is written; a failed backup leaves no
file."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url

from accord.access import Actor
from accord.agreements import repository as agreements_repository
from accord.agreements import service as agreements_service
from accord.agreements.loader import load_registry_file
from accord.audit.service import Entry, record, verify
from accord.cases.reader import read_people
from accord.clock import SetClock
from accord.config import Settings
from accord.db import HEAD_REVISION, make_engine, unit_of_work, upgrade
from accord.models import AuditEvent, Person
from accord.operations import backup as operations
from accord.operations.backup import BackupError, backup, restore
from accord.proposals.case_facts import import_case_files
from accord.proposals.pools import PoolFamily, create_pool
from accord.scenarios import workflow_agreement_path
from accord.store import Store, open_store
from tests.conftest import IN_CI, _create_database, _drop_database
from tests.support import Cli, person

OFFICER = Actor("olga", "officer", "US")
SUPERVISOR = Actor("sam", "supervisor", "US")
IMPORTED = SetClock.on(dt.date(2026, 1, 1))
PROPOSED = SetClock.on(dt.date(2026, 1, 12))
"""Inside the demo agreement's term, with its safety assessment current."""

FAMILIES = ("F-A1", "F-A2", "F-A3", "F-A4")


def seed(store: Store, tmp_path: Path) -> None:
    """The demo agreement, four families of one, and a pool of two of them, through the
    services as the commands do."""
    with unit_of_work(store.sessions) as session:
        registry = load_registry_file(
            workflow_agreement_path(), agreements_repository.party_codes(session)
        )
        agreements_service.load(
            session, registry, SUPERVISOR.name, role=SUPERVISOR.role, party=SUPERVISOR.party
        )
    people = tmp_path / "people.jsonl"
    people.write_text(
        "".join(
            json.dumps(person(f"A{n}", f"F-A{n}", medical_fit=True)) + "\n" for n in range(1, 5)
        )
    )
    with unit_of_work(store.sessions) as session:
        import_case_files(
            session, read_people(people), source=str(people), actor=SUPERVISOR, clock=IMPORTED
        )
    with unit_of_work(store.sessions) as session:
        create_pool(
            session,
            "demo-xk-year",
            [PoolFamily(family) for family in FAMILIES[:2]],
            OFFICER,
            PROPOSED,
            method="screening",
            pool_limit=75,
        )


@pytest.fixture
def seeded(database_url: str, tmp_path: Path) -> Iterator[Store]:
    store = open_store(Settings(database_url=database_url))
    try:
        seed(store, tmp_path)
        yield store
    finally:
        store.close()


def require_clients() -> None:
    """PostgreSQL's client programs, there: skip without them, but fail under CI=true."""
    missing = [p for p in ("pg_dump", "pg_restore") if shutil.which(p) is None]
    if missing:
        problem = f"{', '.join(missing)} not on PATH (Debian: apt-get install postgresql-client)"
        if IN_CI:
            pytest.fail(f"{problem}; CI=true: the backup tests must run")
        pytest.skip(problem)


@pytest.fixture
def clients(database_url: str) -> None:
    """On PostgreSQL, its client programs (see `require_clients`)."""
    if not database_url.startswith("sqlite"):
        require_clients()


@pytest.fixture
def fresh(
    database_url: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[], str]]:
    """New empty databases of the test's kind (a file not yet made; a database with no
    tables), dropped after the test."""
    made: list[str] = []
    admin: str | None = None
    if not database_url.startswith("sqlite"):
        admin = request.getfixturevalue("postgres_admin_url")

    def make() -> str:
        name = f"accord_restore_{uuid.uuid4().hex[:12]}"
        if admin is None:
            return f"sqlite:///{tmp_path / name}.db"
        made.append(name)
        return _create_database(admin, name)

    try:
        yield make
    finally:
        for name in made:
            assert admin is not None
            _drop_database(admin, name)


def settings(url: str) -> Settings:
    return Settings(database_url=url)


def tables_of(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return sorted(inspect(connection).get_table_names())
    finally:
        engine.dispose()


def fingerprint(url: str) -> Any:
    """What a refused restore must leave as it was: a SQLite file's bytes, or the rows of a
    PostgreSQL database's key tables."""
    if url.startswith("sqlite"):
        path = Path(make_url(url).database or "")
        return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            names = inspect(connection).get_table_names()
            return {
                name: connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
                for name in sorted(names)
            }
    finally:
        engine.dispose()


class Writer(threading.Thread):
    """Another connection appending to the audit log, one event a transaction, until stopped:
    the server at work while the backup is taken."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.store = open_store(settings(url))
        self.written = 0
        self.stop = threading.Event()
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                with unit_of_work(self.store.sessions) as session:
                    record(session, "writer", Entry("test.write", "test", str(self.written)))
                self.written += 1
        except BaseException as exc:
            self.failure = exc
        finally:
            self.store.close()

    def wait_for(self, count: int) -> None:
        for _ in range(3000):
            if self.written >= count or self.failure is not None:
                return
            time.sleep(0.01)


def test_the_restore_drill(
    seeded: Store, database_url: str, fresh: Callable[[], str], tmp_path: Path, clients: None
) -> None:
    with unit_of_work(seeded.sessions) as session:
        before = session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
        people = sorted(session.execute(select(Person.case_id)).scalars())
    writer = Writer(database_url)
    writer.start()
    try:
        writer.wait_for(5)
        written_before = writer.written
        made = backup(settings(database_url), tmp_path / "accord-backup")
        writer.wait_for(written_before + 5)  # it went on writing, through the backup
    finally:
        writer.stop.set()
        writer.join()
    assert writer.failure is None
    assert writer.written > written_before

    assert made.path == tmp_path / "accord-backup"
    assert made.kind == ("sqlite" if database_url.startswith("sqlite") else "postgresql")
    assert made.size == made.path.stat().st_size > 0
    assert made.sha256 == hashlib.sha256(made.path.read_bytes()).hexdigest()
    assert made.checksum_file.read_text() == f"{made.sha256}  accord-backup\n"
    assert made.revision == HEAD_REVISION
    assert made.counts["agreements"] == 1
    assert made.counts["people"] == 4
    assert made.counts["proposal_items"] == 2
    assert before + written_before <= made.counts["audit_events"] <= before + writer.written
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []

    target = fresh()
    done = restore(settings(target), made.path)
    assert done.audit.ok
    assert done.audit.events == made.counts["audit_events"]
    assert done.counts == made.counts
    assert done.revision == HEAD_REVISION and not done.behind
    assert done.sha256 == made.sha256
    assert done.checksum == "matches accord-backup.sha256"

    restored = open_store(settings(target))
    try:
        with unit_of_work(restored.sessions) as session:
            assert sorted(session.execute(select(Person.case_id)).scalars()) == people
            # The restored database takes writes where the chain left off.
            record(session, "after", Entry("test.after", "test", "1"))
        with unit_of_work(restored.sessions) as session:
            assert verify(session).events == made.counts["audit_events"] + 1
    finally:
        restored.close()


def test_a_restore_into_a_database_with_tables_is_refused_and_writes_nothing(
    seeded: Store, database_url: str, fresh: Callable[[], str], tmp_path: Path, clients: None
) -> None:
    made = backup(settings(database_url), tmp_path / "backup")
    # The backed-up database itself, and a new database migrated but holding no rows.
    migrated = fresh()
    open_store(settings(migrated)).close()
    for target in (database_url, migrated):
        was = fingerprint(target)
        with pytest.raises(BackupError, match=r"is not empty: it has tables .*nothing was written"):
            restore(settings(target), made.path)
        assert fingerprint(target) == was


def flip(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))


def test_a_damaged_backup_is_refused_and_nothing_is_written(
    seeded: Store, database_url: str, fresh: Callable[[], str], tmp_path: Path, clients: None
) -> None:
    made = backup(settings(database_url), tmp_path / "backup")
    good = made.path.read_bytes()
    target = fresh()

    # A byte flipped in the middle: the SHA-256 recorded beside it no longer holds.
    flip(made.path, len(good) // 2)
    with pytest.raises(BackupError, match="has changed since it was made: its SHA-256 is"):
        restore(settings(target), made.path)
    # …nor does the one given.
    with pytest.raises(BackupError, match=f"not the {made.sha256} given"):
        restore(settings(target), made.path, sha256=made.sha256)

    # Cut short, with no SHA-256 to check it by: its structure tells.
    made.checksum_file.unlink()
    made.path.write_bytes(good[: len(good) * 2 // 3])
    with pytest.raises(BackupError, match="is damaged"):
        restore(settings(target), made.path)

    # Its first bytes damaged: not a backup at all.
    made.path.write_bytes(good)
    flip(made.path, 2)
    with pytest.raises(BackupError, match="is not a backup Accord can restore"):
        restore(settings(target), made.path)

    assert not tables_of(target)
    made.path.write_bytes(good)
    done = restore(settings(target), made.path)
    assert done.audit.ok
    assert done.checksum == "not checked: no backup.sha256 beside it, and none given"


def test_a_backup_is_restored_only_into_its_own_kind_of_database(
    database_url: str, fresh: Callable[[], str], tmp_path: Path, clients: None
) -> None:
    other = tmp_path / "other-kind"
    if database_url.startswith("sqlite"):
        other.write_bytes(b"PGDMP\x01\x0e\x00" + bytes(64))
        expected = "a backup of a PostgreSQL database, and .* is SQLite"
    else:
        connection = sqlite3.connect(other)
        connection.execute("CREATE TABLE alembic_version (version_num TEXT)")
        connection.commit()
        connection.close()
        expected = "a backup of a SQLite database, and .* is PostgreSQL"
    target = fresh()
    with pytest.raises(BackupError, match=expected):
        restore(settings(target), other)
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    with pytest.raises(BackupError, match="neither as a SQLite database"):
        restore(settings(target), not_a_backup)
    assert fingerprint(target) in (None, {})


def test_an_older_schema_is_restored_and_said_so_an_unknown_one_refused(
    database_url: str, fresh: Callable[[], str], tmp_path: Path, clients: None
) -> None:
    older = fresh()
    engine = make_engine(settings(older))
    try:
        upgrade(engine, "0010")
    finally:
        engine.dispose()
    made = backup(settings(older), tmp_path / "older")
    assert made.revision == "0010"
    done = restore(settings(fresh()), made.path)
    assert done.revision == "0010" and done.behind and done.audit.ok

    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    finally:
        engine.dispose()
    unknown = backup(settings(database_url), tmp_path / "unknown")
    target = fresh()
    with pytest.raises(BackupError, match="revision 9999, which this Accord does not know"):
        restore(settings(target), unknown.path)
    assert fingerprint(target) in (None, {})


def test_a_failed_backup_leaves_no_file(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clients: None
) -> None:
    out = tmp_path / "backups" / "accord-backup"
    with pytest.raises(BackupError, match="is not a directory"):
        backup(settings(database_url), out)
    out.parent.mkdir()

    def fails(path: Path) -> str:
        assert path.stat().st_size > 0  # the backup was written, beside its final name
        raise BackupError("the disk filled up")

    monkeypatch.setattr(operations, "sha256_of", fails)
    with pytest.raises(BackupError, match="the disk filled up"):
        backup(settings(database_url), out)
    assert list(out.parent.iterdir()) == []


def test_a_backup_never_replaces_a_file(database_url: str, tmp_path: Path, clients: None) -> None:
    out = tmp_path / "backups" / "kept"
    out.parent.mkdir()
    out.write_text("yesterday's backup")
    with pytest.raises(BackupError, match="already exists"):
        backup(settings(database_url), out)
    assert out.read_text() == "yesterday's backup"
    assert sorted(p.name for p in out.parent.iterdir()) == ["kept"]


def test_the_commands(
    seeded: Store, database_url: str, fresh: Callable[[], str], tmp_path: Path, clients: None
) -> None:
    out = tmp_path / "nightly"
    made = Cli(database_url)("db", "backup", "--out", str(out))
    assert made.exit_code == 0, made.output
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    assert f"sha256 {digest}" in made.output
    assert f"schema revision {HEAD_REVISION}" in made.output
    assert "agreements 1, people 4, proposal_items 2, audit_events" in made.output

    restored = Cli(fresh())("db", "restore", str(out))
    assert restored.exit_code == 0, restored.output
    assert f"sha256 {digest}: matches nightly.sha256" in restored.output
    assert "audit chain verified: " in restored.output
    assert "agreements 1, people 4, proposal_items 2" in restored.output
    assert "(the newest)" in restored.output

    refused = Cli(database_url)("db", "restore", str(out))
    assert refused.exit_code == 1
    assert "is not empty" in refused.output and "nothing was written" in refused.output

    given = Cli(fresh())("db", "restore", str(out), "--sha256", "0" * 64)
    assert given.exit_code == 1 and "is not the backup recorded" in given.output

    again = Cli(database_url)("db", "backup", "--out", str(out))
    assert again.exit_code == 1 and "already exists" in again.output


def test_the_restore_command_says_an_older_schema_needs_an_upgrade(
    database_url: str, fresh: Callable[[], str], tmp_path: Path, clients: None
) -> None:
    older = fresh()
    engine = make_engine(settings(older))
    try:
        upgrade(engine, "0009")
    finally:
        engine.dispose()
    backup(settings(older), tmp_path / "older")
    restored = Cli(fresh())("db", "restore", str(tmp_path / "older"))
    assert restored.exit_code == 0, restored.output
    assert "schema revision 0009, older than this Accord's" in restored.output
    assert "accord db upgrade" in restored.output


# ----------------------------------------------------------------------------- PostgreSQL


def test_the_connection_goes_to_pg_dump_in_its_environment() -> None:
    url = make_url(
        "postgresql+psycopg://accord:s3cret@db.example:5433/accord?sslmode=verify-full"
        "&sslrootcert=/etc/ssl/ca.pem"
    )
    assert operations.pg_environment(url, base={"LANG": "C.UTF-8"}) == {
        "LANG": "C.UTF-8",
        "PGHOST": "db.example",
        "PGPORT": "5433",
        "PGUSER": "accord",
        "PGPASSWORD": "s3cret",
        "PGDATABASE": "accord",
        "PGSSLMODE": "verify-full",
        "PGSSLROOTCERT": "/etc/ssl/ca.pem",
    }
    assert "s3cret" not in operations._conninfo(url)
    with pytest.raises(BackupError, match="'pool_size' is not a libpq connection parameter"):
        operations.pg_environment(make_url("postgresql://a@b/c?pool_size=3"), base={})


@pytest.mark.postgres
def test_pg_dump_is_never_given_the_password_on_its_command_line(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_clients()
    # The server trusts the test's connections: a password in the URL is carried, not needed.
    url = make_url(postgres_url).set(password="s3cret-pw").render_as_string(hide_password=False)
    seen: list[tuple[list[str], dict[str, str] | None]] = []
    real = operations._run

    def run(argv: Any, environment: Any, what: str) -> str:
        seen.append((list(argv), None if environment is None else dict(environment)))
        return real(argv, environment, what)

    monkeypatch.setattr(operations, "_run", run)
    made = backup(settings(url), tmp_path / "pw")
    assert made.revision == HEAD_REVISION
    [(argv, environment)] = [(a, e) for a, e in seen if a[0].endswith("pg_dump") and e]
    assert not any("s3cret" in part for part in argv)
    assert environment is not None and environment["PGPASSWORD"] == "s3cret-pw"
    assert "--format=custom" in argv and "--no-owner" in argv and "--no-privileges" in argv


@pytest.mark.postgres
def test_pg_dump_missing_or_older_than_the_server_is_a_clear_error(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_clients()
    monkeypatch.setattr(operations, "client_major", lambda program: 9)
    with pytest.raises(BackupError, match=r"PostgreSQL 9's, older than the server \(PostgreSQL 1"):
        backup(settings(postgres_url), tmp_path / "old")
    monkeypatch.setattr(operations.shutil, "which", lambda program: None)
    with pytest.raises(BackupError, match=r"pg_dump was not found.*apt-get install postgresql-cl"):
        backup(settings(postgres_url), tmp_path / "none")
    assert list(tmp_path.iterdir()) == []


def test_a_backup_of_another_kind_of_database_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="a mysql database cannot be backed up"):
        backup(settings("mysql://a@b/c"), tmp_path / "x")
    with pytest.raises(BackupError, match="in memory"):
        backup(settings("sqlite://"), tmp_path / "x")
    with pytest.raises(BackupError, match="there is no SQLite database at"):
        backup(settings(f"sqlite:///{tmp_path / 'missing.db'}"), tmp_path / "x")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.postgres
def test_a_restore_that_fails_on_postgresql_restores_nothing(
    postgres_url: str, postgres_admin_url: str, tmp_path: Path
) -> None:
    require_clients()
    made = backup(settings(postgres_url), tmp_path / "backup")
    name = f"accord_restore_{uuid.uuid4().hex[:12]}"
    target = _create_database(postgres_admin_url, name)
    try:
        engine = create_engine(target)
        try:
            with engine.begin() as connection:  # no table, but in the way of one
                connection.execute(text("CREATE TYPE audit_events AS (seq bigint)"))
        finally:
            engine.dispose()
        with pytest.raises(
            BackupError,
            match=r"(?s)pg_restore failed .*\"audit_events\" already exists.*nothing was restored into",
        ):
            restore(settings(target), made.path)
        assert tables_of(target) == []
    finally:
        _drop_database(postgres_admin_url, name)
