"""Settings, read from the environment with the ACCORD_ prefix."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_database_url() -> str:
    """An embedded SQLite file in the working directory: no server needed to start."""
    return f"sqlite:///{Path('accord.db').resolve()}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ACCORD_", extra="ignore")

    database_url: str = Field(default_factory=default_database_url)
    auto_migrate: bool = True
    """Bring the schema to the newest revision before a command runs (off for managed servers)."""
    sql_echo: bool = False
    now: dt.datetime | None = None
    """ACCORD_NOW: stand the workflow's clock at this moment (UTC) instead of the system's."""
    threads: int = Field(default=8, ge=1, le=256)
    """ACCORD_THREADS: requests one server process works on at once, each with its own database
    connection. More threads than cores only queue on the interpreter: under load a few
    threads answer sooner than many."""
