"""`/metrics`: what a server has answered and what the database holds, in the Prometheus text
format (docs/operations.md, "Watching it").

- Requests, counted by the route's name and the status answered, and their latency as a
  histogram by route name. A route's name, never its path: `items.get`, not
  `/api/v1/items/7`, so no id reaches the metrics and their number stays that of the routes
  (a request no route matched counts as `unmatched`).
- The ledger of each agreement, read from the database at each scrape (so every server tells
  the same): its rows by kind, the people present, the items by state; the matcher's jobs by
  state; and the failed sign-in attempts recorded, in all and within the rate limits' window.

Only clients in `ACCORD_METRICS_ALLOW` (networks, comma-separated; the loopback by default)
are answered; anyone else gets the 404 of a path that does not exist. A request that a proxy
forwarded (it names a client in `X-Forwarded-For`, `Forwarded` or `X-Real-IP`) is never
answered: a proxy on the same host would otherwise make every client of the internet a
loopback one. A scraper reaches each server process directly.

With `PROMETHEUS_MULTIPROC_DIR` set (before the process starts: prometheus-client reads it at
import), every process writes its counts to files there and a scrape of any of them reads the
whole directory: the workers of one `accord serve --workers N` add up. Otherwise each process
keeps its own counts, with the process's own metrics (CPU, memory, open files) beside them.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Annotated

from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from pydantic import Field, IPvAnyNetwork, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy import case, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accord.accounts.policy import ATTEMPT_WINDOW
from accord.clock import Clock
from accord.db import unit_of_work
from accord.models import LedgerEntry, LoginAttempt, MatcherJob, ProposalItem
from accord.web.state import state_of

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
DEFAULT_ALLOW = "127.0.0.1/32,::1/128"
UNMATCHED = "unmatched"
"""The route name of a request no route matched."""
FORWARDED = frozenset({b"x-forwarded-for", b"forwarded", b"x-real-ip"})
"""Headers by which a proxy names the client it forwards for."""
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
"""Seconds: the solver may take up to ACCORD_MAX_SOLVE_SECONDS (10 by default, at most 600)."""

log = logging.getLogger("accord.web")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class MetricsSettings(BaseSettings):
    """The one setting of the metrics, read from the environment as the others are."""

    model_config = SettingsConfigDict(env_prefix="ACCORD_", extra="ignore")

    metrics_allow: Annotated[list[IPvAnyNetwork], NoDecode] = Field(
        default_factory=lambda: [ipaddress.ip_network(n) for n in DEFAULT_ALLOW.split(",")]
    )
    """ACCORD_METRICS_ALLOW: the clients `/metrics` answers, as addresses or networks (CIDR),
    comma-separated; 127.0.0.1/32,::1/128 by default. Anyone else is answered 404."""

    @field_validator("metrics_allow", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value


def multiprocess() -> bool:
    """Whether the processes share their counts through PROMETHEUS_MULTIPROC_DIR."""
    return bool(os.environ.get(MULTIPROCESS_DIR))


class Instruments:
    """One application's request counter and latency histogram, in its own registry (each
    application its own: tests build many in one process)."""

    def __init__(self, allow: Sequence[Network]) -> None:
        self.allow = tuple(allow)
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "accord_http_requests",
            "HTTP requests answered, by route name and status code.",
            ["route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "accord_http_request_duration_seconds",
            "Time from a request's arrival to the end of its answer, by route name.",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        if not multiprocess():
            ProcessCollector(registry=self.registry)
            PlatformCollector(registry=self.registry)

    def observe(self, route: str, status: int, seconds: float) -> None:
        self.requests.labels(route, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def may_scrape(self, scope: Scope) -> bool:
        """A client of the allowed networks, asking directly (not through a proxy)."""
        if any(name in FORWARDED for name, _ in scope.get("headers", ())):
            return False
        client = scope.get("client")
        if not client:
            return False
        try:
            address = ipaddress.ip_address(client[0])
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # an IPv4 client of a dual-stack socket
        return any(address in network for network in self.allow)

    def scrape(self, sessions: sessionmaker[Session], clock: Clock) -> bytes:
        """The text a scrape reads: the requests (this process's, or every process's in the
        multiprocess directory) and the database's counts."""
        if multiprocess():
            requests = CollectorRegistry()
            MultiProcessCollector(requests)  # type: ignore[no-untyped-call]
        else:
            requests = self.registry
        return generate_latest(Together(requests, Database(sessions, clock)))


class Together(Collector):
    """Several collectors as one exposition."""

    def __init__(self, *parts: Collector) -> None:
        self.parts = parts

    def collect(self) -> Iterable[Metric]:
        for part in self.parts:
            yield from part.collect()


