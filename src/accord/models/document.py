"""Notice templates: the exact text of each language and version, and who approved it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from accord.db import Base
from accord.models.types import UtcDateTime


class NoticeTemplateRecord(Base):
    """A notice template as loaded: its file's text (kept, so a notice served with it can be
    typeset again), and its status. Approval is a named person's act, recorded here and
    audited; a template is never approved by being loaded, but a shipped English source."""

    __tablename__ = "notice_templates"
    __table_args__ = (UniqueConstraint("language", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    language: Mapped[str] = mapped_column(String(8))
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(8))
    loaded_by: Mapped[str] = mapped_column(String(128))
    loaded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(128))
    approved_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    approval_note: Mapped[str | None] = mapped_column(Text)
