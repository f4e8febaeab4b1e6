"""Payments recorded against an agreement: what one party paid another under it, and when."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from accord.db import Base
from accord.models.types import UtcDateTime


class Payment(Base):
    """A payment under an agreement, as a supervisor of the sender recorded it: the day it was
    paid, the amount in its currency, who paid whom (party codes), and the payer's reference,
    which identifies it: the same reference recorded twice under one agreement is one payment."""

    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("agreement_id", "reference"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"), index=True)
    paid_on: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3))
    payer: Mapped[str] = mapped_column(String(16))
    """A party code: the agreement's sender unless the recorder said otherwise."""
    payee: Mapped[str] = mapped_column(String(16))
    """A party code: the agreement's receiver unless the recorder said otherwise."""
    reference: Mapped[str] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(128))
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
