"""Every list is paged: `limit` (1–200, default 50) and `offset`, with the total."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=200, description="At most this many items.")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Skip this many items.")]


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


def page(rows: Sequence[T], limit: int, offset: int) -> Page[T]:
    return Page[T](
        items=list(rows[offset : offset + limit]), total=len(rows), limit=limit, offset=offset
    )
