"""Settings, read from the environment with the ACCORD_ prefix."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

from pydantic import Field, IPvAnyNetwork, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

MOST_SOLVE_SECONDS = 600.0
"""The highest ACCORD_MAX_SOLVE_SECONDS a deployment may set."""


def default_database_url() -> str:
    """An embedded SQLite file in the working directory: no server needed to start."""
    return f"sqlite:///{Path('accord.db').resolve()}"


def default_keys_file() -> Path:
    """Where this deployment's exchange keys live unless ACCORD_KEYS_FILE says."""
    return Path("~/.config/accord/keys.json").expanduser()


def default_token_file() -> Path:
    """Where `accord login` keeps the command line's token: the user's own configuration."""
    return Path("~/.config/accord/token").expanduser()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ACCORD_", extra="ignore")

    database_url: str = Field(default_factory=default_database_url)
    auto_migrate: bool = True
    """Bring the schema to the newest revision before a command runs (off for managed servers)."""
    sql_echo: bool = False
    now: dt.datetime | None = None
    """ACCORD_NOW: stand the workflow's clock at this moment (UTC) instead of the system's."""
    token: SecretStr | None = None
    """ACCORD_TOKEN: the API token the command line acts with (an admin issues one with
    `accord users token issue`); when set, the token file is not read."""
    token_file: Path = Field(default_factory=default_token_file)
    """ACCORD_TOKEN_FILE: where `accord login` writes its token and every command reads it,
    a file only its owner may read (default ~/.config/accord/token)."""
    keys_file: Path = Field(default_factory=default_keys_file)
    """ACCORD_KEYS_FILE: this deployment's own signing and encryption keys for the exchange
    with its peers (`accord keys init`): a file only its owner may read, never the database."""
    threads: int = Field(default=8, ge=1, le=256)
    """ACCORD_THREADS: requests one server process works on at once, each with its own database
    connection. More threads than cores only queue on the interpreter: under load a few
    threads answer sooner than many."""
    trusted_proxies: Annotated[list[IPvAnyNetwork], NoDecode] = Field(default_factory=list)
    """ACCORD_TRUSTED_PROXIES: the deployment's own reverse proxies, as addresses or networks
    (CIDR), comma-separated. Only a request from one of them may name its client in
    X-Forwarded-For (and its scheme in X-Forwarded-Proto); from anyone else those headers are
    ignored and the peer is the client. None by default."""
    report_threshold: int = Field(default=5, ge=5, le=1000)
    """ACCORD_REPORT_THRESHOLD: counts from 1 to one less than this are never published in a
    transparency report (and what would give them back is suppressed too); 5 by default, and
    never lower."""
    max_import_bytes: int = Field(default=256 * 1024 * 1024, ge=1)
    """ACCORD_MAX_IMPORT_BYTES: the largest people file `accord people import` reads (256 MiB by
    default, about half a million people); a larger one is refused before it is read."""
    max_solve_seconds: float = Field(default=10, gt=0, le=MOST_SOLVE_SECONDS)
    """ACCORD_MAX_SOLVE_SECONDS: the most solver time one request may ask for (and what it gets
    when it asks for none): each second holds one of the server's threads."""

    job_above_pairs: int = Field(default=10_000, ge=0)
    """ACCORD_JOB_ABOVE_PAIRS: a matcher run over at least this many eligible (person,
    agreement) pairs is done as a job, never inside the request that asked for it (half a
    second to a few seconds of work on a 2-core machine, more with many agreements:
    docs/benchmarks.md, "Matcher jobs"); 0 makes every run a job."""
    exchange_every: float = Field(default=5, ge=0, le=3600)
    """ACCORD_EXCHANGE_EVERY: seconds between the server's exchange rounds (queue what changed
    for the peers, post the outbox: docs/exchange.md); 0 turns the loop off, leaving it to
    `accord exchange sync` and `deliver`. A deployment without keys runs no loop."""
    exchange_ca_bundle: Path | None = None
    """ACCORD_EXCHANGE_CA_BUNDLE: the authorities the peers' TLS certificates are verified
    against, when not the system's (a private PKI between the parties)."""
    retention_case_years: int = Field(default=6, ge=1, le=100)
    """ACCORD_RETENTION_CASE_YEARS: a person whose items have all ended is erased by `accord
    retention run` this many years after the last thing recorded on their record or items
    (6 by default). See docs/operations.md, "Retention and erasure"."""
    retention_sign_in_days: int = Field(default=90, ge=1, le=3650)
    """ACCORD_RETENTION_SIGN_IN_DAYS: sign-in attempts, the names typed and addresses the audit
    log holds for them, and expired sessions go after this many days (90 by default)."""
    retention_replay_days: int = Field(default=30, ge=1, le=3650)
    """ACCORD_RETENTION_REPLAY_DAYS: the answers kept for retried requests (Idempotency-Key)
    go after this many days: a retry after that is a new request (30 by default)."""

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value