class Database(Collector):
    """The counts of the database, read at each scrape: the same from every server."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "accord_metrics_database_up", "Whether this scrape could read the database (1 or 0)."
        )
        try:
            with unit_of_work(self.sessions) as session:
                families = list(_database_families(session, self.clock.now()))
        except SQLAlchemyError as exc:
            log.warning('{"event": "metrics.database", "error": "%s"}', type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families


def _database_families(session: Session, now: dt.datetime) -> Iterator[Metric]:
    rows = GaugeMetricFamily(
        "accord_ledger_rows",
        "Rows of an agreement's quota ledger, by kind (reserve, consume, release, depart).",
        labels=["agreement", "kind"],
    )
    persons = GaugeMetricFamily(
        "accord_ledger_persons",
        "People an agreement's quota ledger rows count, by kind.",
        labels=["agreement", "kind"],
    )
    present: dict[str, int] = {}
    ledger = session.execute(
        select(
            LedgerEntry.agreement_id,
            LedgerEntry.kind,
            func.count(),
            func.coalesce(func.sum(LedgerEntry.persons), 0),
        )
        .group_by(LedgerEntry.agreement_id, LedgerEntry.kind)
        .order_by(LedgerEntry.agreement_id, LedgerEntry.kind)
    ).all()
    for agreement, kind, count, people in ledger:
        rows.add_metric([agreement, kind], count)
        persons.add_metric([agreement, kind], people)
        sign = {"consume": 1, "depart": -1}.get(kind, 0)
        present[agreement] = present.get(agreement, 0) + sign * int(people)
    yield rows
    yield persons
    here = GaugeMetricFamily(
        "accord_people_present",
        "People who arrived under an agreement and have not left (its ledger's consumed less"
        " departed).",
        labels=["agreement"],
    )
    for agreement, count in sorted(present.items()):
        here.add_metric([agreement], count)
    yield here
    items = GaugeMetricFamily(
        "accord_items",
        "Items (families in pools) of an agreement, by state.",
        labels=["agreement", "state"],
    )
    for agreement, state, count in session.execute(
        select(ProposalItem.agreement_id, ProposalItem.state, func.count())
        .group_by(ProposalItem.agreement_id, ProposalItem.state)
        .order_by(ProposalItem.agreement_id, ProposalItem.state)
    ):
        items.add_metric([agreement, state], count)
    yield items
    jobs = GaugeMetricFamily(
        "accord_matcher_jobs",
        "Matcher runs done as jobs, by state (queued, running, done, failed).",
        labels=["state"],
    )
    query = select(MatcherJob.state, func.count()).group_by(MatcherJob.state)
    counted: dict[str, int] = {state: count for state, count in session.execute(query)}
    for state in ("queued", "running", "done", "failed"):
        jobs.add_metric([state], counted.get(state, 0))
    yield jobs
    failed = LoginAttempt.succeeded.is_(False)
    every, recent = session.execute(
        select(
            func.count(),
            func.count(case((LoginAttempt.at > now - ATTEMPT_WINDOW, 1))),
        ).where(failed)
    ).one()
    yield GaugeMetricFamily(
        "accord_failed_sign_ins",
        "Failed sign-in attempts recorded (every server's, every account's).",
        value=every,
    )
    yield GaugeMetricFamily(
        "accord_failed_sign_ins_recent",
        f"Failed sign-in attempts within the sign-in limits' window"
        f" (the last {int(ATTEMPT_WINDOW.total_seconds() // 60)} minutes).",
        value=recent,
    )


class RequestMetrics:
    """ASGI middleware: each HTTP request counted by its route's name and status, and timed."""

    def __init__(self, app: ASGIApp, *, instruments: Instruments) -> None:
        self.app = app
        self.instruments = instruments

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def noting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting)
        finally:
            route = getattr(scope.get("route"), "name", None) or UNMATCHED
            try:
                self.instruments.observe(route, status, time.perf_counter() - started)
            except Exception as exc:  # a count not kept must not fail the request
                log.warning('{"event": "metrics.observe", "error": "%s"}', type(exc).__name__)


router = APIRouter()


@router.get("/metrics", name="metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    instruments: Instruments = request.app.state.metrics
    if not instruments.may_scrape(request.scope):
        raise HTTPException(404)  # as a path that does not exist
    state = state_of(request)
    body = instruments.scrape(state.store.sessions, state.clock)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def install(app: FastAPI, *, allow: Sequence[Network] | None = None) -> None:
    """Count and time every request (outside every other middleware, so that what they answer
    counts too), and serve `/metrics` to the allowed networks (`ACCORD_METRICS_ALLOW` unless
    given)."""
    if multiprocess() and not os.path.isdir(os.environ[MULTIPROCESS_DIR]):
        raise ValueError(
            f"{MULTIPROCESS_DIR}={os.environ[MULTIPROCESS_DIR]} is not a directory:"
            " make it (empty) before the server starts, or unset it"
        )
    networks = allow if allow is not None else MetricsSettings().metrics_allow
    instruments = Instruments(networks)
    app.state.metrics = instruments
    app.add_middleware(RequestMetrics, instruments=instruments)
    app.include_router(router)
