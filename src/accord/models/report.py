"""Published transparency releases: what was published, and what it was computed from."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from accord.db import Base
from accord.models.types import UtcDateTime


class ReportRelease(Base):
    """One release: the published document (exactly as published, so it can be published again
    byte for byte) and, for the sender alone, every cell with its atoms and true value, which
    the next release's suppression is checked against (no difference of two releases may give
    back a suppressed count)."""

    __tablename__ = "report_releases"
    __table_args__ = (UniqueConstraint("period", "scope", "threshold"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(8))
    scope: Mapped[str] = mapped_column(String(64))
    threshold: Mapped[int] = mapped_column(Integer)
    document: Mapped[str] = mapped_column(Text)
    cells: Mapped[str] = mapped_column(Text)
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    published_by: Mapped[str] = mapped_column(String(128))
    published_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
