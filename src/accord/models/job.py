"""Long matcher runs, done as jobs: what was asked, how far it got, what came of it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.db import Base
from accord.models.types import JSONDocument, UtcDateTime


class MatcherJob(Base):
    """One matcher run asked for by a person and done outside their request.

    `progress` is the run's curve (moments with the best plan and the proven bound); `result`
    is the answer as its reader reads it; a job that dies is `failed` with what happened, never
    left `running`: the worker's `heartbeat_at` says it is alive."""

    __tablename__ = "matcher_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    """`preview`: the builder's pool for one agreement, nothing stored but the audit event."""
    params: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    requested_by: Mapped[str] = mapped_column(String(128))
    requested_role: Mapped[str] = mapped_column(String(16))
    requested_party: Mapped[str | None] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(8), index=True)
    """`queued`, `running`, `done` or `failed`."""
    progress: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument, default=list)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    worker: Mapped[str | None] = mapped_column(String(128))
    """Which process ran it (host and pid), for the operator reading a failure."""
