"""Long matcher runs as jobs: no request waits on a solve that takes seconds.

A person asks for the builder's pool (`submit`); the job is queued and a worker runs it
(`run`: `accord.proposals.job_runner` decides which worker). While it runs, the job records
its curve (the best plan and the proven bound over time) and a heartbeat; when it ends it holds
the answer, audited like any matcher run (`proposal.computed`), or what went wrong. A job
whose worker died (killed, or its server went down) stops beating: `reap` marks it failed, so
it is reported, never silently lost. Nothing of a failed run is stored.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from accord.access import Actor
from accord.agreements.service import stored_agreement
from accord.audit.service import Entry, record
from accord.clock import Clock, today
from accord.db import unit_of_work
from accord.errors import AccordError, Conflict, NotFound
from accord.matching.proposal import Balance, Proposal
from accord.models import MatcherJob
from accord.proposals.pools import (
    MatcherInput,
    match,
    matcher_input,
    record_computed,
    record_pins,
    store_pools,
)
from accord.queries import affected

log = logging.getLogger(__name__)

PREVIEW = "preview"
PROPOSE = "propose"
HEARTBEAT_SECONDS = 2.0
"""How often a running job says it is alive."""
STALE_AFTER = dt.timedelta(seconds=20)
"""A running job silent this long has lost its worker."""
PROGRESS_SECONDS = 0.25
"""The least time between two points of a job's curve."""
STATES = ("queued", "running", "done", "failed")


