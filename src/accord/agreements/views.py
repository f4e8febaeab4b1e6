"""What an acting user reads of the registry: the agreements they may see (as rows of the list,
or whole), and one agreement as they may read it. The API, the pages and the monitoring read
through these, so each shows a user the same agreements.

An agreement a user may not see is not found: its existence is not told (`accord.access`
`may_see`: the parties in scope of it; an admin reads the whole registry). The notes on its
status changes are the sender's own words, read by the sender's staff only; the statuses, their
days and their sources are shared."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from accord.access import Actor, may_see, sees_claims
from accord.agreements.service import stored_agreement, stored_agreements
from accord.errors import NotFound
from accord.records.agreement import AgreementIn


def visible_agreements(session: Session, actor: Actor) -> list[AgreementIn]:
    """Every agreement the actor may see, whole (notes included), in the order of their ids:
    what the actor's reads are scoped to."""
    return [a for a in stored_agreements(session) if may_see(actor.role, actor.party, a)]


def visible_agreement(session: Session, actor: Actor, agreement_id: str) -> AgreementIn:
    """An agreement the actor may see, whole: the gate of every read or act on one. Any other
    is not found, in the words used when there is no such agreement."""
    found = stored_agreement(session, agreement_id)
    if not may_see(actor.role, actor.party, found):
        raise NotFound(f"no agreement {agreement_id!r}")
    return found


def agreement_seen(session: Session, actor: Actor, agreement_id: str) -> AgreementIn:
    """The registry entry as the actor reads it: the sender's staff read it all; anyone else
    reads its status history without the sender's notes."""
    found = visible_agreement(session, actor, agreement_id)
    if sees_claims(actor.role):
        return found
    history = [event.model_copy(update={"note": None}) for event in found.status_history]
    return found.model_copy(update={"status_history": history})


@dataclass(frozen=True)
class AgreementRow:
    """One agreement as the registry's list shows it."""

    id: str
    title: str | None
    sender: str
    receiver: str
    kind: str
    status: str
    term_start: dt.date | None
    term_end: dt.date | None


def agreement_rows(
    session: Session, actor: Actor, *, status: str | None = None, receiver: str | None = None
) -> list[AgreementRow]:
    """The agreements the actor may see, as rows, in the order of their ids; only those of a
    status, or with a receiver, when one is given."""
    return [
        AgreementRow(
            id=a.id,
            title=a.title,
            sender=a.sender,
            receiver=a.receiver,
            kind=a.kind,
            status=a.status,
            term_start=a.term.start if a.term else None,
            term_end=a.term.end if a.term else None,
        )
        for a in visible_agreements(session, actor)
        if (status is None or a.status == status) and (receiver in (None, a.receiver))
    ]
