"""What the benchmarks share: a throwaway PostgreSQL database, the server's version, a free
port, the machine's CPU model, and an adult alone eligible under the demo agreement."""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_ADMIN = os.environ.get(
    "ACCORD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@contextmanager
def fresh_database(prefix: str = "accord_bench") -> Iterator[str]:
    """A new, empty database on the PostgreSQL server, dropped afterwards whatever happens."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_ADMIN).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def postgres_version() -> str:
    engine = create_engine(POSTGRES_ADMIN)
    try:
        with engine.connect() as connection:
            version: str = connection.execute(text("select version()")).scalar_one()
    finally:
        engine.dispose()
    return version.split(" on ")[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def cpu_model() -> str:
    """`lscpu`'s Model name (the /proc/cpuinfo model name where lscpu is missing)."""
    try:
        shown = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in shown.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def single(number: int, *, prefix: str = "BENCH", digits: int = 4) -> dict[str, Any]:
    """An adult alone, eligible under the demo agreement (as in the workflow tests)."""
    key = f"{prefix}-{number:0{digits}d}"
    return {
        "case_id": key,
        "family_id": f"F-{key}",
        "relationship": "head",
        "given_name": "Ana",
        "family_name": "Example",
        "birth_date": "1990-04-02",
        "sex": "F",
        "nationalities": ["VE"],
        "languages": ["es"],
        "sender_status": "none",
        "removal_order": {"status": "final", "date": "2025-03-01"},
        "medical_fit": True,
    }
