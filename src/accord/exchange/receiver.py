"""The receiver's side of an agreement run across two deployments.

What comes in is stored as the minimized records only (`ReceivedItem`, `ReceivedPerson`): a
pool's every member is validated as a `MinimizedPerson` (closed: a field the minimized view does
not allow refuses the message whole), and every later message names an item a pool brought.

What our reviewers decide and record is kept here and sent to the sender, which stays the
authority for the law: it applies each step through its own workflow, and a step it refuses
comes back as a signed refusal that undoes our record of it and shows why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.access import Actor
from accord.audit.service import Entry, record
from accord.errors import Conflict, Forbidden, NotFound
from accord.exchange import bodies, channel
from accord.exchange.envelope import Message, Refused
from accord.exchange.keys import OwnKeys
from accord.exchange.sender import COUNTED_RESERVED, _totals, keep_statement, store_statement
from accord.models import (
    Agreement,
    ExchangeMessage,
    LedgerStatement,
    ReceivedItem,
    ReceivedPerson,
)
from accord.records.vocabulary import CheckInDays, IncidentKind, OnwardOutcome
from accord.workflow.disclosure import WITHDRAWN

DECIDED = {"accept": "accepted", "reject": "rejected", "revoke": "revoked"}


def _received(session: Session, message: Message, item_id: int) -> ReceivedItem:
    item = session.scalars(
        select(ReceivedItem).where(
            ReceivedItem.sender == message.sender, ReceivedItem.item_id == item_id
        )
    ).first()
    if item is None or item.agreement_id != message.agreement:
        raise Refused(f"names item {item_id}, which no pool of {message.agreement} brought")
    return item


class Receiver:
    """The appliers of a receiver's deployment."""

    def __init__(self, own: OwnKeys) -> None:
        self.own = own

    def appliers(self) -> Mapping[str, channel.Applier]:
        return {
            "pool.proposed": self.pool,
            "family.withdrawn": self.withdrawn,
            "transfer.scheduled": self.scheduled,
            "refusal": self.refusal,
            "ledger.statement": self.ledger_statement,
        }

    def pool(self, session: Session, message: Message, body: bodies.Body, now: dt.datetime) -> str:
        assert isinstance(body, bodies.PoolProposed)
        for family in body.families:
            if family.size != len(family.members):
                raise Refused(
                    f"family {family.family}: size {family.size}, {len(family.members)} members"
                )
            strangers = [m.case_id for m in family.members if m.family_id != family.family]
            if strangers:
                raise Refused(f"family {family.family} lists members of another: {strangers}")
            known = session.scalars(
                select(ReceivedItem).where(
                    ReceivedItem.sender == message.sender, ReceivedItem.item_id == family.item
                )
            ).first()
            if known is not None:
                raise Refused(f"item {family.item} was proposed already, in pool {known.pool_id}")
            item = ReceivedItem(
                sender=message.sender,
                item_id=family.item,
                pool_id=body.pool,
                agreement_id=message.agreement,
                family_id=family.family,
                size=family.size,
                proposed_on=body.proposed_on,
                state="proposed",
                since=body.proposed_on,
            )
            session.add(item)
            session.flush()
            for member in family.members:
                session.add(
                    ReceivedPerson(
                        received_item_id=item.id,
                        case_id=member.case_id,
                        record=member.model_dump(mode="json"),
                    )
                )
        session.flush()
        return f"pool {body.pool}: {len(body.families)} families stored"

    def withdrawn(
        self, session: Session, message: Message, body: bodies.Body, now: dt.datetime
    ) -> str:
        assert isinstance(body, bodies.FamilyWithdrawn)
        item = _received(session, message, body.item)
        item.state, item.since, item.scheduled_for = WITHDRAWN, body.on, None
        session.flush()
        return f"item {body.item} {WITHDRAWN}"

    def scheduled(
        self, session: Session, message: Message, body: bodies.Body, now: dt.datetime
    ) -> str:
        assert isinstance(body, bodies.TransferScheduled)
        item = _received(session, message, body.item)
        if body.on is None and item.state != "scheduled":
            return f"item {body.item}: transfer called off; it was {item.state} here, unchanged"
        item.scheduled_for = body.on
        item.state = "scheduled" if body.on else "accepted"
        item.since = now.date()
        session.flush()
        return (
            f"item {body.item}: transfer {'on ' + body.on.isoformat() if body.on else 'called off'}"
        )

    def refusal(
        self, session: Session, message: Message, body: bodies.Body, now: dt.datetime
    ) -> str:
        """Undo our record of the refused step, and keep the sender's reason beside it."""
        assert isinstance(body, bodies.Refusal)
        ours = session.scalars(
            select(ExchangeMessage).where(
                ExchangeMessage.direction == "out", ExchangeMessage.message_id == body.refused
            )
        ).first()
        if ours is None or ours.recipient != message.sender:
            raise Refused(
                f"refuses message {body.refused}, which we never sent to {message.sender}"
            )
        if body.item is not None:
            item = _received(session, message, body.item)
            item.refusal = f"{ours.kind} refused by {message.sender}: {body.reason}"
            if ours.kind == "decision" and ours.body.get("decision") == "accept":
                item.state, item.decision = "proposed", None
            elif ours.kind == "decision":
                item.state = "accepted" if ours.body.get("decision") == "revoke" else "proposed"
                item.decision = None
            elif ours.kind == "arrival":
                item.state, item.arrived_on = "scheduled", None
            elif ours.kind == "onward.outcome":
                item.state, item.onward = "transferred", None
            session.flush()
        return f"our {ours.kind} {body.refused} refused: {body.reason}"

    def ledger_statement(
        self, session: Session, message: Message, body: bodies.Body, now: dt.datetime
    ) -> str:
        return store_statement(session, message, body)


