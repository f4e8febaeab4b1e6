"""Backing the whole database up into one file, and restoring such a file into an empty database.

A backup is, on SQLite, a copy made by SQLite's online backup API (one consistent snapshot,
taken while the server goes on writing); on PostgreSQL, a `pg_dump` archive in its custom
format, taken in a snapshot this module exports and counts in. It is written to a temporary
file beside its final name, read back and checked (SQLite: the integrity check and the file's
size against its header; PostgreSQL: `pg_restore` lists the archive and reads every data block
of it), and only then renamed: a failed backup never leaves a file under the final name. Its
SHA-256 is written beside it, as `sha256sum` writes it (`<file>.sha256`).

A restore goes only into an empty database, and into the kind of database the backup was made
from. Every check of the file (its SHA-256, its structure, a schema revision this Accord knows)
comes before anything is written; then the audit chain of the restored database is verified.

See docs/operations.md for the schedule and the restore drill.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal
from urllib.parse import quote

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from accord.audit.service import Verification, verify
from accord.config import Settings
from accord.db import (
    HEAD_REVISION,
    MIGRATIONS_DIR,
    make_engine,
    make_session_factory,
    schema_revision,
    unit_of_work,
)
from accord.errors import AccordError

Kind = Literal["sqlite", "postgresql"]
"""The kind of a database, and of a backup made from one."""

KIND_NAMES: Mapping[Kind, str] = {
    "sqlite": "SQLite",
    "postgresql": "PostgreSQL",
}

SQLITE_MAGIC = b"SQLite format 3\x00"
"""How a SQLite database file begins."""
PGDUMP_MAGIC = b"PGDMP"
"""How a pg_dump archive in the custom format begins."""

KEY_TABLES = ("agreements", "people", "proposal_items", "audit_events")
"""The tables whose rows a backup and a restore count, to be compared."""

CLIENT_PACKAGE = "postgresql-client"
"""Debian's package of pg_dump and pg_restore."""

LIBPQ_ENVIRONMENT = {
    "host": "PGHOST",
    "hostaddr": "PGHOSTADDR",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "dbname": "PGDATABASE",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "options": "PGOPTIONS",
    "application_name": "PGAPPNAME",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "sslmode": "PGSSLMODE",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcrl": "PGSSLCRL",
    "sslcompression": "PGSSLCOMPRESSION",
    "requiressl": "PGREQUIRESSL",
    "gssencmode": "PGGSSENCMODE",
    "krbsrvname": "PGKRBSRVNAME",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
    "channel_binding": "PGCHANNELBINDING",
}
"""The connection parameters of a PostgreSQL URL (its parts, and the libpq parameters its query
may carry), as the environment variables pg_dump and pg_restore read: nothing of the connection
goes on their command line, where any user of the host could read a password."""


class BackupError(AccordError):
    """A backup or a restore refused or failed: the message says why, and what was written."""


@dataclass(frozen=True, slots=True)
class BackupInfo:
    """A backup made and checked."""

    path: Path
    kind: Kind
    size: int
    sha256: str
    checksum_file: Path
    revision: str
    counts: dict[str, int]
    """Rows of the key tables, as read back from the backup file itself."""


@dataclass(frozen=True, slots=True)
class RestoreInfo:
    """A backup restored, and what was verified of the restored database."""

    source: Path
    kind: Kind
    database: str
    """The database restored into, its URL without the password."""
    size: int
    sha256: str
    checksum: str
    """How the file's SHA-256 was checked (or why it was not)."""
    revision: str
    audit: Verification
    counts: dict[str, int]

    @property
    def behind(self) -> bool:
        """Whether the restored schema is older than this Accord's (`accord db upgrade`)."""
        return self.revision != HEAD_REVISION


# ----------------------------------------------------------------------------- the kinds


def kind_of_file(path: Path) -> Kind:
    """The kind of a backup file, by how it begins."""
    try:
        with path.open("rb") as handle:
            start = handle.read(len(SQLITE_MAGIC))
    except FileNotFoundError as exc:
        raise BackupError(f"{path}: no such file") from exc
    except OSError as exc:
        raise BackupError(f"{path} cannot be read: {exc.strerror}") from exc
    if start == SQLITE_MAGIC:
        return "sqlite"
    if start.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(
        f"{path} is not a backup Accord can restore: it begins neither as a SQLite database"
        " ('SQLite format 3') nor as a pg_dump archive in the custom format ('PGDMP')"
    )


