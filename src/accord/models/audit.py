from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.db import Base
from accord.models.types import JSONDocument


class AuditEvent(Base):
    """Append-only, hash-chained record of a state change or a read of a person's record."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64), index=True)
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(128), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The chain's newest link, updated with every append, so deleting the tail is detected."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class PersonalValue(Base):
    """A personal value an audit event names, kept outside the hashed chain.

    The event's data holds only `{"$personal": ref}`, where `ref` is the SHA-256 of this row's
    random salt and the value's canonical JSON: the chain covers the reference, so deleting this
    row (an erasure, or the retention schedule) removes the value and leaves every link intact,
    while a held value that was altered no longer matches its reference."""

    __tablename__ = "personal_values"

    ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)
    """The audit event that names it."""
    subject: Mapped[str] = mapped_column(String(160), index=True)
    """Whose value it is: `person <case id>`, `family <family id>` or `sign-in <username>`."""
    value: Mapped[str] = mapped_column(Text)
    """The value as canonical JSON."""
    salt: Mapped[str] = mapped_column(String(32))
