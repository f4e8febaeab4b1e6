from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accord.db import Base
from accord.models.types import JSONDocument


class Agreement(Base):
    """A transfer agreement between a sender and a receiver, as reported or signed."""

    __tablename__ = "agreements"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sender_code: Mapped[str] = mapped_column(ForeignKey("parties.code"))
    receiver_code: Mapped[str] = mapped_column(ForeignKey("parties.code"))
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(String(300))
    term_start: Mapped[dt.date | None] = mapped_column(Date)
    term_end: Mapped[dt.date | None] = mapped_column(Date)
    term_note: Mapped[str | None] = mapped_column(Text)
    term_source: Mapped[str | None] = mapped_column(String(64))
    scope_mode: Mapped[str | None] = mapped_column(String(8))
    """`include` or `exclude`; no mode means everyone is in scope."""
    scope_countries: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    onward_return: Mapped[bool] = mapped_column(Boolean, default=False)
    no_onward_removal: Mapped[bool] = mapped_column(Boolean, default=False)
    return_clause: Mapped[bool] = mapped_column(Boolean, default=False)
    admission: Mapped[bool] = mapped_column(Boolean, default=False)
    asylum_access: Mapped[bool] = mapped_column(Boolean, default=False)
    monitor_access: Mapped[bool] = mapped_column(Boolean, default=False)
    complaints_route: Mapped[bool] = mapped_column(Boolean, default=False)
    safety_assessment_date: Mapped[dt.date | None] = mapped_column(Date)
    instrument_source: Mapped[str | None] = mapped_column(String(64))
    selection_mode: Mapped[str] = mapped_column(String(16), default="pool")
    pool_factor: Mapped[Decimal] = mapped_column(Numeric(6, 3), default=Decimal("1.0"))
    reason_required: Mapped[bool] = mapped_column(Boolean, default=True)
    money_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    money_currency: Mapped[str | None] = mapped_column(String(3))
    money_source: Mapped[str | None] = mapped_column(String(64))
    money_note: Mapped[str | None] = mapped_column(Text)
    notice_days: Mapped[int] = mapped_column(Integer, default=10)
    assurances: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument, default=list)
    monitors: Mapped[list[str]] = mapped_column(JSONDocument, default=list)

    caps: Mapped[list[AgreementCap]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan", order_by="AgreementCap.position"
    )
    criteria: Mapped[list[AgreementCriterion]] = relationship(
        back_populates="agreement",
        cascade="all, delete-orphan",
        order_by="AgreementCriterion.position",
    )
    status_events: Mapped[list[StatusEvent]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan", order_by="StatusEvent.position"
    )
    sources: Mapped[list[Source]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan", order_by="Source.key"
    )


class AgreementCap(Base):
    """A cap as reported: the limit may be unknown (None) or only a lower bound."""

    __tablename__ = "agreement_caps"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    limit: Mapped[int | None] = mapped_column(Integer)
    lower_bound: Mapped[bool] = mapped_column(Boolean, default=False)
    period: Mapped[str | None] = mapped_column(String(16))
    anchor: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    source_key: Mapped[str | None] = mapped_column(String(64))

    agreement: Mapped[Agreement] = relationship(back_populates="caps")


class AgreementCriterion(Base):
    """One of the receiver's selection rules: an id, the human text and its expression."""

    __tablename__ = "agreement_criteria"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    rule_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    expr: Mapped[str] = mapped_column(Text)
    source_key: Mapped[str | None] = mapped_column(String(64))

    agreement: Mapped[Agreement] = relationship(back_populates="criteria")


class StatusEvent(Base):
    """A dated move in the agreement's lifecycle, with the source that reported it."""

    __tablename__ = "agreement_status_events"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    date: Mapped[dt.date] = mapped_column(Date)
    date_precision: Mapped[str] = mapped_column(String(8), default="day")
    source_key: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)

    agreement: Mapped[Agreement] = relationship(back_populates="status_events")


class Source(Base):
    """A public source for reported facts: who said what, when."""

    __tablename__ = "agreement_sources"

    agreement_id: Mapped[str] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    publisher: Mapped[str] = mapped_column(String(200))
    date: Mapped[dt.date | None] = mapped_column(Date)
    date_precision: Mapped[str] = mapped_column(String(8), default="day")
    statement: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500))

    agreement: Mapped[Agreement] = relationship(back_populates="sources")
