"""Two deployments in one test: the sender's (US) on the test's database, the receiver's (XK) on
a SQLite file of its own, each with its own keys and the other registered as its peer, and the
same agreement in both registries."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from accord.clock import SetClock
from accord.config import Settings
from accord.db import unit_of_work
from accord.exchange import channel, keys, peers, service
from accord.store import Store, open_store
from tests.proposals.support import START, load_agreement

SENDER, RECEIVER = "US", "XK"


@dataclass
class Side:
    store: Store
    own: keys.OwnKeys
    keys_file: Path

    def receive(self, token: str, clock: SetClock) -> channel.Received:
        return service.receive(self.store.sessions, self.own, token, clock.now())

    def sync(self, clock: SetClock) -> list[str]:
        return service.sync(self.store.sessions, self.own, clock.now())

    def outbox(self) -> list[str]:
        """The sealed messages waiting, in order, taken as delivered (a hand-carried channel)."""
        with unit_of_work(self.store.sessions) as session:
            rows = channel.outbox(session)
            for row in rows:
                row.state = "delivered"
            return [row.token or "" for row in rows]


@dataclass
class Pair:
    sender: Side
    receiver: Side
    clock: SetClock

    def carry(self, source: Side, target: Side) -> list[channel.Received]:
        """Every message waiting at `source`, received by `target` in order."""
        source.sync(self.clock)
        return [target.receive(token, self.clock) for token in source.outbox()]

    def to_receiver(self) -> list[channel.Received]:
        return self.carry(self.sender, self.receiver)

    def to_sender(self) -> list[channel.Received]:
        return self.carry(self.receiver, self.sender)


def make_keys(tmp: Path, party: str, clock: SetClock) -> tuple[keys.OwnKeys, Path]:
    path = tmp / f"{party.lower()}-keys.json"
    return keys.init(path, party, clock.now()), path


def register(
    side: Side, other: keys.OwnKeys, tmp: Path, clock: SetClock, url: str | None = None
) -> None:
    """`side` registers `other`'s public keys, as `accord peers add` does."""
    path = tmp / f"{other.party.lower()}-{len(list(tmp.iterdir()))}.jwks.json"
    path.write_text(json.dumps(other.public_set()))
    with unit_of_work(side.store.sessions) as session:
        peers.add(session, other.party, path, url, "ada", clock.now())


def pair(sender_store: Store, tmp: Path, sqlite_template: Path) -> Pair:
    """The sender on `sender_store`, the receiver on a new SQLite file, the agreement in both."""
    clock = SetClock.on(START)
    shutil.copyfile(sqlite_template, tmp / "receiver.db")
    receiver_store = open_store(Settings(database_url=f"sqlite:///{tmp / 'receiver.db'}"))
    load_agreement(sender_store)
    load_agreement(receiver_store)
    us, us_path = make_keys(tmp, SENDER, clock)
    xk, xk_path = make_keys(tmp, RECEIVER, clock)
    sender, receiver = Side(sender_store, us, us_path), Side(receiver_store, xk, xk_path)
    register(sender, xk, tmp, clock)
    register(receiver, us, tmp, clock)
    return Pair(sender, receiver, clock)


def day(clock: SetClock) -> dt.date:
    return clock.now().date()
