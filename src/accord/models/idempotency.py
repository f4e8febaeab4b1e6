"""Requests already answered, by Idempotency-Key: a retried POST replays its first answer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from accord.db import Base
from accord.models.types import JSONDocument, UtcDateTime


class IdempotentRequest(Base):
    """One answered request: who sent it under which key, what it was, and the answer."""

    __tablename__ = "idempotent_requests"
    __table_args__ = (UniqueConstraint("principal", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    principal: Mapped[str] = mapped_column(String(120))
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the method, the path and the parsed body: the same key with another request
    is refused."""
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[Any] = mapped_column(JSONDocument)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
