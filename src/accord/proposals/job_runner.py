"""Who runs the matcher's jobs (`accord.proposals.jobs`) in a server process.

- On PostgreSQL, a real job queue (procrastinate, its schema applied by migration 0013): a job
  is deferred in the database and whichever server's worker is free takes it, so a job outlives
  the request and the process that queued it, and two servers share the work.
- On the embedded SQLite, one worker thread in the server process; at start it takes the jobs
  still queued.

Either way a job that dies with its worker is reaped by its missing heartbeat and reported as
failed (`jobs.reap`), never left running.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

import procrastinate
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from accord.clock import Clock
from accord.db import unit_of_work
from accord.proposals import jobs
from accord.store import Store

log = logging.getLogger(__name__)

QUEUE = "matcher"
TASK = "accord.matcher_job"


def matcher_job(context: procrastinate.JobContext, job_id: int) -> None:
    """The queue's one task: run the matcher job (its row holds what was asked)."""
    extra = context.additional_context
    jobs.run(extra["store"].sessions, job_id, extra["clock"])


class JobRunner(Protocol):
    """Starts its worker with the first job this process queues, or at `resume` when jobs
    wait: a server that runs no job pays nothing for it. `resume` never holds the server's
    start: it reads the waiting jobs in a thread of its own (the database may not answer)."""

    async def resume(self) -> None: ...

    async def enqueue(self, job_id: int) -> None: ...

    async def stop(self) -> None: ...


RESUME_JOIN_WITHIN = 5.0
"""How long a stopping server waits for its start's read of the waiting jobs: the read's
connection must be back in the pool before the store closes it (a silent database is not
waited for longer: its connection never opened)."""


def _in_background(work: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=work, name="matcher-jobs-resume", daemon=True)
    thread.start()
    return thread


async def _finish(thread: threading.Thread | None) -> None:
    if thread is not None:
        await asyncio.to_thread(thread.join, RESUME_JOIN_WITHIN)


def _waiting(store: Store) -> list[int]:
    """The jobs waiting for a worker; none if the database cannot be read now (a server starts
    without its database, and /readyz says so: its worker then starts with the next job)."""
    try:
        with unit_of_work(store.sessions) as session:
            return jobs.queued(session)
    except SQLAlchemyError:
        log.warning("the jobs waiting could not be read at start", exc_info=True)
        return []


class ThreadRunner:
    """One worker thread in this process: the embedded SQLite's runner."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store, self.clock = store, clock
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="matcher-job")
        self.resuming: threading.Thread | None = None

    async def resume(self) -> None:
        def take_waiting() -> None:
            for job_id in _waiting(self.store):
                self.pool.submit(self._run, job_id)

        self.resuming = _in_background(take_waiting)

    async def enqueue(self, job_id: int) -> None:
        self.pool.submit(self._run, job_id)

    def _run(self, job_id: int) -> None:
        try:
            jobs.run(self.store.sessions, job_id, self.clock)
        except Exception:  # run writes every outcome it can; this is the database gone
            log.exception("job %s could not be run", job_id)

    async def stop(self) -> None:
        await _finish(self.resuming)
        await asyncio.to_thread(self.pool.shutdown, wait=True, cancel_futures=True)


def conninfo(database_url: str) -> str:
    """The libpq connection string of a SQLAlchemy PostgreSQL URL."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class QueueRunner:
    """A procrastinate worker in this process's event loop, on the deployment's PostgreSQL."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store, self.clock = store, clock
        self.app = procrastinate.App(
            connector=procrastinate.PsycopgConnector(
                conninfo=conninfo(store.settings.database_url),
                kwargs={"application_name": "accord-jobs"},
                min_size=1,
                max_size=3,
            )
        )
        self.app.task(name=TASK, queue=QUEUE, pass_context=True)(matcher_job)
        self.worker: asyncio.Task[None] | None = None
        self.starting = asyncio.Lock()
        self.resuming: threading.Thread | None = None

    async def resume(self) -> None:
        loop = asyncio.get_running_loop()

        def defer_waiting() -> None:
            # Deferred again: a server stopped between queueing a job and deferring it must
            # not leave it waiting for good (a job already taken is not run twice).
            for job_id in _waiting(self.store):
                deferred = asyncio.run_coroutine_threadsafe(self.enqueue(job_id), loop)
                try:
                    deferred.result()  # done before `stop` closes the queue
                except Exception:
                    log.exception("job %s could not be deferred again", job_id)

        self.resuming = _in_background(defer_waiting)

    async def _start(self) -> None:
        async with self.starting:
            if self.worker is not None:
                return
            await self.app.open_async()
            self.worker = asyncio.create_task(self._work())

    async def _work(self) -> None:
        await self.app.run_worker_async(
            queues=[QUEUE],
            name=jobs.worker_name(),
            concurrency=1,
            install_signal_handlers=False,
            delete_jobs="always",
            additional_context={"store": self.store, "clock": self.clock},
            fetch_job_polling_interval=1.0,
        )

    async def enqueue(self, job_id: int) -> None:
        await self._start()
        await self.app.configure_task(TASK).defer_async(job_id=job_id)

    async def stop(self) -> None:
        await _finish(self.resuming)
        if self.worker is None:
            return
        self.worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.worker
        await self.app.close_async()


def runner_for(store: Store, clock: Clock) -> JobRunner:
    if store.engine.dialect.name == "postgresql":
        return QueueRunner(store, clock)
    return ThreadRunner(store, clock)
