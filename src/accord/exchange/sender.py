"""The sender's side of an agreement run across two deployments.

What leaves: `sync` reads each pool and each item through the minimized view and the receiver's
seen states (`accord.proposals.views`, `accord.workflow.disclosure`), as a reviewer of the
receiving party would, and queues what changed since it last told the peer: a proposed pool,
a family withdrawn, a transfer scheduled or called off, and the ledger's statement. Nothing the
receiver could not read in the sender's own pages ever leaves.

What comes in: the receiver's decisions, arrivals, onward outcomes, check-ins and incidents are
applied through the same workflow as a signed-in reviewer's (`accord.proposals`), with every
guard run here on the day it is applied; a step the workflow refuses is answered with a signed
refusal, and the sender's records keep nothing of it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.access import Actor
from accord.clock import Clock, SetClock
from accord.errors import AccordError
from accord.exchange import bodies, channel
from accord.exchange.envelope import Kind, Message, Refused
from accord.exchange.keys import OwnKeys
from accord.models import Agreement, ItemMark, LedgerStatement, Peer, Proposal, ProposalItem
from accord.monitoring import service as monitoring
from accord.proposals import movement
from accord.proposals.service import move
from accord.proposals.views import family_members, pool_view
from accord.workflow.audience import Audience
from accord.workflow.disclosure import WITHDRAWN, seen_state

COUNTED_RESERVED = frozenset({"accepted", "scheduled"})
COUNTED_TRANSFERRED = frozenset(
    {
        "transferred",
        "returned_home",
        "remained",
        "moved_on",
        "absconded",
        "re_transferred",
        "closed",
    }
)


def reader(party: str) -> Actor:
    """Who reads for the exchange: a reviewer of the receiving party, so what is sent is exactly
    what that party's reviewers may read (and each person's read is audited as theirs)."""
    return Actor(name=f"exchange to {party}", role="reviewer", party=party)


def _agreements(session: Session, own: OwnKeys) -> list[Agreement]:
    return list(
        session.scalars(
            select(Agreement)
            .join(Peer, Peer.party == Agreement.receiver_code)
            .where(Agreement.sender_code == own.party)
            .order_by(Agreement.id)
        )
    )


def statement(
    session: Session, agreement_id: str, party: str, now: dt.datetime
) -> bodies.Statement:
    """The sender's ledger as the receiver may see it: every family told to it, by seen state."""
    rows = session.execute(
        select(ProposalItem, ItemMark)
        .join(ItemMark, ItemMark.item_id == ProposalItem.id)
        .where(ProposalItem.agreement_id == agreement_id)
        .order_by(ProposalItem.id)
    ).all()
    families = [
        bodies.Counted(
            item=item.id,
            family=item.family_id,
            persons=item.size,
            state=seen_state(item.state, "reviewer"),
        )
        for item, _ in rows
    ]
    return _totals(families, now)


def _totals(families: list[bodies.Counted], now: dt.datetime) -> bodies.Statement:
    return bodies.Statement(
        as_of=now,
        families=families,
        reserved_persons=sum(f.persons for f in families if f.state in COUNTED_RESERVED),
        transferred_persons=sum(f.persons for f in families if f.state in COUNTED_TRANSFERRED),
    )


def sync(session: Session, own: OwnKeys, now: dt.datetime) -> list[str]:
    """Queue, for every agreement we send under whose receiver is a peer, what changed since we
    last told it; the ids of the messages queued."""
    queued: list[str] = []
    for agreement in _agreements(session, own):
        peer = agreement.receiver_code
        # Two servers on one database sync at once: the peer's row, locked first, makes one of
        # them wait and then see what the other marked as told (never a pool sent twice).
        session.get(Peer, peer, with_for_update=True, populate_existing=True)
        changed = _new_pools(session, own, agreement.id, peer, now, queued)
        changed |= _changed_items(session, own, agreement.id, peer, now, queued)
        if changed:
            queued.append(
                channel.send(
                    session,
                    own,
                    "ledger.statement",
                    peer,
                    agreement.id,
                    statement(session, agreement.id, peer, now),
                    now,
                ).message_id
            )
    return queued


def _new_pools(
    session: Session,
    own: OwnKeys,
    agreement_id: str,
    peer: str,
    now: dt.datetime,
    queued: list[str],
) -> bool:
    marked = select(ItemMark.item_id)
    pools = session.scalars(
        select(Proposal)
        .where(
            Proposal.agreement_id == agreement_id,
            Proposal.id.in_(select(ProposalItem.proposal_id)),
            ~Proposal.id.in_(select(ProposalItem.proposal_id).where(ProposalItem.id.in_(marked))),
        )
        .order_by(Proposal.id)
    ).all()
    for pool in pools:
        view = pool_view(session, pool.id, reader(peer))
        members = family_members(session, view.items, reader(peer))
        body = bodies.PoolProposed(
            pool=pool.id,
            proposed_on=pool.proposed_on,
            families=[
                bodies.ProposedFamily(
                    item=row.id, family=row.family_id, size=row.size, members=members[row.id]
                )
                for row in view.items
            ],
        )
        queued.append(
            channel.send(session, own, "pool.proposed", peer, agreement_id, body, now).message_id
        )
        for row in view.items:
            session.add(ItemMark(item_id=row.id, seen="proposed", scheduled_for=None))
        session.flush()
    return bool(pools)


