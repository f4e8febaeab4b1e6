from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from accord.db import Base
from accord.models.types import JSONDocument


class Family(Base):
    """A family moves together or not at all (S9); members share its id."""

    __tablename__ = "families"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)


class Person(Base):
    """One person's case record, in the exchange schema (DESIGN §7).

    Lists of structured facts (protection, fear claims, convictions, ...) are JSON documents:
    they are read whole by screening and never queried field by field in SQL.
    """

    __tablename__ = "people"

    case_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("families.id"), index=True)
    relationship: Mapped[str] = mapped_column(String(16))
    given_name: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(200))
    aliases: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    birth_date: Mapped[dt.date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    nationalities: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    languages: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    sender_status: Mapped[str] = mapped_column(String(8))
    removal_order_status: Mapped[str] = mapped_column(String(8), default="none")
    removal_order_date: Mapped[dt.date | None] = mapped_column(Date)
    protection: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument, default=list)
    fear_claims: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument, default=list)
    appeal_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    stay_of_removal: Mapped[bool] = mapped_column(Boolean, default=False)
    convictions: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument, default=list)
    detention_incidents: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument, default=list)
    vulnerabilities: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    age_disputed: Mapped[bool] = mapped_column(Boolean, default=False)
    medical_fit: Mapped[bool | None] = mapped_column(Boolean)
    health_needs: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    travel_document: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    counsel: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    consents: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    assessments: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument, default=list)
    content_hash: Mapped[str] = mapped_column(String(64))
    """Digest of the imported record: a re-import of the same record changes nothing."""
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