# --- What our reviewers record, sent to the sender ---------------------------------------------


def _ours(session: Session, own: OwnKeys, received_id: int, actor: Actor) -> ReceivedItem:
    if actor.role != "reviewer" or actor.party != own.party:
        raise Forbidden(f"{actor.name} ({actor.role}) does not review for {own.party}")
    item = session.get(ReceivedItem, received_id, with_for_update=True)
    if item is None:
        raise NotFound(f"no received item {received_id}")
    return item


def _send(
    session: Session,
    own: OwnKeys,
    item: ReceivedItem,
    kind: str,
    body: bodies.Body,
    actor: Actor,
    now: dt.datetime,
) -> str:
    sent = channel.send(session, own, kind, item.sender, item.agreement_id, body, now)  # type: ignore[arg-type]
    record(
        session,
        actor.name,
        Entry(
            f"received.{kind}",
            "received_item",
            str(item.id),
            {"message": sent.message_id, **bodies.written(body)},
        ),
        at=now,
    )
    return sent.message_id


def decide(
    session: Session,
    own: OwnKeys,
    received_id: int,
    decision: Literal["accept", "reject", "revoke"],
    actor: Actor,
    now: dt.datetime,
    *,
    reason_code: str | None = None,
    reason_text: str | None = None,
) -> str:
    """Our reviewer's decision on one family, recorded here and sent to the sender."""
    item = _ours(session, own, received_id, actor)
    allowed = {"accept": {"proposed"}, "reject": {"proposed"}, "revoke": COUNTED_RESERVED}
    if decision not in allowed:
        raise Conflict(f"no such decision {decision!r}: accept, reject or revoke")
    if item.state not in allowed[decision]:
        raise Conflict(f"cannot {decision} a family that is {item.state}")
    if decision != "accept" and not (reason_code and reason_text):
        raise Conflict(f"a {decision} needs a reason code and a reason")
    item.state, item.decision, item.decided_by = DECIDED[decision], decision, actor.name
    item.reason_code, item.reason_text, item.refusal, item.since = (
        reason_code,
        reason_text,
        None,
        now.date(),
    )
    return _send(
        session,
        own,
        item,
        "decision",
        bodies.Decision(
            item=item.item_id,
            decision=decision,
            by=actor.name,
            reason_code=reason_code,
            reason_text=reason_text,
        ),
        actor,
        now,
    )


def arrive(session: Session, own: OwnKeys, received_id: int, actor: Actor, now: dt.datetime) -> str:
    item = _ours(session, own, received_id, actor)
    if item.state != "scheduled":
        raise Conflict(
            f"an arrival is recorded for a scheduled transfer; this family is {item.state}"
        )
    item.state, item.arrived_on, item.refusal, item.since = (
        "transferred",
        now.date(),
        None,
        now.date(),
    )
    return _send(
        session,
        own,
        item,
        "arrival",
        bodies.Arrival(item=item.item_id, on=now.date(), by=actor.name),
        actor,
        now,
    )