def _url(settings: Settings) -> URL:
    try:
        return make_url(settings.database_url)
    except ArgumentError as exc:
        raise BackupError(f"the database URL cannot be read: {exc}") from exc


def kind_of_url(url: URL) -> Kind:
    backend = url.get_backend_name()
    if backend == "sqlite":
        return "sqlite"
    if backend == "postgresql":
        return "postgresql"
    raise BackupError(
        f"a {backend} database cannot be backed up or restored: Accord runs on SQLite and"
        " PostgreSQL"
    )


def shown(url: URL) -> str:
    """A database URL as it may be printed: without its password."""
    return url.render_as_string(hide_password=True)


# ----------------------------------------------------------------------------- files


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksum_path(path: Path) -> Path:
    """Where a backup's SHA-256 is kept: beside it, `<file>.sha256`."""
    return path.with_name(path.name + ".sha256")


def _sync(path: Path) -> None:
    """The file's bytes (or a directory's entries) on the disk before anyone relies on them."""
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if path.is_dir() else 0)
    try:
        descriptor = os.open(path, flags)
    except OSError:  # a directory that cannot be opened on this platform: nothing to do
        return
    try:
        with suppress(OSError):
            os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextmanager
def _beside(final: Path, suffix: str) -> Iterator[Path]:
    """A new empty file beside `final` (readable by its owner only), removed unless the block
    has renamed it: what a failure leaves behind is never under the final name, nor anywhere."""
    descriptor, name = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.", suffix=suffix)
    os.close(descriptor)
    partial = Path(name)
    try:
        yield partial
    finally:
        for leftover in (partial, partial.with_name(partial.name + "-journal")):
            with suppress(FileNotFoundError):
                leftover.unlink()


def _write_checksum(path: Path, digest: str) -> Path:
    """`<file>.sha256` as `sha256sum` writes it (`sha256sum -c` checks it in that directory)."""
    target = checksum_path(path)
    with _beside(target, ".partial") as partial:
        partial.write_text(f"{digest}  {path.name}\n")
        partial.chmod(0o644)
        os.replace(partial, target)
    return target


def _check_checksum(source: Path, digest: str, expected: str | None) -> str:
    """Refuse a file whose SHA-256 is not the one given, or the one recorded beside it."""
    if expected is not None:
        if digest != expected.strip().lower():
            raise BackupError(
                f"{source} is not the backup recorded: its SHA-256 is {digest}, not the"
                f" {expected.strip()} given (damaged, or another file); nothing was written"
            )
        return "matches the SHA-256 given"
    recorded_in = checksum_path(source)
    try:
        recorded = recorded_in.read_text().split()
    except FileNotFoundError:
        return f"not checked: no {recorded_in.name} beside it, and none given"
    except (OSError, UnicodeDecodeError) as exc:
        raise BackupError(f"{recorded_in} cannot be read: {exc}") from exc
    if not recorded or not re.fullmatch(r"[0-9a-fA-F]{64}", recorded[0]):
        raise BackupError(f"{recorded_in} holds no SHA-256; nothing was written")
    if digest != recorded[0].lower():
        raise BackupError(
            f"{source} has changed since it was made: its SHA-256 is {digest}, and"
            f" {recorded_in.name} recorded {recorded[0].lower()}; it is damaged, so nothing was"
            " written"
        )
    return f"matches {recorded_in.name}"


# ----------------------------------------------------------------------------- schema


def known_revisions() -> list[str]:
    """The schema revisions of this Accord's migrations, newest first."""
    from alembic.script import ScriptDirectory

    return [script.revision for script in ScriptDirectory(str(MIGRATIONS_DIR)).walk_revisions()]


def _require_known(revision: str, source: Path) -> None:
    if revision not in known_revisions():
        raise BackupError(
            f"{source} holds schema revision {revision}, which this Accord does not know (its"
            f" newest is {HEAD_REVISION}): restore it with the Accord that made it, or a newer"
            " one; nothing was written"
        )


