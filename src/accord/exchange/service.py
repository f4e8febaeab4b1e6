"""The exchange as one deployment runs it: which side of each agreement we are, the inbox that
takes a sealed message (from HTTPS or a file), the outbox's delivery with retries, and the
files of a channel with no network between the parties."""

from __future__ import annotations

import datetime as dt
import logging
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accord.audit.service import Entry, record
from accord.db import unit_of_work
from accord.errors import InvalidInput, Problem
from accord.exchange import bodies, channel, keys, peers, receiver, sender
from accord.exchange.envelope import KINDS, Message, Refused
from accord.models import Agreement, ExchangeMessage, Peer

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

BACKOFF_FIRST = dt.timedelta(seconds=2)
BACKOFF_MOST = dt.timedelta(hours=1)


def appliers(own: keys.OwnKeys) -> Mapping[str, channel.Applier]:
    """Each kind routed to our side of the message's agreement: its sender's appliers when we
    send under it, its receiver's when we receive."""
    as_sender, as_receiver = sender.Sender(own).appliers(), receiver.Receiver(own).appliers()

    def route(kind: str) -> channel.Applier:
        def apply(session: Session, message: Message, body: bodies.Body, now: dt.datetime) -> str:
            agreement = session.get(Agreement, message.agreement)
            if agreement is None:
                raise Refused(f"agreement {message.agreement} is not in this deployment's registry")
            if agreement.sender_code == own.party and agreement.receiver_code == message.sender:
                side = as_sender
            elif agreement.receiver_code == own.party and agreement.sender_code == message.sender:
                side = as_receiver
            else:
                raise Refused(
                    f"agreement {message.agreement} is not between {message.sender} and {own.party}"
                )
            if kind not in side:
                role = "sender" if side is as_sender else "receiver"
                raise Refused(f"a {kind} message is not one the agreement's {role} receives")
            return side[kind](session, message, body, now)

        return apply

    return {kind: route(kind) for kind in KINDS}


def receive(
    sessions: sessionmaker[Session], own: keys.OwnKeys, token: str, now: dt.datetime
) -> channel.Received:
    """One sealed message into the inbox, in one transaction: applied (with the held ones it
    releases), held, a replay, or refused (only its audit event written)."""
    with unit_of_work(sessions) as session:
        return channel.receive(session, own, token.strip(), appliers(own), now)


def sync(sessions: sessionmaker[Session], own: keys.OwnKeys, now: dt.datetime) -> list[str]:
    """Queue what changed for every peer: the sender's pools and items, and each side's ledger
    statement when it changed since the last one sent."""
    with unit_of_work(sessions) as session:
        queued = sender.sync(session, own, now)
        for agreement in session.scalars(
            select(Agreement)
            .join(Peer, Peer.party == Agreement.sender_code)
            .where(Agreement.receiver_code == own.party)
        ):
            session.get(Peer, agreement.sender_code, with_for_update=True, populate_existing=True)
            sent = receiver.send_statement(session, own, agreement, now)
            if sent is not None:
                queued.append(sent)
        return queued


Post = Callable[[str, str], tuple[int, str]]
"""Delivers one sealed message to a peer's inbox URL: (status code, answer text); raises
`OSError` (or the HTTP client's transport error) when the peer cannot be reached."""


@dataclass(frozen=True)
class Delivery:
    delivered: int
    waiting: int
    errors: tuple[str, ...]


def backoff(attempts: int) -> dt.timedelta:
    """2 s, 4 s, 8 s … up to an hour between attempts."""
    wait: dt.timedelta = BACKOFF_FIRST * 2 ** max(attempts - 1, 0)
    return min(wait, BACKOFF_MOST)


