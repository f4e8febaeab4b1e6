"""Engine and session factories, the naming convention and schema migration.

Nothing here runs at import time: callers build an engine from their settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic_core import from_json, to_json
from sqlalchemy import Engine, MetaData, Table, create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from accord.config import Settings

if TYPE_CHECKING:
    from alembic.config import Config

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

HEAD_REVISION = "0014"
"""The newest migration's revision (tests/test_migrations.py checks it against Alembic's script
directory): a database whose alembic_version says so needs no upgrade, and Alembic, slow to
import, is imported only when one is due."""


def ours(name: str | None, _type: str, _parents: object) -> bool:
    """Whether a database object is Accord's own: the job queue's (`procrastinate_…`, on
    PostgreSQL) is created by migration 0013 from the library's schema and not modelled."""
    return not (name or "").startswith("procrastinate_")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def table_of(model: type[Base]) -> Table:
    """The Core table of a model, for bulk statements that skip the ORM's per-row work."""
    return Base.metadata.tables[model.__tablename__]


def _serialize_sqlite_writes(engine: Engine) -> None:
    """SQLite: take the write lock when a transaction begins.

    A deferred transaction that reads and then writes can fail with "database is locked" under
    concurrency; BEGIN IMMEDIATE makes writers queue instead, which the audit chain and the quota
    ledger rely on. WAL lets readers go on while one writer works.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Deleted and overwritten rows are zeroed in the file, not left in free space: an
        # erased person's values must not stay readable in the database's bytes.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _json_text(value: Any) -> str:
    """JSON columns are written by pydantic's Rust serializer: dates become ISO 8601 text."""
    return to_json(value).decode()


def make_engine(settings: Settings) -> Engine:
    url = settings.database_url
    options: dict[str, Any] = {
        "echo": settings.sql_echo,
        "json_serializer": _json_text,
        "json_deserializer": from_json,
    }
    if url.startswith("sqlite"):
        engine = create_engine(url, **options)
        _serialize_sqlite_writes(engine)
        return engine
    # No ping before each checkout (a round trip and ~1 ms per unit of work): a connection the
    # server dropped fails its request once, which invalidates the pool, and connections are
    # replaced after half an hour so idle ones are not held past a server's timeouts.
    return create_engine(
        url,
        pool_size=settings.threads,
        max_overflow=settings.threads,
        pool_recycle=1800,
        **options,
    )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


_enclosing: ContextVar[tuple[sessionmaker[Session], Session] | None] = ContextVar(
    "accord_enclosing_transaction", default=None
)
"""The transaction `one_transaction` holds open for the code it runs, if any."""


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit when the block succeeds, roll back on any error.

    Services never commit; the CLI command or the request is the unit of work. Inside
    `one_transaction` on the same store, the block is a savepoint of that transaction instead:
    its failure undoes its own writes, and nothing is committed before the whole succeeds.
    """
    enclosing = _enclosing.get()
    if enclosing is not None and enclosing[0] is factory:
        with enclosing[1].begin_nested():
            yield enclosing[1]
        return
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def one_transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Everything the block runs, every unit of work of the functions it calls included, as one
    transaction: committed when the block succeeds, rolled back whole when anything in it
    fails. For a request that writes and then reads what it shows (a page that makes a move
    and then draws the row it changed): a failure after the write must not leave it written."""
    with unit_of_work(factory) as session:
        token = _enclosing.set((factory, session))
        try:
            yield session
        finally:
            _enclosing.reset(token)


def forget_deleted(engine: Engine) -> bool:
    """After an erasure commits: SQLite copies the write-ahead log into the file (where
    `secure_delete` zeroed what was deleted) and empties it, so no old page with the erased
    values remains in either. False if a reader kept part of the log from being copied.
    PostgreSQL keeps dead row versions until VACUUM reuses their space (docs/operations.md)."""
    if engine.dialect.name != "sqlite":
        return True
    connection = engine.raw_connection()  # outside a transaction: a checkpoint runs on its own
    try:
        cursor = connection.cursor()
        busy, _, _ = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        cursor.close()
    finally:
        connection.close()
    return not busy


def schema_revision(engine: Engine) -> str | None:
    """The revision the database's schema is at: the alembic_version row, None when there is no
    such table (or the database cannot be read: the upgrade then says why)."""
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    except SQLAlchemyError:
        return None
    return rows[0][0] if len(rows) == 1 else None


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def upgrade_if_behind(engine: Engine) -> None:
    """Bring the schema to the newest revision unless it is there already (one query)."""
    if schema_revision(engine) != HEAD_REVISION:
        upgrade(engine)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(engine), revision)
