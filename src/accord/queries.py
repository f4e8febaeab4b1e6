"""What the repositories' paged lists share: one page of a query and the number of rows the
whole query holds, both worked out by the database, so a list never loads every row to show
a few of them."""

from __future__ import annotations

from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Delete, Select, Update, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")


def count_of(session: Session, query: Select[Any]) -> int:
    """How many rows `query` gives (its order plays no part in the count)."""
    counted = select(func.count()).select_from(query.order_by(None).subquery())
    return session.execute(counted).scalar_one()


def affected(session: Session, statement: Update | Delete) -> int:
    """Run a bulk UPDATE or DELETE; how many rows it changed."""
    return cast(CursorResult[Any], session.execute(statement)).rowcount


def page_of(session: Session, query: Select[T], *, limit: int, offset: int) -> tuple[list[T], int]:
    """The rows `offset` to `offset + limit` of `query`, in its order, and how many it gives
    in all. The query must order its rows completely (end on a unique column), or one row could
    show on two pages and another on none."""
    total = count_of(session, query)
    if offset >= total:
        return [], total
    return list(session.scalars(query.limit(limit).offset(offset))), total
