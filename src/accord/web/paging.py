"""Every list is paged: `limit` (1–200, default 50) and `offset`, with the total; a day in a
query is written YYYY-MM-DD."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, BeforeValidator

T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=200, description="At most this many items.")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Skip this many items.")]


def _written_day(value: object) -> object:
    """Only YYYY-MM-DD: pydantic would also read "0" as a timestamp (1970-01-01)."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("a day is written YYYY-MM-DD")
    return value


QueryDay = Annotated[dt.date, BeforeValidator(_written_day)]
"""A day given in a query string."""


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


def page(rows: Sequence[T], limit: int, offset: int) -> Page[T]:
    return Page[T](
        items=list(rows[offset : offset + limit]), total=len(rows), limit=limit, offset=offset
    )
