"""The channels of the exchange: what we send goes out in order, sealed once, and waits in the
outbox until the peer took it; what we receive is opened, checked, and applied exactly once, in
sequence order, with a message whose predecessor has not arrived held until it does.

Every message sent, applied, held, replayed or refused is an audit event. A refused message
writes nothing else: it is opened and its body read before anything is written, and its
application runs in a savepoint that a refusal rolls back whole.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from accord.audit.service import Entry, record
from accord.exchange import bodies, peers
from accord.exchange.envelope import GENESIS, Kind, Message, Refused, admit, open_signed, seal
from accord.exchange.keys import OwnKeys
from accord.models import ExchangeMessage, Peer

Applier = Callable[[Session, Message, bodies.Body, dt.datetime], str]
"""Applies one opened message and says what it did, in a line; raises `Refused` to refuse it
whole (nothing it wrote stays)."""

Outcome = Literal["applied", "held", "replay", "refused"]


@dataclass(frozen=True)
class Received:
    message_id: str | None
    kind: str | None
    outcome: Outcome
    detail: str
    applied: tuple[str, ...] = ()
    """The held messages this one released, applied after it."""


def _actor(party: str) -> str:
    return f"{party} (exchange)"


def send(
    session: Session,
    own: OwnKeys,
    kind: Kind,
    recipient: str,
    agreement: str,
    body: bodies.Body,
    now: dt.datetime,
) -> ExchangeMessage:
    """Queue one message on its channel: numbered after the last, naming its hash, sealed to the
    recipient's newest key. The peer row is locked, so two writers never take one number."""
    session.get(Peer, recipient, with_for_update=True) or peers.peer(session, recipient)
    last = session.scalars(
        select(ExchangeMessage)
        .where(
            ExchangeMessage.direction == "out",
            ExchangeMessage.recipient == recipient,
            ExchangeMessage.agreement_id == agreement,
        )
        .order_by(ExchangeMessage.seq.desc())
        .limit(1)
    ).first()
    message = Message(
        kind=kind,
        sender=own.party,
        recipient=recipient,
        agreement=agreement,
        seq=(last.seq + 1) if last else 1,
        prev=last.digest if last else GENESIS,
        body=bodies.written(body),
        sent_at=now,
    )
    row = ExchangeMessage(
        direction="out",
        message_id=message.id,
        kind=kind,
        sender=own.party,
        recipient=recipient,
        agreement_id=agreement,
        seq=message.seq,
        prev=message.prev,
        digest=message.digest(),
        body=dict(message.body),
        sent_at=now,
        token=seal(message, own.signing, peers.encryption_key(session, recipient)),
        state="queued",
        attempts=0,
        next_attempt_at=None,  # due at once; a failed delivery sets when to try again
        recorded_at=now,
    )
    session.add(row)
    session.flush()
    record(
        session,
        _actor(own.party),
        Entry(
            "exchange.sent",
            "exchange_message",
            message.id,
            {"kind": kind, "to": recipient, "agreement": agreement, "seq": message.seq},
        ),
        at=now,
    )
    return row


def _received_on(message: Message) -> tuple[ColumnElement[bool], ...]:
    """The messages received on `message`'s channel."""
    return (
        ExchangeMessage.direction == "in",
        ExchangeMessage.sender == message.sender,
        ExchangeMessage.recipient == message.recipient,
        ExchangeMessage.agreement_id == message.agreement,
    )


def _last_applied(session: Session, message: Message) -> tuple[int, str]:
    row = session.scalars(
        select(ExchangeMessage)
        .where(
            *_received_on(message),
            ExchangeMessage.state == "applied",
        )
        .order_by(ExchangeMessage.seq.desc())
        .limit(1)
    ).first()
    return (row.seq, row.digest) if row else (0, GENESIS)


def _audit(
    session: Session, message: Message | None, action: str, now: dt.datetime, **data: object
) -> None:
    facts = {**data}
    if message is not None:
        facts |= {
            "kind": message.kind,
            "from": message.sender,
            "agreement": message.agreement,
            "seq": message.seq,
        }
    record(
        session,
        _actor(message.sender if message else "unknown"),
        Entry(action, "exchange_message", message.id if message else "(unopened)", facts),
        at=now,
    )