@dataclass(frozen=True, slots=True)
class PreviewAsk:
    """What the matcher is asked: the pools for these agreements today, with the pins (family,
    agreement, reason) and the balance asked for."""

    agreement_ids: tuple[str, ...]
    pinned_in: tuple[tuple[str, str, str], ...] = ()
    pinned_out: tuple[tuple[str, str, str], ...] = ()
    max_share: float = 1.0
    pace: bool = False
    time_limit: float = 10.0
    store: bool = False
    """Store the pools it finds through the workflow and send them (a proposal), or only show
    them (a preview)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "agreement_ids": list(self.agreement_ids),
            "pinned_in": [list(pin) for pin in self.pinned_in],
            "pinned_out": [list(pin) for pin in self.pinned_out],
            "max_share": self.max_share,
            "pace": self.pace,
            "time_limit": self.time_limit,
            "store": self.store,
        }

    @classmethod
    def of(cls, data: dict[str, Any]) -> PreviewAsk:
        def pins(key: str) -> tuple[tuple[str, str, str], ...]:
            return tuple((str(f), str(a), str(r)) for f, a, r in data.get(key, []))

        return cls(
            agreement_ids=tuple(str(a) for a in data["agreement_ids"]),
            pinned_in=pins("pinned_in"),
            pinned_out=pins("pinned_out"),
            max_share=float(data.get("max_share", 1.0)),
            pace=bool(data.get("pace", False)),
            time_limit=float(data.get("time_limit", 10.0)),
            store=bool(data.get("store", False)),
        )


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def submit(session: Session, ask: PreviewAsk, actor: Actor, clock: Clock) -> MatcherJob:
    """Queue the run (the caller has checked the actor may ask it); audited as
    `matcher.job_queued`."""
    now = clock.now()
    job = MatcherJob(
        kind=PROPOSE if ask.store else PREVIEW,
        params=ask.to_json(),
        requested_by=actor.name,
        requested_role=actor.role,
        requested_party=actor.party,
        state="queued",
        progress=[],
        created_at=now,
    )
    session.add(job)
    session.flush()
    record(
        session,
        actor.name,
        Entry(
            "matcher.job_queued", "matcher_job", str(job.id), {"kind": job.kind, **ask.to_json()}
        ),
        at=now,
    )
    return job


def preview_result(proposal: Proposal) -> dict[str, Any]:
    """The answer as its reader reads it: DESIGN §7's proposal format, each family marked if a
    person pinned it, with the certified gap and why an agreement got no pool."""
    document = proposal.to_json()
    pinned = {
        (f.family_id, pool.agreement_id)
        for pool in proposal.pools
        for f in pool.families
        if f.pinned
    }
    for pool in document["agreements"]:
        for family in pool["families"]:
            family["pinned"] = (family["family_id"], pool["agreement_id"]) in pinned
    return {
        **document,
        "gap": proposal.solution.gap,
        "status": proposal.solution.status,
        "skipped": [{"agreement_id": s.agreement_id, "note": s.note} for s in proposal.skipped],
    }


def _claim(sessions: sessionmaker[Session], job_id: int, clock: Clock) -> MatcherJob | None:
    """Take a queued job for this worker; None if another took it or it ended."""
    with unit_of_work(sessions) as session:
        now = clock.now()
        taken = affected(
            session,
            update(MatcherJob)
            .where(MatcherJob.id == job_id, MatcherJob.state == "queued")
            .values(state="running", started_at=now, heartbeat_at=now, worker=worker_name()),
        )
        if not taken:
            return None
        job = session.get(MatcherJob, job_id)
        assert job is not None
        session.expunge(job)
        return job


def _finish(sessions: sessionmaker[Session], job_id: int, clock: Clock, **values: Any) -> None:
    with unit_of_work(sessions) as session:
        session.execute(
            update(MatcherJob)
            .where(MatcherJob.id == job_id, MatcherJob.state == "running")
            .values(finished_at=clock.now(), **values)
        )


class _Beat:
    """The job's heartbeat and curve, written in their own short transactions while the solve
    runs outside any (the solve's thread never waits on the database)."""

    def __init__(self, sessions: sessionmaker[Session], job_id: int, clock: Clock) -> None:
        self.sessions, self.job_id, self.clock = sessions, job_id, clock
        self.started = time.monotonic()
        self.points: list[dict[str, float | None]] = []
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"job-{job_id}-beat", daemon=True)

    def heard(self, best: float, bound: float) -> None:
        """The solver's news: kept, and written at most every PROGRESS_SECONDS."""
        at = time.monotonic() - self.started
        gap = (bound - best) / max(abs(bound), 1e-9) if bound < float("inf") else None
        point = {"t": round(at, 3), "best": best, "bound": bound, "gap": gap}
        with self.lock:
            if self.points and at - (self.points[-1]["t"] or 0.0) < PROGRESS_SECONDS:
                self.points[-1] = point
            else:
                self.points.append(point)

    def _write(self) -> None:
        with self.lock:
            points = list(self.points)
        with unit_of_work(self.sessions) as session:
            session.execute(
                update(MatcherJob)
                .where(MatcherJob.id == self.job_id, MatcherJob.state == "running")
                .values(heartbeat_at=self.clock.now(), progress=points)
            )

    def _beat(self) -> None:
        while not self.stopped.wait(HEARTBEAT_SECONDS):
            try:
                self._write()
            except Exception:  # a missed beat is retried; reaping waits several
                log.warning("job %s: heartbeat not written", self.job_id, exc_info=True)

    def __enter__(self) -> _Beat:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopped.set()
        self.thread.join()


