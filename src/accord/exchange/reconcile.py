"""Reconciliation: our ledger of an agreement against the peer's latest signed statement of its
own, family by family, with the messages that explain each difference.

Our side is computed now, as we would state it (`sender.statement` when we send under the
agreement, `receiver.statement` when we receive); the peer's is the last `ledger.statement` it
signed and we applied. A family counted by one side only, or in another state or size on each,
is a difference; the messages of the agreement that name the family, in both directions, are
what explains it (a decision not yet answered, a refusal not yet carried, a pool not yet
delivered). Reads only.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from accord.errors import NotFound
from accord.exchange import bodies, receiver, sender
from accord.models import Agreement, ExchangeMessage

Side = Literal["sender", "receiver"]
Gap = Literal["only ours", "only theirs", "state", "persons"]
"""How a family differs: counted by us alone, by the peer alone, or by both in another state
(or, both in one state, with another number of persons)."""


@dataclass(frozen=True)
class Ledger:
    """One side's ledger of the agreement, as stated."""

    party: str
    as_of: dt.datetime | None
    """When it was stated; None when the peer has stated nothing yet."""
    message_id: str | None
    """The signed statement it comes from (the peer's); None for ours, computed now."""
    families: dict[int, bodies.Counted]
    reserved_persons: int
    transferred_persons: int

    def document(self) -> dict[str, Any]:
        return {
            "party": self.party,
            "as_of": self.as_of.isoformat(timespec="seconds") if self.as_of else None,
            "message": self.message_id,
            "families": len(self.families),
            "reserved_persons": self.reserved_persons,
            "transferred_persons": self.transferred_persons,
        }


@dataclass(frozen=True)
class Explaining:
    """A message of the agreement that names the family."""

    message_id: str
    direction: str
    """`out` (we sent it) or `in` (we received it)."""
    kind: str
    seq: int
    state: str
    """Out: queued, delivered or refused (by the peer's inbox); in: held or applied."""
    outcome: str | None
    """In: what applying it did (applied, or refused by the workflow and why); out: the peer's
    inbox's answer when it refused the message."""

    def document(self) -> dict[str, Any]:
        return {
            "message": self.message_id,
            "direction": self.direction,
            "kind": self.kind,
            "seq": self.seq,
            "state": self.state,
            "outcome": self.outcome,
        }


@dataclass(frozen=True)
class Difference:
    item: int
    family: str
    gap: Gap
    ours: bodies.Counted | None
    theirs: bodies.Counted | None
    messages: tuple[Explaining, ...]

    def document(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "family": self.family,
            "gap": self.gap,
            "ours": bodies.written(self.ours) if self.ours else None,
            "theirs": bodies.written(self.theirs) if self.theirs else None,
            "messages": [m.document() for m in self.messages],
        }


@dataclass(frozen=True)
class Reconciliation:
    agreement: str
    side: Side
    """Which side of the agreement we are."""
    ours: Ledger
    theirs: Ledger
    differences: tuple[Difference, ...]

    @property
    def equal(self) -> bool:
        """No family differs, and the totals agree."""
        return not self.differences and (
            self.ours.reserved_persons,
            self.ours.transferred_persons,
        ) == (self.theirs.reserved_persons, self.theirs.transferred_persons)

    def document(self) -> dict[str, Any]:
        return {
            "agreement": self.agreement,
            "side": self.side,
            "equal": self.equal,
            "ours": self.ours.document(),
            "theirs": self.theirs.document(),
            "differences": [d.document() for d in self.differences],
        }


