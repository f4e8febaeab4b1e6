"""Migration 0003 is the accounts schema: it matches the models and goes down and up again."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import accord.models  # noqa: F401
from accord.db import Base, downgrade, ours, upgrade
from accord.store import Store

TABLES = {"users", "user_sessions", "api_tokens", "login_attempts"}


def _ours(obj: Any, name: str | None, kind: str, reflected: bool, compare_to: Any) -> bool:
    return kind != "table" or name in TABLES


def test_the_account_tables_match_the_models(store: Store) -> None:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": _ours, "compare_type": True}
        )
        assert compare_metadata(context, Base.metadata) == []
    unique = {
        table: {
            tuple(u["column_names"]) for u in inspect(store.engine).get_unique_constraints(table)
        }
        for table in ("users", "user_sessions", "api_tokens")
    }
    assert unique == {
        "users": {("username",)},
        "user_sessions": {("token_hash",)},
        "api_tokens": {("token_hash",)},
    }


def test_the_account_migration_goes_down_and_up_again(store: Store) -> None:
    before = {t for t in inspect(store.engine).get_table_names() if ours(t, "table", None)}
    assert before >= TABLES
    downgrade(store.engine, "0002")
    after = {t for t in inspect(store.engine).get_table_names() if ours(t, "table", None)}
    later = {
        "idempotent_requests",
        "notice_templates",
        "payments",
        "report_releases",
        "personal_values",
        "erasures",
        "matcher_jobs",
        "peers",
        "peer_keys",
        "exchange_messages",
        "exchange_item_marks",
        "received_items",
        "received_people",
        "ledger_statements",
    }
    assert after == before - TABLES - later  # 0004 and after rest on 0003
    upgrade(store.engine)
    assert {t for t in inspect(store.engine).get_table_names() if ours(t, "table", None)} == before
