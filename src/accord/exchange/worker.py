"""The server's exchange loop: every ACCORD_EXCHANGE_EVERY seconds, queue what changed for the
peers (`service.sync`) and post the outbox (`service.deliver`). Runs only on a deployment with
keys and peers; a peer that is down is retried with its backoff, whatever the loop's pace."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from sqlalchemy import select

from accord.clock import Clock, SystemClock
from accord.db import unit_of_work
from accord.exchange import keys, service
from accord.models import Peer
from accord.store import Store

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)


class ExchangeLoop:
    def __init__(self, store: Store, clock: Clock, every: float) -> None:
        self.store, self.clock, self.every = store, clock, every
        self.stopping = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.http: httpx.Client | None = None

    def start(self) -> None:
        keys_file = self.store.settings.keys_file
        if self.every > 0 and keys_file.exists():
            self.task = asyncio.create_task(self._run(), name="accord-exchange")

    async def _run(self) -> None:
        while not self.stopping.is_set():
            # A round is never cancelled halfway: `stop` waits for it (its connections go back
            # to the pool before the store closes).
            await asyncio.shield(asyncio.to_thread(self.round))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), self.every)

    def round(self) -> None:
        try:
            with unit_of_work(self.store.sessions) as session:
                if session.scalars(select(Peer.party).limit(1)).first() is None:
                    return
            own = keys.load(self.store.settings.keys_file)
            service.sync(self.store.sessions, own, self.clock.now())
            if self.http is None:
                self.http = service.client(self.store.settings.exchange_ca_bundle)
            post = service.https_post(self.http)
            done = service.deliver(self.store.sessions, own, post, SystemClock().now())
            for error in done.errors:
                log.warning("exchange delivery: %s", error)
        except Exception:
            log.exception("the exchange round failed; the next one tries again")

    async def stop(self) -> None:
        self.stopping.set()
        if self.task is not None:
            await self.task
        if self.http is not None:
            self.http.close()
