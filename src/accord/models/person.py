from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.db import Base
from accord.models.types import JSONDocument


class Family(Base):
    """A family moves together or not at all (S9); members share its id."""

    __tablename__ = "families"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)


class Person(Base):
    """One person's case record.

    `record` is the whole record in the exchange schema (DESIGN §7) as JSON text: screening and
    views read it whole and validate it back into a `PersonRecord`. The other columns are
    projections of it, kept for lookups, filters and family checks in SQL.
    """

    __tablename__ = "people"

    case_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("families.id"), index=True)
    relationship: Mapped[str] = mapped_column(String(16))
    given_name: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(200), index=True)
    birth_date: Mapped[dt.date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    nationalities: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    sender_status: Mapped[str] = mapped_column(String(8))
    removal_order_status: Mapped[str] = mapped_column(String(8))
    record: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    """SHA-256 of `record`: a re-import of the same record changes nothing."""
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Erasure(Base):
    """A person erased: their record and every personal value of theirs are gone, and this row
    is what stays, so a case id is never reused for someone else and the ledger's counts keep
    their subject. The reason is in the audit event `person.erased`."""

    __tablename__ = "erasures"

    case_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[str] = mapped_column(String(64), index=True)
    erased_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    erased_by: Mapped[str] = mapped_column(String(128))
    ground: Mapped[str] = mapped_column(String(16))
    """`request` (a supervisor's erasure) or `retention` (the schedule's)."""
