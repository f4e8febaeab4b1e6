"""Ids in paths, read alike by the API and the pages: a stored row's id, from 1 to the largest
the database holds (a larger one is refused as malformed, never sent to the database); a
person's case id or an agreement's id, free text of a bounded length."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from accord.records.text import FreeText

ROW_ID = 2**31 - 1
"""The largest id of a stored row (the database's integer)."""

ItemId = Annotated[int, Path(ge=1, le=ROW_ID, description="A proposal item (one family).")]
PoolId = Annotated[int, Path(ge=1, le=ROW_ID, description="A pool (proposal).")]
NoticeId = Annotated[int, Path(ge=1, le=ROW_ID, description="A notice served on an item.")]
JobId = Annotated[int, Path(ge=1, le=ROW_ID, description="A matcher run done as a job.")]
ReceivedId = Annotated[
    int, Path(ge=1, le=ROW_ID, description="A received item (one family a peer proposed).")
]
CaseId = Annotated[FreeText, Path(max_length=64, description="A person's case id.")]
AgreementId = Annotated[FreeText, Path(max_length=64, description="An agreement id.")]
