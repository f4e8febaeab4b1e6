"""Ids in paths, read alike by the API and the pages: a stored row's id, from 1 to the largest
the database holds (a larger one is refused as malformed, never sent to the database)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

ROW_ID = 2**31 - 1
"""The largest id of a stored row (the database's integer)."""

ItemId = Annotated[int, Path(ge=1, le=ROW_ID, description="A proposal item (one family).")]
PoolId = Annotated[int, Path(ge=1, le=ROW_ID, description="A pool (proposal).")]
