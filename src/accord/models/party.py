from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from accord.db import Base


class Party(Base):
    """A state (ISO 3166-1 alpha-2 code, XK for Kosovo) or an organisation such as a monitor."""

    __tablename__ = "parties"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="state")
