"""Opening the store for a command: settings, engine, migrations, sessions."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import make_engine, make_session_factory, upgrade_if_behind


@dataclass(frozen=True)
class Store:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]

    def close(self) -> None:
        self.engine.dispose()


def open_store(settings: Settings) -> Store:
    engine = make_engine(settings)
    if settings.auto_migrate:
        upgrade_if_behind(engine)
    return Store(settings, engine, make_session_factory(engine))