def onward(
    session: Session,
    own: OwnKeys,
    received_id: int,
    outcome: OnwardOutcome,
    actor: Actor,
    now: dt.datetime,
    *,
    detail: str | None = None,
) -> str:
    item = _ours(session, own, received_id, actor)
    if item.state != "transferred":
        raise Conflict(f"an onward outcome follows an arrival; this family is {item.state}")
    item.state, item.onward, item.refusal, item.since = outcome, outcome, None, now.date()
    return _send(
        session,
        own,
        item,
        "onward.outcome",
        bodies.Onward(
            item=item.item_id, outcome=outcome, on=now.date(), by=actor.name, detail=detail
        ),
        actor,
        now,
    )


AFTER_ARRIVAL = frozenset(
    {"transferred", "remained", "returned_home", "moved_on", "absconded", "re_transferred"}
)
"""Where a family may be after its arrival, as our records give it: check-ins follow it."""


def check_in(
    session: Session,
    own: OwnKeys,
    received_id: int,
    days: CheckInDays,
    actor: Actor,
    now: dt.datetime,
    *,
    note: str | None = None,
) -> str:
    """A monitoring check-in on a family that arrived, sent to the sender, which records it
    against its own due days (and refuses one not yet due, with the reason)."""
    item = _ours(session, own, received_id, actor)
    if item.state not in AFTER_ARRIVAL or item.arrived_on is None:
        raise Conflict(f"a check-in follows an arrival; this family is {item.state}")
    body = bodies.CheckInDone(
        item=item.item_id, due_days=days, on=now.date(), by=actor.name, note=note
    )
    return _send(session, own, item, "check_in", body, actor, now)


def report_incident(
    session: Session,
    own: OwnKeys,
    agreement_id: str,
    kind: IncidentKind,
    text: str,
    actor: Actor,
    now: dt.datetime,
) -> str:
    """An incident under an agreement we receive under, sent to its sender: onward removal or
    ill-treatment suspends the agreement there at once (S15)."""
    if actor.role != "reviewer" or actor.party != own.party:
        raise Forbidden(f"{actor.name} ({actor.role}) does not review for {own.party}")
    agreement = session.get(Agreement, agreement_id)
    if agreement is None or agreement.receiver_code != own.party:
        raise NotFound(f"no agreement {agreement_id} received by {own.party}")
    body = bodies.IncidentReported(kind=kind, on=now.date(), by=actor.name, text=text)
    sent = channel.send(session, own, "incident", agreement.sender_code, agreement_id, body, now)
    record(
        session,
        actor.name,
        Entry(
            "received.incident",
            "agreement",
            agreement_id,
            {"message": sent.message_id, "kind": kind, "on": body.on.isoformat()},
        ),
        at=now,
    )
    return sent.message_id


def statement(session: Session, agreement_id: str, now: dt.datetime) -> bodies.Statement:
    """Our ledger as we recorded it: every family received, in the state our records give."""
    items = session.scalars(
        select(ReceivedItem)
        .where(ReceivedItem.agreement_id == agreement_id)
        .order_by(ReceivedItem.item_id)
    )
    return _totals(
        [
            bodies.Counted(item=i.item_id, family=i.family_id, persons=i.size, state=i.state)
            for i in items
        ],
        now,
    )


def send_statement(
    session: Session, own: OwnKeys, agreement: Agreement, now: dt.datetime
) -> str | None:
    """Our ledger statement to the agreement's sender, when it says something the last one we
    sent did not: the message id, or None when nothing changed (or nothing was received)."""
    current = statement(session, agreement.id, now)
    last = last_statement(session, own.party, agreement.id)
    if not current.families or (
        last is not None and last.body["families"] == bodies.written(current)["families"]
    ):
        return None
    sent = channel.send(
        session, own, "ledger.statement", agreement.sender_code, agreement.id, current, now
    ).message_id
    keep_statement(session, own.party, agreement.id, sent, current)
    return sent


def last_statement(session: Session, party: str, agreement_id: str) -> LedgerStatement | None:
    """A party's latest ledger statement of the agreement (ours as sent, or the peer's)."""
    return session.scalars(
        select(LedgerStatement)
        .where(LedgerStatement.party == party, LedgerStatement.agreement_id == agreement_id)
        .order_by(LedgerStatement.id.desc())
        .limit(1)
    ).first()


def members(session: Session, received_id: int) -> list[dict[str, object]]:
    return [
        p.record
        for p in session.scalars(
            select(ReceivedPerson)
            .where(ReceivedPerson.received_item_id == received_id)
            .order_by(ReceivedPerson.case_id)
        )
    ]