def reconcile(
    session: Session, own_party: str, agreement_id: str, now: dt.datetime | None = None
) -> Reconciliation:
    """Our ledger of the agreement (stated as of `now`, by default the present moment) against
    the peer's latest signed statement, every difference with the messages that explain it."""
    agreement = session.get(Agreement, agreement_id)
    if agreement is None:
        raise NotFound(f"no agreement {agreement_id!r}")
    at = now or dt.datetime.now(dt.UTC)
    side: Side
    if agreement.sender_code == own_party:
        side, peer = "sender", agreement.receiver_code
        stated = sender.statement(session, agreement_id, peer, at)
    elif agreement.receiver_code == own_party:
        side, peer = "receiver", agreement.sender_code
        stated = receiver.statement(session, agreement_id, at)
    else:
        raise NotFound(f"agreement {agreement_id!r} is not one {own_party} is a party to")
    ours = Ledger(
        own_party,
        stated.as_of,
        None,
        {f.item: f for f in stated.families},
        stated.reserved_persons,
        stated.transferred_persons,
    )
    theirs = _theirs(session, peer, agreement_id)
    explained = _messages(session, agreement_id, peer)
    differences = []
    for item in sorted(ours.families.keys() | theirs.families.keys()):
        mine, other = ours.families.get(item), theirs.families.get(item)
        gap = _gap(mine, other)
        if gap is None:
            continue
        named = mine or other
        assert named is not None
        differences.append(
            Difference(item, named.family, gap, mine, other, tuple(explained.get(item, ())))
        )
    return Reconciliation(agreement_id, side, ours, theirs, tuple(differences))


def _theirs(session: Session, peer: str, agreement_id: str) -> Ledger:
    row = receiver.last_statement(session, peer, agreement_id)
    if row is None:
        return Ledger(peer, None, None, {}, 0, 0)
    stated = bodies.Statement.model_validate(row.body)
    return Ledger(
        peer,
        stated.as_of,
        row.message_id,
        {f.item: f for f in stated.families},
        stated.reserved_persons,
        stated.transferred_persons,
    )


ONWARD_STATES = receiver.AFTER_ARRIVAL - {"transferred"}


def _closed_after(one: str, other: str) -> bool:
    """The sender closes a family once its check-ins are done, a step of its own: its `closed`
    stands for the onward outcome the receiver recorded, whichever it was."""
    return {one, other} & {"closed"} != set() and ({one, other} - {"closed"}) <= ONWARD_STATES


def _gap(ours: bodies.Counted | None, theirs: bodies.Counted | None) -> Gap | None:
    if theirs is None:
        return "only ours"
    if ours is None:
        return "only theirs"
    if ours.state != theirs.state and not _closed_after(ours.state, theirs.state):
        return "state"
    if ours.persons != theirs.persons:
        return "persons"
    return None


def _messages(session: Session, agreement_id: str, peer: str) -> dict[int, list[Explaining]]:
    """Every message of the agreement between us and the peer, by the items it names: its
    `item`, or each family of a proposed pool; in the order they were recorded, but a refusal
    after the message it refuses (which is recorded once its application, refusal and all, is
    done)."""
    found: dict[int, list[Explaining]] = defaultdict(list)
    for row in _in_order(
        list(
            session.scalars(
                select(ExchangeMessage)
                .where(
                    ExchangeMessage.agreement_id == agreement_id,
                    or_(ExchangeMessage.sender == peer, ExchangeMessage.recipient == peer),
                )
                .order_by(ExchangeMessage.id)
            )
        )
    ):
        items: list[object]
        if row.kind == "pool.proposed":
            families = row.body.get("families")
            items = [f.get("item") for f in families if isinstance(f, dict)] if families else []
        else:
            items = [row.body.get("item")]
        explaining = Explaining(
            row.message_id,
            row.direction,
            row.kind,
            row.seq,
            row.state,
            row.outcome if row.direction == "in" else row.last_error,
        )
        for item in items:
            if isinstance(item, int):
                found[item].append(explaining)
    return found


def _in_order(rows: list[ExchangeMessage]) -> list[ExchangeMessage]:
    received = {r.message_id for r in rows if r.direction == "in"}
    ordered: list[ExchangeMessage] = []
    waiting: dict[str, list[ExchangeMessage]] = defaultdict(list)
    placed: set[str] = set()
    for row in rows:
        refused = row.body.get("refused") if row.kind == "refusal" else None
        if row.direction == "out" and refused in received and refused not in placed:
            waiting[str(refused)].append(row)
            continue
        ordered.append(row)
        if row.direction == "in":
            placed.add(row.message_id)
            ordered.extend(waiting.pop(row.message_id, []))
    return ordered + [row for rows_left in waiting.values() for row in rows_left]