def deliver(
    sessions: sessionmaker[Session], own: keys.OwnKeys, post: Post, now: dt.datetime
) -> Delivery:
    """Post every due message of the outbox to its peer's inbox, each channel in order: at least
    once (the inbox applies a message once, whatever the repeats), and a channel that fails
    waits, with its backoff, before its next message is tried."""
    with unit_of_work(sessions) as session:
        due = [(m.id, m.recipient, m.agreement_id) for m in channel.outbox(session, now)]
        urls = {p.party: p.url for p in session.scalars(select(Peer))}
    stopped: set[tuple[str, str]] = set()
    delivered, errors = 0, []
    for row_id, recipient, agreement in due:
        if (recipient, agreement) in stopped:
            continue
        url = urls.get(recipient)
        if not url:
            continue  # a peer reached by files only: `accord exchange export`
        with unit_of_work(sessions) as session:
            row = session.get(ExchangeMessage, row_id, with_for_update=True)
            if row is None or row.state != "queued":
                continue
            token = row.token or ""
        status, error = 0, None
        try:
            status, answer = post(inbox_url(url), token)
        except OSError as exc:
            error = f"could not reach {recipient}: {exc}"
        except Exception as exc:  # the HTTP client's transport errors
            error = f"could not reach {recipient}: {type(exc).__name__}: {exc}"
        else:
            if status == 422:
                # Refused by the peer's inbox: tried again with the backoff, like any failure
                # (the peer may not have registered our newest key yet).
                error = f"{row.message_id}: refused by {recipient}: {answer[:300]}"
            elif not 200 <= status < 300:
                error = f"{status}: {answer[:300]}"
        with unit_of_work(sessions) as session:
            row = session.get(ExchangeMessage, row_id, with_for_update=True)
            assert row is not None
            row.attempts += 1
            if status == 422 or error is None:
                record(
                    session,
                    f"{own.party} (exchange)",
                    Entry(
                        "exchange.refused_by_peer" if error else "exchange.delivered",
                        "exchange_message",
                        row.message_id,
                        {"to": recipient, "attempts": row.attempts, "status": status},
                    ),
                    at=now,
                )
            if error is None:
                row.state, row.last_error, row.done_at = "delivered", None, now
                delivered += 1
            else:  # still queued; `accord exchange status` shows why, and the channel waits
                row.last_error = answer[:2000] if status == 422 else error
                row.next_attempt_at = now + backoff(row.attempts)
                errors.append(error)
                stopped.add((recipient, agreement))
    with unit_of_work(sessions) as session:
        waiting = len(channel.outbox(session))
    return Delivery(delivered, waiting, tuple(errors))


def inbox_url(base: str) -> str:
    return base.rstrip("/") + "/api/v1/exchange/inbox"


# --- Files --------------------------------------------------------------------------------------

SUFFIX = ".accord-message"


def export_files(
    sessions: sessionmaker[Session], own: keys.OwnKeys, to: str, out: Path, now: dt.datetime
) -> list[Path]:
    """Write every message waiting for `to` as one file each (named so their order reads), and
    count them as delivered: the files are the channel now."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with unit_of_work(sessions) as session:
        peers.peer(session, to)
        for row in channel.outbox(session):
            if row.recipient != to:
                continue
            name = f"{row.sender}-{row.recipient}-{row.agreement_id}-{row.seq:06d}{SUFFIX}"
            path = out / name
            path.write_text((row.token or "") + "\n")
            row.state, row.done_at, row.attempts = "delivered", now, row.attempts + 1
            record(
                session,
                f"{own.party} (exchange)",
                Entry(
                    "exchange.exported",
                    "exchange_message",
                    row.message_id,
                    {"to": to, "file": name},
                ),
                at=now,
            )
            written.append(path)
    return written


def import_files(
    sessions: sessionmaker[Session], own: keys.OwnKeys, files: list[Path], now: dt.datetime
) -> list[tuple[Path, channel.Received]]:
    """Each file into the inbox, in the order given (a held one waits for its predecessor,
    whichever file brings it)."""
    results = []
    for path in files:
        try:
            token = path.read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(str(path), [Problem("file", f"cannot be read: {exc}")]) from None
        results.append((path, receive(sessions, own, token, now)))
    return results


def client(ca_bundle: Path | None = None) -> httpx.Client:
    """The HTTP client that posts to the peers: TLS verified (by the system's authorities, or
    the bundle given), 30 s to connect, send and answer, no redirect followed."""
    import httpx

    verify: ssl.SSLContext | bool = True
    if ca_bundle is not None:
        verify = ssl.create_default_context(cafile=str(ca_bundle))
    return httpx.Client(timeout=30.0, verify=verify, follow_redirects=False)


def https_post(http: httpx.Client) -> Post:
    """Posts one sealed message (a compact JWE) to an inbox, as `application/jose`."""

    def post(url: str, token: str) -> tuple[int, str]:
        answer = http.post(
            url, content=token.encode(), headers={"Content-Type": "application/jose"}
        )
        return answer.status_code, answer.text

    return post
