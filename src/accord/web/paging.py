"""Every list is paged: `limit` (1–200, default 50) and `offset`, with the total; a day in a
query is written YYYY-MM-DD, from 1900-01-01 to 2999-12-31."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import AfterValidator, BaseModel, BeforeValidator, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=200, description="At most this many items.")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Skip this many items.")]


def _written_day(value: object) -> object:
    """Only YYYY-MM-DD: pydantic would also read "0" as a timestamp (1970-01-01)."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("a day is written YYYY-MM-DD")
    return value


EARLIEST_DAY = dt.date(1900, 1, 1)
LATEST_DAY = dt.date(2999, 12, 31)
"""The days a request may name. The periods, windows and ends of day computed from a day must
stay within the calendar (9999-12-31 has no next day)."""


def _within_calendar(day: dt.date) -> dt.date:
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValueError(f"a day from {EARLIEST_DAY} to {LATEST_DAY}")
    return day


class _DaysInDocument:
    """The document's schema for such a day: the years a pattern can say (1900 to 2999)."""

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema: dict[str, Any] = handler(core_schema)
        schema["pattern"] = r"^(19|2[0-9])[0-9]{2}-[0-9]{2}-[0-9]{2}$"
        return schema


QueryDay = Annotated[
    dt.date,
    BeforeValidator(_written_day),
    AfterValidator(_within_calendar),
    _DaysInDocument(),
]
"""A day given in a query string (or a form, or a body): YYYY-MM-DD, within `EARLIEST_DAY`
and `LATEST_DAY`."""


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


def page(rows: Sequence[T], limit: int, offset: int) -> Page[T]:
    """A page of a list already in memory (computed, or narrowed by access rules in Python).
    A stored list is paged and counted by its repository instead (`accord.queries.page_of`),
    and its page given as `Page(items=..., total=..., limit=..., offset=...)`."""
    return Page[T](
        items=list(rows[offset : offset + limit]), total=len(rows), limit=limit, offset=offset
    )
