"""The migrations are the schema: they run up and down on SQLite and PostgreSQL and match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import accord.models  # noqa: F401
from accord.db import Base, downgrade, upgrade
from accord.store import Store

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
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_migrations_go_down_and_up_again(store: Store) -> None:
    downgrade(store.engine, "base")
    assert not TABLES & set(inspect(store.engine).get_table_names())
    upgrade(store.engine)
    assert set(inspect(store.engine).get_table_names()) >= TABLES
