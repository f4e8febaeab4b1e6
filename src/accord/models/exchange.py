"""The exchange between two deployments (docs/exchange.md): the peers and their public keys, the
messages sent and received on each channel, and what a receiving deployment holds of the pools
proposed to it (the minimized records only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from accord.db import Base
from accord.models.types import JSONDocument, UtcDateTime


class Peer(Base):
    """Another party's deployment this one exchanges messages with."""

    __tablename__ = "peers"

    party: Mapped[str] = mapped_column(ForeignKey("parties.code"), primary_key=True)
    url: Mapped[str | None] = mapped_column(String(500))
    """Its base URL for HTTPS delivery; none when messages travel as files."""
    added_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    added_by: Mapped[str] = mapped_column(String(128))


class PeerKey(Base):
    """A public key a peer registered: `sig` (its messages must be signed by one) or `enc` (what
    we send it is encrypted to its newest)."""

    __tablename__ = "peer_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    """The RFC 7638 thumbprint."""
    party: Mapped[str] = mapped_column(ForeignKey("peers.party"), index=True)
    use: Mapped[str] = mapped_column(String(3))
    jwk: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    """The public key only."""
    added_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(128))


class ExchangeMessage(Base):
    """One message of one channel, sent (`out`) or received (`in`).

    Out: `queued` until the peer's inbox (or a file) took it, then `delivered`; `token` is the
    sealed message, exactly as it travels. In: `held` until its predecessor arrives, then
    `applied`. A refused message is never stored: its audit event is all that is written. Each
    side keeps what the other signed: our outbox the JWE of our signed messages, our inbox the
    peer's JWS, verifiable by anyone with its public key.
    """

    __tablename__ = "exchange_messages"
    __table_args__ = (
        UniqueConstraint("direction", "message_id", name="uq_exchange_messages_message"),
        UniqueConstraint(
            "direction",
            "sender",
            "recipient",
            "agreement_id",
            "seq",
            name="uq_exchange_messages_channel_seq",
        ),
        Index("ix_exchange_messages_state", "direction", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))
    message_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(24))
    sender: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(16))
    agreement_id: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)
    prev: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the canonical document: what the channel's next message names as `prev`."""
    body: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    sent_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    token: Mapped[str | None] = mapped_column(Text)
    """Out: the sealed message as it travels (a JWE). In: the sender's signed message (the
    compact JWS inside), kept as proof of what it sent."""
    state: Mapped[str] = mapped_column(String(12))
    outcome: Mapped[str | None] = mapped_column(Text)
    """What applying it did, in a line: applied, or refused by the sender's workflow (why)."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    done_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class ItemMark(Base):
    """What the sender last told a peer of one of its items: the seen state and scheduled day
    (`accord.workflow.disclosure`), so a change is sent once."""

    __tablename__ = "exchange_item_marks"

    item_id: Mapped[int] = mapped_column(ForeignKey("proposal_items.id"), primary_key=True)
    seen: Mapped[str] = mapped_column(String(40))
    scheduled_for: Mapped[dt.date | None] = mapped_column(Date)


class ReceivedItem(Base):
    """A family proposed to this deployment's party by a peer, as the peer's messages said,
    with what our reviewers decided and recorded. Keyed by the sender's own item id."""

    __tablename__ = "received_items"
    __table_args__ = (UniqueConstraint("sender", "item_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[int] = mapped_column(Integer)
    pool_id: Mapped[int] = mapped_column(Integer, index=True)
    agreement_id: Mapped[str] = mapped_column(String(64), index=True)
    family_id: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    proposed_on: Mapped[dt.date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(40))
    """As the sender last said (a seen state), or as our own decision left it until the
    sender's answer."""
    since: Mapped[dt.date] = mapped_column(Date)
    scheduled_for: Mapped[dt.date | None] = mapped_column(Date)
    decision: Mapped[str | None] = mapped_column(String(8))
    decided_by: Mapped[str | None] = mapped_column(String(128))
    reason_code: Mapped[str | None] = mapped_column(String(64))
    reason_text: Mapped[str | None] = mapped_column(Text)
    refusal: Mapped[str | None] = mapped_column(Text)
    """The sender's refusal of our last step on this item, with its reason."""
    arrived_on: Mapped[dt.date | None] = mapped_column(Date)
    onward: Mapped[str | None] = mapped_column(String(24))


class ReceivedPerson(Base):
    """One member of a received family: exactly the minimized view (DESIGN §6), validated
    field by field on arrival."""

    __tablename__ = "received_people"
    __table_args__ = (UniqueConstraint("received_item_id", "case_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    received_item_id: Mapped[int] = mapped_column(ForeignKey("received_items.id"), index=True)
    case_id: Mapped[str] = mapped_column(String(64))
    record: Mapped[dict[str, Any]] = mapped_column(JSONDocument)


class LedgerStatement(Base):
    """A party's signed statement of its ledger for one agreement: our own as sent, the peer's
    as received. Reconciliation compares the latest of each."""

    __tablename__ = "ledger_statements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    party: Mapped[str] = mapped_column(String(16))
    agreement_id: Mapped[str] = mapped_column(String(64), index=True)
    message_id: Mapped[str] = mapped_column(String(64))
    as_of: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    body: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
