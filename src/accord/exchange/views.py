"""What our reviewers read of the families peers proposed to this deployment, for the API and
the pages alike: our exchange keys (without them nothing is received), whether a reviewer
reviews for our own party, the families in their order, and one family through the minimized
records held here."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from accord.access import Actor
from accord.audit.service import Entry, record_many
from accord.cases.minimized import MinimizedPerson
from accord.errors import AccordError, Conflict, Forbidden, InvalidInput, NotFound
from accord.exchange import keys, receiver
from accord.exchange.schemas import ReceivedOut
from accord.models import ReceivedItem

log = logging.getLogger(__name__)

NO_KEYS = "this deployment has no exchange keys"


class NoKeys(AccordError):
    """A peer should try again later: the deployment is not set up to open what it sends."""

    status_code = 503
    title = "Exchange not set up"


def load_keys(path: Path) -> keys.OwnKeys:
    """Our keys, or why there are none, without naming the server's files to the caller."""
    if not path.exists():
        raise NoKeys(NO_KEYS)
    try:
        return keys.load(path)
    except (InvalidInput, OSError) as exc:
        log.error("the exchange keys cannot be read: %s", type(exc).__name__)
        raise NoKeys("this deployment's exchange keys cannot be read") from None


def reviewer_keys(path: Path, actor: Actor) -> keys.OwnKeys:
    """Our keys, for a reviewer of our own party: a reviewer of another reviews elsewhere."""
    try:
        own = load_keys(path)
    except NoKeys as missing:  # the deployment's state, not a failure a retry mends
        raise Conflict(f"{missing.detail}: it receives nothing from its peers") from None
    if actor.party != own.party:
        raise Forbidden(f"{actor.name} reviews for {actor.party or 'no party'}, not {own.party}")
    return own


def received_items(
    agreement_id: str | None = None, state: str | None = None
) -> Select[ReceivedItem]:
    """The families received, by agreement, pool and the sender's item (filtered when asked)."""
    query = select(ReceivedItem).order_by(
        ReceivedItem.agreement_id, ReceivedItem.pool_id, ReceivedItem.item_id, ReceivedItem.id
    )
    if agreement_id is not None:
        query = query.where(ReceivedItem.agreement_id == agreement_id)
    if state is not None:
        query = query.where(ReceivedItem.state == state)
    return query


def received_seen(session: Session, item: ReceivedItem, actor: Actor) -> ReceivedOut:
    """One family with its members, as the minimized records we hold give them; each member's
    read is in the audit log, as a read of the sender's case files is there."""
    fields = {name: getattr(item, name) for name in ReceivedOut.model_fields if name != "members"}
    members = [MinimizedPerson.model_validate(m) for m in receiver.members(session, item.id)]
    record_many(
        session,
        actor.name,
        [
            Entry(
                "person.read",
                "received_person",
                member.case_id,
                {"view": "received", "via": f"received item {item.id}", "role": actor.role},
            )
            for member in members
        ],
    )
    return ReceivedOut.model_validate({**fields, "members": members})


def received_family(session: Session, received_id: int, actor: Actor) -> ReceivedOut:
    item = session.get(ReceivedItem, received_id)
    if item is None:
        raise NotFound(f"no received item {received_id}")
    return received_seen(session, item, actor)
