"""The migrations are the schema: they run up and down on SQLite and PostgreSQL and match the models."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

import accord.models  # noqa: F401
from accord.config import Settings
from accord.db import (
    HEAD_REVISION,
    MIGRATIONS_DIR,
    Base,
    downgrade,
    ours,
    schema_revision,
    upgrade,
)
from accord.store import Store, open_store

TABLES = {
    "parties",
    "agreements",
    "agreement_caps",
    "agreement_criteria",
    "agreement_status_events",
    "agreement_sources",
    "families",
    "people",
    "audit_events",
    "audit_head",
    "proposals",
    "proposal_items",
    "item_events",
    "ledger_entries",
    "notices",
    "fear_claims",
    "movements",
    "check_ins",
    "incidents",
}


def test_migrations_create_every_table(store: Store) -> None:
    assert set(inspect(store.engine).get_table_names()) >= TABLES


def test_models_and_migrations_agree(store: Store) -> None:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": ours})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_migrations_go_down_and_up_again(store: Store) -> None:
    downgrade(store.engine, "base")
    assert not TABLES & set(inspect(store.engine).get_table_names())
    upgrade(store.engine)
    assert set(inspect(store.engine).get_table_names()) >= TABLES


def test_the_head_revision_is_the_newest_migration() -> None:
    """`HEAD_REVISION` spares each command Alembic: a new migration must move it."""
    assert ScriptDirectory(str(MIGRATIONS_DIR)).get_heads() == [HEAD_REVISION]


def test_a_store_opened_on_an_older_schema_brings_it_to_the_head(store: Store) -> None:
    assert schema_revision(store.engine) == HEAD_REVISION
    downgrade(store.engine, "-1")
    assert schema_revision(store.engine) not in (None, HEAD_REVISION)
    reopened = open_store(store.settings)
    try:
        assert schema_revision(reopened.engine) == HEAD_REVISION
        assert set(inspect(reopened.engine).get_table_names()) >= TABLES
    finally:
        reopened.close()


def test_a_store_at_the_head_opens_without_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'accord.db'}"
    open_store(Settings(database_url=url)).close()
    script = (
        "import sys\n"
        "from accord.config import Settings\n"
        "from accord.store import open_store\n"
        f"open_store(Settings(database_url={url!r})).close()\n"
        "print('alembic' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "False"