def receive(
    session: Session,
    own: OwnKeys,
    token: str,
    appliers: Mapping[str, Applier],
    now: dt.datetime,
) -> Received:
    """Open, check and place one message on its channel; apply it (and any held successors it
    releases) or hold it. Refusals are answered, audited, and write nothing else."""
    try:
        message, signed = open_signed(
            token, own.decrypting, lambda kid: peers.signer(session, kid), own.party
        )
    except Refused as refused:
        _audit(session, None, "exchange.refused", now, reason=refused.reason)
        return Received(None, None, "refused", refused.reason)
    try:
        body = bodies.read(message.kind, dict(message.body))
    except Refused as refused:  # signed by its sender: refused under its own name
        _audit(session, message, "exchange.refused", now, reason=refused.reason)
        return Received(message.id, message.kind, "refused", refused.reason)
    known = session.scalars(
        select(ExchangeMessage).where(
            ExchangeMessage.direction == "in", ExchangeMessage.message_id == message.id
        )
    ).first()
    if known is not None:
        _audit(session, message, "exchange.replayed", now, state=known.state)
        return Received(message.id, message.kind, "replay", f"already {known.state}")
    last_seq, last_hash = _last_applied(session, message)
    try:
        admission = admit(message, last_seq, last_hash)
    except Refused as refused:
        _audit(session, message, "exchange.refused", now, reason=refused.reason)
        return Received(message.id, message.kind, "refused", refused.reason)
    if admission == "replay":
        _audit(session, message, "exchange.replayed", now, state="applied")
        return Received(message.id, message.kind, "replay", "an earlier number, applied already")
    if admission == "hold" and _held_at(session, message):
        reason = f"another message {message.seq} of its channel is held already"
        _audit(session, message, "exchange.refused", now, reason=reason)
        return Received(message.id, message.kind, "refused", reason)
    if admission == "hold":
        _store(session, message, "held", None, now, signed)
        _audit(session, message, "exchange.held", now, waiting_for=last_seq + 1)
        return Received(
            message.id, message.kind, "held", f"waiting for message {last_seq + 1} of its channel"
        )
    try:
        detail = _apply(session, message, body, appliers, now, signed)
    except Refused as refused:
        _audit(session, message, "exchange.refused", now, reason=refused.reason)
        return Received(message.id, message.kind, "refused", refused.reason)
    released = _release_held(session, message, appliers, now)
    return Received(message.id, message.kind, "applied", detail, released)


def _held_at(session: Session, message: Message) -> bool:
    return (
        session.scalars(
            select(ExchangeMessage.id).where(
                *_received_on(message),
                ExchangeMessage.seq == message.seq,
            )
        ).first()
        is not None
    )


def _store(
    session: Session,
    message: Message,
    state: str,
    outcome: str | None,
    now: dt.datetime,
    signed: str | None,
) -> ExchangeMessage:
    """An inbound message, kept with the sender's signature over it (`token`: the JWS)."""
    row = ExchangeMessage(
        direction="in",
        message_id=message.id,
        kind=message.kind,
        sender=message.sender,
        recipient=message.recipient,
        agreement_id=message.agreement,
        seq=message.seq,
        prev=message.prev,
        digest=message.digest(),
        body=dict(message.body),
        sent_at=message.sent_at,
        token=signed,
        state=state,
        outcome=outcome,
        attempts=0,
        recorded_at=now,
        done_at=now if state == "applied" else None,
    )
    session.add(row)
    session.flush()
    return row


def _apply(
    session: Session,
    message: Message,
    body: bodies.Body,
    appliers: Mapping[str, Applier],
    now: dt.datetime,
    signed: str | None,
) -> str:
    applier = appliers.get(message.kind)
    if applier is None:
        raise Refused(f"a {message.kind} message is not one this party receives")
    with session.begin_nested():
        detail = applier(session, message, body, now)
        _store(session, message, "applied", detail, now, signed)
    _audit(session, message, "exchange.applied", now, outcome=detail)
    return detail


def _release_held(
    session: Session, applied: Message, appliers: Mapping[str, Applier], now: dt.datetime
) -> tuple[str, ...]:
    """Apply, in order, the held messages the gap's filling released."""
    released: list[str] = []
    last = applied
    while True:
        held = session.scalars(
            select(ExchangeMessage).where(
                *_received_on(last),
                ExchangeMessage.state == "held",
                ExchangeMessage.seq == last.seq + 1,
            )
        ).first()
        if held is None:
            return tuple(released)
        message = Message(
            kind=held.kind,  # type: ignore[arg-type]
            sender=held.sender,
            recipient=held.recipient,
            agreement=held.agreement_id,
            seq=held.seq,
            prev=held.prev,
            body=held.body,
            sent_at=held.sent_at,
            id=held.message_id,
        )
        signed = held.token
        session.delete(held)
        session.flush()
        try:
            admit(message, last.seq, last.digest())
            body = bodies.read(message.kind, dict(message.body))
            _apply(session, message, body, appliers, now, signed)
        except Refused as refused:
            _audit(session, message, "exchange.refused", now, reason=refused.reason)
            return tuple(released)
        released.append(message.id)
        last = message


def outbox(session: Session, now: dt.datetime | None = None) -> list[ExchangeMessage]:
    """Messages waiting to go, in channel order; those due by `now` when given (the system's
    time: a retry waits in real seconds, whatever day the workflow stands on). A message waiting
    out its backoff holds back the rest of its channel: none goes before it."""
    query = select(ExchangeMessage).where(
        ExchangeMessage.direction == "out", ExchangeMessage.state == "queued"
    )
    rows = list(
        session.scalars(
            query.order_by(
                ExchangeMessage.recipient, ExchangeMessage.agreement_id, ExchangeMessage.seq
            )
        )
    )
    if now is None:
        return rows
    due: list[ExchangeMessage] = []
    waiting: set[tuple[str, str]] = set()
    for row in rows:
        line = (row.recipient, row.agreement_id)
        if line not in waiting and (row.next_attempt_at is None or row.next_attempt_at <= now):
            due.append(row)
        else:
            waiting.add(line)
    return due


def counts(session: Session) -> dict[tuple[str, str], int]:
    """Messages by direction and state."""
    rows = session.execute(
        select(ExchangeMessage.direction, ExchangeMessage.state, func.count()).group_by(
            ExchangeMessage.direction, ExchangeMessage.state
        )
    )
    return {(d, s): n for d, s, n in rows}