def _counts(connection: Connection, tables: set[str]) -> dict[str, int]:
    return {
        table: int(
            connection.execute(
                text(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - a name of KEY_TABLES
            ).scalar_one()
        )
        for table in KEY_TABLES
        if table in tables
    }


def _database_counts(engine: Engine) -> dict[str, int]:
    from sqlalchemy import inspect

    with engine.connect() as connection:
        return _counts(connection, set(inspect(connection).get_table_names()))


def _verify_audit(engine: Engine, database: str) -> Verification:
    with unit_of_work(make_session_factory(engine)) as session:
        result = verify(session)
    if not result.ok:
        raise BackupError(
            f"the backup was restored into {database}, but its audit chain does not hold: the"
            f" link of event {result.broken_at} is broken ({result.problem}). Do not use this"
            " database: empty it, and restore an earlier backup"
        )
    return result


def _compare(database: str, found: dict[str, int], expected: dict[str, int]) -> None:
    if found != expected:
        raise BackupError(
            f"{database} does not hold what the backup holds: {_listed(found)} rows where the"
            f" backup has {_listed(expected)}"
        )


def _listed(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{table} {count:,}" for table, count in counts.items()) or "none"


# ----------------------------------------------------------------------------- backup


def backup(settings: Settings, out: Path) -> BackupInfo:
    """Back the database of `settings` up into `out` (a new file), read it back, and record its
    SHA-256 beside it. Safe while the server writes: the backup is one consistent snapshot."""
    url = _url(settings)
    kind = kind_of_url(url)
    out = out.absolute()
    if out.exists() or out.is_symlink():
        raise BackupError(
            f"{out} already exists: a backup never replaces a file (name each one by its date)"
        )
    if not out.parent.is_dir():
        raise BackupError(f"{out.parent} is not a directory")
    with _beside(out, ".partial") as partial:
        if kind == "sqlite":
            _sqlite_backup(_sqlite_path(url), partial)
            revision, counts = _read_sqlite(partial)
        else:
            revision, counts = _postgresql_backup(settings, url, partial)
        digest = sha256_of(partial)
        size = partial.stat().st_size
        _sync(partial)
        if out.exists():
            raise BackupError(f"{out} appeared while the backup was made: it was left alone")
        os.replace(partial, out)
    recorded_in = _write_checksum(out, digest)
    _sync(out.parent)
    return BackupInfo(out, kind, size, digest, recorded_in, revision, counts)


def restore(settings: Settings, source: Path, *, sha256: str | None = None) -> RestoreInfo:
    """Restore the backup `source` into the database of `settings`, which must be empty, then
    verify the restored audit chain. The file's SHA-256 must be `sha256` when given, else the
    one recorded beside it (`<file>.sha256`) when there is one."""
    url = _url(settings)
    kind = kind_of_url(url)
    source = source.absolute()
    made_from = kind_of_file(source)
    if made_from != kind:
        raise BackupError(
            f"{source} is a backup of a {KIND_NAMES[made_from]} database, and {shown(url)} is"
            f" {KIND_NAMES[kind]}: a backup is restored into the kind of database it was made"
            " from; nothing was written"
        )
    digest = sha256_of(source)
    checksum = _check_checksum(source, digest, sha256)
    size = source.stat().st_size
    if kind == "sqlite":
        revision, counts, audit = _sqlite_restore(settings, url, source)
    else:
        revision, counts, audit = _postgresql_restore(settings, url, source)
    return RestoreInfo(source, kind, shown(url), size, digest, checksum, revision, audit, counts)


# ----------------------------------------------------------------------------- SQLite


def _sqlite_path(url: URL) -> Path:
    database = url.database
    if not database or database == ":memory:" or url.query.get("mode") == "memory":
        raise BackupError("the database is in memory: there is no file to back up or restore")
    if database.startswith("file:") or url.query:
        raise BackupError(
            f"give the SQLite database as sqlite:///PATH, without parameters (not {shown(url)})"
        )
    return Path(database).absolute()


def _read_only(path: Path) -> str:
    """The URI that opens a SQLite file read-only (and never creates it)."""
    return f"file:{quote(str(path))}?mode=ro"


def _sqlite_backup(database: Path, partial: Path) -> None:
    if not database.is_file():
        raise BackupError(f"there is no SQLite database at {database}")
    try:
        source = sqlite3.connect(_read_only(database), uri=True, timeout=30)
    except sqlite3.Error as exc:
        raise BackupError(f"the database {database} cannot be opened: {exc}") from exc
    try:
        target = sqlite3.connect(partial)
        try:
            # In one step: one read transaction, one snapshot, while the server's writers go on
            # (WAL); copying in steps would start over at each write of another connection.
            source.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            target.close()
    except sqlite3.Error as exc:
        raise BackupError(f"the backup of {database} failed: {exc}; nothing was kept") from exc
    finally:
        source.close()


def _read_sqlite(path: Path) -> tuple[str, dict[str, int]]:
    """A SQLite backup read back: whole (its size as its header says, SQLite's integrity
    check), an Accord database (its schema revision), and its key tables' rows."""
    damaged = f"{path} is damaged"
    try:
        connection = sqlite3.connect(_read_only(path), uri=True)
    except sqlite3.Error as exc:
        raise BackupError(f"{damaged}: {exc}") from exc
    try:
        page_size = int(connection.execute("PRAGMA page_size").fetchone()[0])
        pages = int(connection.execute("PRAGMA page_count").fetchone()[0])
        size = path.stat().st_size
        if size != page_size * pages:
            raise BackupError(
                f"{damaged}: it has {size:,} bytes where its header says {pages:,} pages of"
                f" {page_size:,} bytes (cut short?)"
            )
        problems = [row[0] for row in connection.execute("PRAGMA integrity_check(10)")]
        if problems != ["ok"]:
            raise BackupError(f"{damaged}: SQLite's integrity check found {'; '.join(problems)}")
        tables = {
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        if "alembic_version" not in tables:
            raise BackupError(f"{path} is not an Accord database: it has no alembic_version")
        versions = [row[0] for row in connection.execute("SELECT version_num FROM alembic_version")]
        if len(versions) != 1:
            raise BackupError(f"{path} has {len(versions)} schema revisions, not one")
        counts = {
            table: int(
                connection.execute(
                    f'SELECT count(*) FROM "{table}"'  # noqa: S608 - a name of KEY_TABLES
                ).fetchone()[0]
            )
            for table in KEY_TABLES
            if table in tables
        }
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{damaged}: {exc}") from exc
    finally:
        connection.close()
    return str(versions[0]), counts


def _require_empty_sqlite(target: Path, database: str) -> None:
    refused = "a backup is restored only into an empty database (a new file); nothing was written"
    if not target.exists():
        if not target.parent.is_dir():
            raise BackupError(f"{target.parent} is not a directory")
        return
    if not target.is_file():
        raise BackupError(f"{target} is not a file; {refused}")
    if target.stat().st_size == 0:
        return
    with target.open("rb") as handle:
        if handle.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise BackupError(f"{target} exists and is not a SQLite database; {refused}")
    try:
        connection = sqlite3.connect(_read_only(target), uri=True)
        try:
            found = [
                row[0]
                for row in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
                )
            ]
        finally:
            connection.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{target} cannot be read ({exc}); {refused}") from exc
    if found:
        raise BackupError(f"{database} is not empty: it has {_tables(found)}; {refused}")


def _tables(names: Sequence[str]) -> str:
    more = f", … ({len(names)} in all)" if len(names) > 5 else ""
    noun = "table" if len(names) == 1 else "tables"
    return f"{noun} {', '.join(names[:5])}{more}"


def _sqlite_restore(
    settings: Settings, url: URL, source: Path
) -> tuple[str, dict[str, int], Verification]:
    target = _sqlite_path(url)
    _require_empty_sqlite(target, shown(url))
    revision, counts = _read_sqlite(source)
    _require_known(revision, source)
    try:
        reading = sqlite3.connect(_read_only(source), uri=True)
        try:
            writing = sqlite3.connect(target, timeout=30)
            try:
                reading.backup(writing)
            finally:
                writing.close()
        finally:
            reading.close()
    except sqlite3.Error as exc:
        raise BackupError(f"the restore into {target} failed: {exc}") from exc
    return (revision, *_restored(settings, shown(url), counts))


# ----------------------------------------------------------------------------- PostgreSQL


def pg_environment(url: URL, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment pg_dump and pg_restore connect with: `base` (the process's own by
    default) with the URL's connection parameters, its password as PGPASSWORD."""
    environment = dict(os.environ if base is None else base)
    parts = {
        "host": url.host,
        "port": None if url.port is None else str(url.port),
        "user": url.username,
        "password": url.password,
        "dbname": url.database,
    }
    for name, given in url.query.items():
        if name not in LIBPQ_ENVIRONMENT:
            raise BackupError(
                f"the database URL's parameter {name!r} is not a libpq connection parameter"
                " that pg_dump and pg_restore could be given"
            )
        if not isinstance(given, str):
            raise BackupError(f"the database URL gives {name!r} more than once")
        parts[name] = given
    for name, value in parts.items():
        if value is not None:
            environment[LIBPQ_ENVIRONMENT[name]] = value
    return environment


def _conninfo(url: URL) -> str:
    """--dbname as a connection string naming only the database (never taken for another
    connection string, whatever the name); the rest of the connection is in the environment."""
    name = (url.database or "").replace("\\", "\\\\").replace("'", "\\'")
    return f"dbname='{name}'"


def client(program: str) -> str:
    """pg_dump or pg_restore on PATH, or a clear error."""
    found = shutil.which(program)
    if found is None:
        raise BackupError(
            f"{program} was not found on PATH: install PostgreSQL's client programs, of the"
            f" server's major version or newer (on Debian: apt-get install {CLIENT_PACKAGE})"
        )
    return found


def client_major(program: str) -> int:
    """The major version of pg_dump or pg_restore, from `--version`."""
    said = _run([program, "--version"], None, f"{Path(program).name} --version")
    found = re.search(r"\(PostgreSQL\)\s+(\d+)", said)
    if found is None:
        raise BackupError(f"{program} --version says {said.strip()!r}: not PostgreSQL's")
    return int(found[1])


def _require_client_version(program: str, server_major: int) -> None:
    major = client_major(program)
    if major < server_major:
        raise BackupError(
            f"{program} is PostgreSQL {major}'s, older than the server (PostgreSQL"
            f" {server_major}), which it cannot back up: install the client of version"
            f" {server_major} or newer (on Debian: apt-get install"
            f" {CLIENT_PACKAGE}-{server_major}) and put it first on PATH"
        )


def _run(argv: Sequence[str], environment: Mapping[str, str] | None, what: str) -> str:
    try:
        done = subprocess.run(  # noqa: S603 - a program found on PATH, no shell
            list(argv), env=environment, capture_output=True, text=True, check=False
        )
    except OSError as exc:
        raise BackupError(f"{what} could not be run: {exc}") from exc
    if done.returncode != 0:
        raise BackupError(f"{what} failed (exit code {done.returncode}): {_tail(done.stderr)}")
    return done.stdout


def _tail(stderr: str, lines: int = 6) -> str:
    """What a client program said, its own messages first (not the SQL it was running)."""
    said = [line.strip() for line in stderr.splitlines() if line.strip()]
    own = [line for line in said if line.startswith(("pg_", "ERROR:", "DETAIL:", "HINT:"))]
    return "\n".join((own or said)[-lines:]) or "it said nothing"


def _postgresql_backup(settings: Settings, url: URL, partial: Path) -> tuple[str, dict[str, int]]:
    pg_dump, pg_restore = client("pg_dump"), client("pg_restore")
    environment = pg_environment(url)
    engine = make_engine(settings)
    try:
        with engine.connect() as connection, connection.begin():
            # The snapshot pg_dump takes, exported from this transaction (kept open until it is
            # done): what this transaction counts is exactly what the archive holds.
            connection.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
            server = int(connection.execute(text("SHOW server_version_num")).scalar_one())
            _require_client_version(pg_dump, server // 10000)
            tables = {
                str(name)
                for name in connection.execute(
                    text(
                        "SELECT table_name FROM information_schema.tables"
                        " WHERE table_schema = current_schema()"
                    )
                ).scalars()
            }
            if "alembic_version" not in tables:
                raise BackupError(
                    f"{shown(url)} is not an Accord database: it has no alembic_version"
                )
            revisions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
            counts = _counts(connection, tables)
            snapshot = str(connection.execute(text("SELECT pg_export_snapshot()")).scalar_one())
            _run(
                [
                    pg_dump,
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    "--file",
                    str(partial),
                    "--dbname",
                    _conninfo(url),
                ],
                environment,
                "pg_dump",
            )
    except SQLAlchemyError as exc:
        raise BackupError(f"{shown(url)} cannot be read: {exc}") from exc
    finally:
        engine.dispose()
    if len(revisions) != 1:
        raise BackupError(f"{shown(url)} has {len(revisions)} schema revisions, not one")
    revision, held = _read_archive(pg_restore, partial)
    if revision != revisions[0][0] or held != counts:
        raise BackupError(
            f"the archive does not hold what the database held: revision {revision} and"
            f" {_listed(held)} rows, where the database had revision {revisions[0][0]} and"
            f" {_listed(counts)}; nothing was kept"
        )
    return revision, held


def _read_archive(pg_restore: str, path: Path) -> tuple[str, dict[str, int]]:
    """A pg_dump archive read back: its table of contents listed, then the whole archive
    turned into SQL (every data block decompressed: a damaged one fails), counting the rows
    of the key tables and reading the schema revision on the way."""
    damaged = f"{path} is damaged or not a whole archive"
    try:
        _run([pg_restore, "--list", str(path)], None, "pg_restore --list")
    except BackupError as exc:
        raise BackupError(f"{damaged}: {exc.detail}") from exc
    counts: dict[str, int] = {}
    versions: list[str] = []
    with tempfile.TemporaryFile() as stderr:
        try:
            process = subprocess.Popen(  # noqa: S603 - a program found on PATH, no shell
                [pg_restore, "--file=-", str(path)], stdout=subprocess.PIPE, stderr=stderr
            )
        except OSError as exc:
            raise BackupError(f"pg_restore could not be run: {exc}") from exc
        assert process.stdout is not None
        with process:
            _count_rows(process.stdout, counts, versions)
        if process.returncode != 0:
            stderr.seek(0)
            said = stderr.read().decode(errors="replace")
            raise BackupError(f"{damaged}: pg_restore said {_tail(said)}")
    if len(versions) != 1:
        raise BackupError(
            f"{path} is not an Accord database: it holds {len(versions)} schema revisions"
        )
    return versions[0], {table: counts[table] for table in KEY_TABLES if table in counts}


def _count_rows(script: IO[bytes], counts: dict[str, int], versions: list[str]) -> None:
    """Read the SQL script of an archive: each COPY block's rows (one a line, newlines within a
    value being escaped), counted for the key tables, kept for the schema revision."""
    table: str | None = None
    for line in script:
        if table is None:
            if line.startswith(b"COPY "):
                name = line[5:].split(b" ", 1)[0].decode(errors="replace")
                table = name.rpartition(".")[2].strip('"')
                counts.setdefault(table, 0)
        elif line in (b"\\.\n", b"\\."):
            table = None
        else:
            counts[table] += 1
            if table == "alembic_version":
                versions.append(line.rstrip(b"\n").decode())


def _require_empty_postgresql(connection: Connection, database: str) -> None:
    found = [
        f"{schema}.{name}" if schema != "public" else str(name)
        for schema, name in connection.execute(
            text(
                "SELECT n.nspname, c.relname FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')"
                " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
                " AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'"
                " ORDER BY n.nspname, c.relname"
            )
        ).all()
    ]
    if found:
        raise BackupError(
            f"{database} is not empty: it has {_tables(found)}; a backup is restored only into"
            " an empty database (createdb a new one); nothing was written"
        )


def _postgresql_restore(
    settings: Settings, url: URL, source: Path
) -> tuple[str, dict[str, int], Verification]:
    pg_restore = client("pg_restore")
    environment = pg_environment(url)
    database = shown(url)
    engine = make_engine(settings)
    try:
        try:
            with engine.connect() as connection:
                _require_empty_postgresql(connection, database)
        except SQLAlchemyError as exc:
            raise BackupError(f"{database} cannot be read: {exc}") from exc
        revision, counts = _read_archive(pg_restore, source)
        _require_known(revision, source)
        try:
            _run(
                [
                    pg_restore,
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--single-transaction",
                    "--dbname",
                    _conninfo(url),
                    str(source),
                ],
                environment,
                "pg_restore",
            )
        except BackupError as exc:
            raise BackupError(
                f"{exc.detail}\n(it ran as one transaction: nothing was restored into {database})"
            ) from exc
    finally:
        engine.dispose()
    return (revision, *_restored(settings, database, counts))


# ----------------------------------------------------------------------------- both


def _restored(
    settings: Settings, database: str, expected: dict[str, int]
) -> tuple[dict[str, int], Verification]:
    """The restored database checked: its audit chain, its schema revision, its rows."""
    engine = make_engine(settings)
    try:
        audit = _verify_audit(engine, database)
        counts = _database_counts(engine)
        _compare(database, counts, expected)
        if schema_revision(engine) is None:
            raise BackupError(f"{database} has no schema revision after the restore")
    except SQLAlchemyError as exc:
        raise BackupError(f"{database} cannot be read after the restore: {exc}") from exc
    finally:
        engine.dispose()
    return counts, audit