def _changed_items(
    session: Session,
    own: OwnKeys,
    agreement_id: str,
    peer: str,
    now: dt.datetime,
    queued: list[str],
) -> bool:
    changed = False
    rows = session.execute(
        select(ProposalItem, ItemMark)
        .join(ItemMark, ItemMark.item_id == ProposalItem.id)
        .where(ProposalItem.agreement_id == agreement_id)
        .order_by(ProposalItem.id)
    ).all()
    for item, mark in rows:
        seen = seen_state(item.state, "reviewer")
        scheduled = item.scheduled_for if seen == "scheduled" else None
        if seen == mark.seen and scheduled == mark.scheduled_for:
            continue
        changed = True
        body: bodies.Body | None = None
        kind: Kind = "family.withdrawn"
        if seen == WITHDRAWN:
            body = bodies.FamilyWithdrawn(item=item.id, on=item.seen_since)
        elif seen == "scheduled" or (mark.seen == "scheduled" and seen == "accepted"):
            # Scheduled, moved to another day, or called off (`CALLED_OFF`): never the
            # receiver's own arrival, which it told us.
            body = bodies.TransferScheduled(item=item.id, on=scheduled)
            kind = "transfer.scheduled"
        if body is not None:
            queued.append(
                channel.send(session, own, kind, peer, agreement_id, body, now).message_id
            )
        mark.seen, mark.scheduled_for = seen, scheduled
    session.flush()
    return changed


# --- Applying what the receiver sends ----------------------------------------------------------


def _item(session: Session, message: Message, item_id: int) -> ProposalItem:
    """The item a message names: one of ours, of its agreement, told to its sender."""
    item = session.get(ProposalItem, item_id)
    if item is None or item.agreement_id != message.agreement:
        raise Refused(f"names item {item_id}, which is not one of agreement {message.agreement}'s")
    if session.get(ItemMark, item_id) is None:
        raise Refused(f"names item {item_id}, which was never proposed to {message.sender}")
    return item


def _acting(message: Message, by: str) -> Actor:
    return Actor(name=f"{by} ({message.sender})", role="reviewer", party=message.sender)


Step = Callable[[Session, Message, Any, Actor, Clock], object]
"""One workflow command, run for a received message's body as the receiver's reviewer."""

STEPS: dict[str, Step] = {
    "decision": lambda session, message, body, actor, clock: move(
        session,
        body.item,
        body.decision,
        actor,
        clock,
        reason_code=body.reason_code,
        reason_text=body.reason_text,
    ),
    "arrival": lambda session, message, body, actor, clock: movement.confirm_arrival(
        session, body.item, actor, clock
    ),
    "onward.outcome": lambda session, message, body, actor, clock: movement.record_onward(
        session, body.item, body.outcome, actor, clock, detail=body.detail
    ),
    "check_in": lambda session, message, body, actor, clock: monitoring.record_check_in(
        session,
        body.item,
        body.due_days,
        body.note or "",
        actor,
        clock,
        audience=Audience.SHARED,
    ),
    "incident": lambda session, message, body, actor, clock: monitoring.report_incident(
        session, message.agreement, body.kind, body.text, actor, clock, audience=Audience.SHARED
    ),
}
"""What each of the receiver's steps is in the sender's workflow: the very commands its own
pages, API and command line call, with every guard they check."""


class Sender:
    """The appliers of a sender's deployment, and where its refusals go."""

    def __init__(self, own: OwnKeys) -> None:
        self.own = own

    def appliers(self) -> Mapping[str, channel.Applier]:
        return {
            **{kind: self._applier(kind) for kind in STEPS},
            "ledger.statement": self.ledger_statement,
        }

    def _applier(self, kind: str) -> channel.Applier:
        def apply(session: Session, message: Message, body: bodies.Body, now: dt.datetime) -> str:
            item: int | None = getattr(body, "item", None)
            if item is not None:
                _item(session, message, item)
            actor = _acting(message, str(getattr(body, "by", "")))
            return self._workflow(
                session,
                message,
                item,
                lambda: STEPS[kind](session, message, body, actor, SetClock(now)),
                now,
            )

        return apply

    def _workflow(
        self,
        session: Session,
        message: Message,
        item: int | None,
        step: Callable[[], object],
        now: dt.datetime,
    ) -> str:
        """Run one workflow step; a refusal by the workflow goes back to the receiver, signed."""
        try:
            with session.begin_nested():
                step()
        except AccordError as refused:
            channel.send(
                session,
                self.own,
                "refusal",
                message.sender,
                message.agreement,
                bodies.Refusal(refused=message.id, item=item, reason=str(refused)),
                now,
            )
            return f"refused by the workflow: {refused}"
        return "applied"

    def ledger_statement(
        self, session: Session, message: Message, body: bodies.Body, now: dt.datetime
    ) -> str:
        return store_statement(session, message, body)


def store_statement(session: Session, message: Message, body: bodies.Body) -> str:
    """Keep a peer's signed ledger statement: reconciliation reads the latest."""
    assert isinstance(body, bodies.Statement)
    keep_statement(session, message.sender, message.agreement, message.id, body)
    return f"statement of {len(body.families)} families stored"


def keep_statement(
    session: Session, party: str, agreement_id: str, message_id: str, body: bodies.Statement
) -> None:
    """A party's ledger statement of an agreement, with the message that carried it: the peer's
    as received, or, for the receiver, its own as sent (what changed is sent once)."""
    session.add(
        LedgerStatement(
            party=party,
            agreement_id=agreement_id,
            message_id=message_id,
            as_of=body.as_of,
            body=bodies.written(body),
        )
    )
    session.flush()
