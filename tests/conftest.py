"""Shared fixtures: every database test runs the real migrations, on SQLite and on PostgreSQL.

PostgreSQL tests create their own throwaway database and drop it afterwards. Where no server
answers they skip with the reason, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

# The command line prints through consoles made when it is imported, as wide as the terminal; a
# test process (one of several, or none with a terminal) gets the same width every time.
os.environ["COLUMNS"] = "200"

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from accord.config import Settings
from accord.store import Store, open_store
from tests.support import Cli, approve_notice_templates

POSTGRES_URL = os.environ.get(
    "ACCORD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _postgres_problem() -> str | None:
    engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("select 1"))
    except Exception as exc:
        return f"PostgreSQL not reachable at {POSTGRES_URL}: {type(exc).__name__}"
    finally:
        engine.dispose()
    return None


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    problem = _postgres_problem()
    if problem is not None:
        if IN_CI:
            pytest.fail(f"{problem} (CI=true: PostgreSQL tests must run)")
        pytest.skip(f"{problem}; set ACCORD_TEST_POSTGRES_URL, or CI=true to fail instead")
    return POSTGRES_URL


def _create_database(admin_url: str, name: str, template: str | None = None) -> str:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            like = f' TEMPLATE "{template}"' if template else ""
            connection.execute(text(f'CREATE DATABASE "{name}"{like}'))
    finally:
        admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _drop_database(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _migrate(url: str) -> None:
    """The real migrations, to the newest revision; the shipped notice templates stored and
    approved (but the Arabic one, left a draft), as a deployment's supervisor would."""
    store = open_store(Settings(database_url=url))
    try:
        approve_notice_templates(store, keep_drafts=frozenset({"ar"}))
    finally:
        store.close()


@pytest.fixture(scope="session")
def postgres_template(postgres_admin_url: str) -> Iterator[str]:
    """A database migrated once for the session by the real migrations; each test's database
    is a copy of it (CREATE DATABASE … TEMPLATE), dropped after the test."""
    name = f"accord_template_{uuid.uuid4().hex[:12]}"
    _migrate(_create_database(postgres_admin_url, name))
    try:
        yield name
    finally:
        _drop_database(postgres_admin_url, name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once for the session by the real migrations; each test copies it."""
    path = tmp_path_factory.mktemp("template") / "accord.db"
    _migrate(f"sqlite:///{path}")
    return path


@pytest.fixture
def postgres_url(postgres_admin_url: str, postgres_template: str) -> Iterator[str]:
    """A fresh database on the PostgreSQL server, migrated (a copy of the session's template),
    dropped after the test."""
    name = f"accord_test_{uuid.uuid4().hex[:12]}"
    url = _create_database(postgres_admin_url, name, template=postgres_template)
    try:
        yield url
    finally:
        _drop_database(postgres_admin_url, name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database at the newest migration, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        shutil.copyfile(template, tmp_path / "accord.db")
        return f"sqlite:///{tmp_path / 'accord.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A store on a fresh database, migrated to the newest revision."""
    store = open_store(Settings(database_url=database_url))
    try:
        yield store
    finally:
        store.close()


@pytest.fixture(autouse=True, scope="session")
def no_signed_in_user(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No test acts with the developer's own sign-in: no ACCORD_TOKEN, and a token file that
    does not exist (a test that signs in points ACCORD_TOKEN_FILE at its own)."""
    saved = {name: os.environ.get(name) for name in ("ACCORD_TOKEN", "ACCORD_TOKEN_FILE")}
    os.environ.pop("ACCORD_TOKEN", None)
    os.environ["ACCORD_TOKEN_FILE"] = str(tmp_path_factory.mktemp("signed-out") / "token")
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture
def cli(database_url: str) -> Cli:
    """`accord …` on the test's database; `cli.signed_up()` adds the test accounts."""
    return Cli(database_url)