def run(
    sessions: sessionmaker[Session],
    job_id: int,
    clock: Clock,
    *,
    on_point: Callable[[float, float], None] | None = None,
) -> str:
    """Run the job if it is still queued; returns its state after. Every outcome is written:
    `done` with the answer (audited as the matcher run it is), or `failed` with why."""
    job = _claim(sessions, job_id, clock)
    if job is None:
        return "taken"
    ask = PreviewAsk.of(job.params)
    actor = Actor(job.requested_by, job.requested_role, job.requested_party)  # type: ignore[arg-type]
    try:
        with unit_of_work(sessions) as session:
            agreements = [stored_agreement(session, a) for a in ask.agreement_ids]
            given = matcher_input(session, agreements, today(clock))
        with _Beat(sessions, job_id, clock) as beat:

            def heard(best: float, bound: float) -> None:
                beat.heard(best, bound)
                if on_point is not None:
                    on_point(best, bound)

            proposal = match(
                given,
                pinned_in=[(f, a) for f, a, _ in ask.pinned_in],
                pinned_out=[(f, a) for f, a, _ in ask.pinned_out],
                balance=Balance(ask.max_share, ask.pace),
                time_limit=ask.time_limit,
                progress=heard,
            )
            heard(proposal.objective, proposal.solution.bound)
        result = preview_result(proposal)
        with unit_of_work(sessions) as session:
            if ask.store:
                result["pools"] = _stored(session, proposal, given, ask, actor, clock)
            else:
                record_computed(session, actor.name, proposal, given.day)
            ended = affected(
                session,
                update(MatcherJob)
                .where(MatcherJob.id == job_id, MatcherJob.state == "running")
                .values(
                    state="done",
                    progress=beat.points,
                    result=result,
                    finished_at=clock.now(),
                    heartbeat_at=clock.now(),
                ),
            )
            if not ended:  # reaped meanwhile: store nothing after all
                raise Conflict(f"job {job_id} was reported failed while it ran; nothing stored")
        return "done"
    except AccordError as refused:
        _finish(sessions, job_id, clock, state="failed", error=refused.detail)
    except Exception as crashed:
        log.exception("job %s failed", job_id)
        _finish(
            sessions,
            job_id,
            clock,
            state="failed",
            error=f"the run failed ({type(crashed).__name__}): nothing was stored; run it again",
        )
    return "failed"


def _stored(
    session: Session,
    proposal: Proposal,
    given: MatcherInput,
    ask: PreviewAsk,
    actor: Actor,
    clock: Clock,
) -> list[int]:
    """The pools found, stored through the workflow now (every family screened again on the
    day: a caseload that changed while the matcher ran refuses the pool, and the job fails
    with the reason), with the pins a person made and their reasons."""
    stored = store_pools(
        session, proposal, actor, clock, used=given.used, balance=Balance(ask.max_share, ask.pace)
    )
    if not stored:
        raise Conflict("no eligible family fits the pool limit today")
    for matched in stored:
        agreement_id = matched.proposal.agreement_id
        record_pins(
            session,
            actor.name,
            matched.proposal.id,
            [(f, r) for f, a, r in ask.pinned_in if a == agreement_id],
            [(f, r) for f, a, r in ask.pinned_out if a == agreement_id],
        )
    return [matched.proposal.id for matched in stored]


def reap(session: Session, now: dt.datetime) -> list[int]:
    """Mark failed every running job whose worker stopped beating; audited as
    `matcher.job_failed`. Returns their ids."""
    stale = list(
        session.execute(
            select(MatcherJob).where(
                MatcherJob.state == "running", MatcherJob.heartbeat_at < now - STALE_AFTER
            )
        ).scalars()
    )
    for job in stale:
        job.state, job.finished_at = "failed", now
        job.error = (
            f"its worker ({job.worker}) stopped while it ran (killed, or its server went down):"
            " nothing of the run was stored; run it again"
        )
        record(
            session,
            "accord",
            Entry("matcher.job_failed", "matcher_job", str(job.id), {"worker": job.worker}),
            at=now,
        )
    session.flush()
    return [job.id for job in stale]


@dataclass(frozen=True, slots=True)
class JobView:
    id: int
    kind: str
    state: str
    requested_by: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    progress: list[dict[str, Any]]
    result: dict[str, Any] | None
    error: str | None
    ask: PreviewAsk


def job_view(session: Session, job_id: int, actor: Actor, now: dt.datetime) -> JobView:
    """One job as its requester reads it (anyone else: not found); a dead one is reaped first."""
    reap(session, now)
    job = session.get(MatcherJob, job_id)
    if job is None or (job.requested_by != actor.name and actor.role != "admin"):
        raise NotFound(f"no matcher job {job_id}")
    ask = PreviewAsk.of(job.params)
    return JobView(
        job.id,
        job.kind,
        job.state,
        job.requested_by,
        job.created_at,
        job.started_at,
        job.finished_at,
        list(job.progress or []),
        job.result,
        job.error,
        ask,
    )


def queued(session: Session) -> list[int]:
    """Jobs waiting for a worker, oldest first (a restarted in-process worker takes them)."""
    query = select(MatcherJob.id).where(MatcherJob.state == "queued").order_by(MatcherJob.id)
    return list(session.execute(query).scalars())
