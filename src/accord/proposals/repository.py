"""Every query of the workflow: items, their events, the ledger, notices, claims, check-ins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.bulk import in_lists
from accord.models import (
    Agreement,
    CheckIn,
    FearClaimRecord,
    Incident,
    ItemEvent,
    LedgerEntry,
    Movement,
    NoticeRecord,
    Proposal,
    ProposalItem,
)
from accord.workflow.guards import Notice
from accord.workflow.quota import LedgerKind, LedgerRow


def get_item(session: Session, item_id: int, *, for_update: bool = False) -> ProposalItem | None:
    query = select(ProposalItem).where(ProposalItem.id == item_id)
    if for_update:  # the row as it is once locked, not as this session may have read it before
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.execute(query).scalar_one_or_none()


def items(
    session: Session,
    *,
    agreement_id: str | None = None,
    proposal_id: int | None = None,
    family_id: str | None = None,
    states: Sequence[str] | None = None,
) -> list[ProposalItem]:
    query = select(ProposalItem).order_by(ProposalItem.id)
    if agreement_id is not None:
        query = query.where(ProposalItem.agreement_id == agreement_id)
    if proposal_id is not None:
        query = query.where(ProposalItem.proposal_id == proposal_id)
    if family_id is not None:
        query = query.where(ProposalItem.family_id == family_id)
    if states is not None:
        query = query.where(ProposalItem.state.in_(list(states)))
    return list(session.execute(query).scalars())


@dataclass(frozen=True, slots=True)
class PoolRow:
    """What a pool's listing shows of one item: read as plain columns, not as ORM objects,
    since a pool is read on every review screen and may hold hundreds of families."""

    id: int
    family_id: str
    size: int
    state: str
    state_since: dt.date
    seen_since: dt.date
    score: float | None
    why: str


def pool_rows(session: Session, proposal_id: int) -> list[PoolRow]:
    query = (
        select(
            ProposalItem.id,
            ProposalItem.family_id,
            ProposalItem.size,
            ProposalItem.state,
            ProposalItem.state_since,
            ProposalItem.seen_since,
            ProposalItem.score,
            ProposalItem.why,
        )
        .where(ProposalItem.proposal_id == proposal_id)
        .order_by(ProposalItem.id)
    )
    return [PoolRow(*row) for row in session.execute(query)]


def open_families(session: Session) -> set[str]:
    query = select(ProposalItem.open_family).where(ProposalItem.open_family.is_not(None))
    return {family for family in session.execute(query).scalars() if family}


@dataclass(frozen=True, slots=True)
class AgreementParties:
    """An agreement's parties, read without the rest of it (see `accord.access.Parties`)."""

    id: str
    sender: str
    receiver: str
    monitors: list[str]


def proposal_with_parties(
    session: Session, proposal_id: int
) -> tuple[Proposal, AgreementParties] | None:
    """A proposal and its agreement's parties in one query: what a pool's read needs to decide
    whether the reader may see it, without loading the whole agreement."""
    row = session.execute(
        select(Proposal, Agreement.sender_code, Agreement.receiver_code, Agreement.monitors)
        .join(Agreement, Agreement.id == Proposal.agreement_id)
        .where(Proposal.id == proposal_id)
    ).one_or_none()
    if row is None:
        return None
    proposal, sender, receiver, monitors = row
    return proposal, AgreementParties(proposal.agreement_id, sender, receiver, list(monitors))


def item_with_parties(
    session: Session, item_id: int
) -> tuple[ProposalItem, AgreementParties] | None:
    """An item and its agreement's parties in one query: whether the reader may see it."""
    row = session.execute(
        select(ProposalItem, Agreement.sender_code, Agreement.receiver_code, Agreement.monitors)
        .join(Agreement, Agreement.id == ProposalItem.agreement_id)
        .where(ProposalItem.id == item_id)
    ).one_or_none()
    if row is None:
        return None
    item, sender, receiver, monitors = row
    return item, AgreementParties(item.agreement_id, sender, receiver, list(monitors))


def get_proposal(session: Session, proposal_id: int) -> Proposal | None:
    return session.get(Proposal, proposal_id)


def proposals(session: Session, agreement_id: str | None = None) -> list[Proposal]:
    query = select(Proposal).order_by(Proposal.id)
    if agreement_id is not None:
        query = query.where(Proposal.agreement_id == agreement_id)
    return list(session.execute(query).scalars())


def events(session: Session, item_id: int) -> list[ItemEvent]:
    query = select(ItemEvent).where(ItemEvent.item_id == item_id).order_by(ItemEvent.id)
    return list(session.execute(query).scalars())


def events_of_agreement(session: Session, agreement_id: str) -> list[ItemEvent]:
    query = (
        select(ItemEvent)
        .join(ProposalItem, ProposalItem.id == ItemEvent.item_id)
        .where(ProposalItem.agreement_id == agreement_id)
        .order_by(ItemEvent.id)
    )
    return list(session.execute(query).scalars())


def event_by_request(session: Session, request_id: str) -> ItemEvent | None:
    query = select(ItemEvent).where(ItemEvent.request_id == request_id)
    return session.execute(query).scalar_one_or_none()


def ledger(session: Session, agreement_id: str) -> list[LedgerRow]:
    query = (
        select(LedgerEntry).where(LedgerEntry.agreement_id == agreement_id).order_by(LedgerEntry.id)
    )
    return [
        LedgerRow(str(e.item_id), _kind(e.kind), e.persons, e.families, e.day, e.reserved_on)
        for e in session.execute(query).scalars()
    ]


def ledger_entries(session: Session, agreement_id: str) -> list[LedgerEntry]:
    query = (
        select(LedgerEntry).where(LedgerEntry.agreement_id == agreement_id).order_by(LedgerEntry.id)
    )
    return list(session.execute(query).scalars())


def last_ledger_day(session: Session, agreement_id: str) -> dt.date | None:
    entries = ledger_entries(session, agreement_id)
    return max((e.day for e in entries), default=None)


def _kind(kind: str) -> LedgerKind:
    if kind not in ("reserve", "release", "consume", "depart"):
        raise ValueError(f"unknown ledger row kind {kind!r}")
    return kind  # type: ignore[return-value]


def notices(session: Session, item_id: int) -> list[Notice]:
    query = select(NoticeRecord).where(NoticeRecord.item_id == item_id).order_by(NoticeRecord.id)
    return [
        Notice(n.case_id, n.recipient, n.served_on, n.language, n.outcome)  # type: ignore[arg-type]
        for n in session.execute(query).scalars()
    ]


def notice_records(session: Session, item_id: int) -> list[NoticeRecord]:
    """The item's notices as stored (with their documents' hashes), in the order recorded."""
    query = select(NoticeRecord).where(NoticeRecord.item_id == item_id).order_by(NoticeRecord.id)
    return list(session.execute(query).scalars())


def notices_of_items(session: Session, item_ids: Collection[int]) -> dict[int, list[Notice]]:
    """Every notice of the given items, by item, each item's in the order recorded."""
    found: dict[int, list[Notice]] = {}
    for chunk in in_lists(item_ids):
        query = (
            select(NoticeRecord)
            .where(NoticeRecord.item_id.in_(chunk))
            .order_by(NoticeRecord.item_id, NoticeRecord.id)
        )
        for n in session.execute(query).scalars():
            found.setdefault(n.item_id, []).append(
                Notice(n.case_id, n.recipient, n.served_on, n.language, n.outcome)  # type: ignore[arg-type]
            )
    return found


def pending_fear_claims(session: Session, item_id: int) -> list[FearClaimRecord]:
    query = select(FearClaimRecord).where(
        FearClaimRecord.item_id == item_id, FearClaimRecord.outcome == "pending"
    )
    return list(session.execute(query.order_by(FearClaimRecord.id)).scalars())


def open_fear_claim(
    session: Session, item_id: int, *, case_id: str | None = None
) -> FearClaimRecord | None:
    """The latest pending claim on the item, or of one member."""
    pending = pending_fear_claims(session, item_id)
    if case_id is not None:
        pending = [c for c in pending if c.case_id == case_id]
    return pending[-1] if pending else None


def fear_claims(session: Session, item_id: int) -> list[FearClaimRecord]:
    query = select(FearClaimRecord).where(FearClaimRecord.item_id == item_id)
    return list(session.execute(query.order_by(FearClaimRecord.id)).scalars())


def movements(session: Session, item_id: int) -> list[Movement]:
    query = select(Movement).where(Movement.item_id == item_id).order_by(Movement.id)
    return list(session.execute(query).scalars())


def check_ins(session: Session, item_id: int) -> list[CheckIn]:
    query = select(CheckIn).where(CheckIn.item_id == item_id).order_by(CheckIn.due_days)
    return list(session.execute(query).scalars())


def open_check_ins(session: Session, agreement_id: str, due_by: dt.date) -> list[CheckIn]:
    """Check-ins not yet done under an agreement that fall due by `due_by`, soonest first."""
    query = (
        select(CheckIn)
        .join(ProposalItem, ProposalItem.id == CheckIn.item_id)
        .where(
            ProposalItem.agreement_id == agreement_id,
            CheckIn.done_on.is_(None),
            CheckIn.due_on <= due_by,
        )
        .order_by(CheckIn.due_on, CheckIn.item_id, CheckIn.due_days)
    )
    return list(session.execute(query).scalars())


def check_ins_due(session: Session, on: dt.date) -> list[CheckIn]:
    query = (
        select(CheckIn)
        .where(CheckIn.done_on.is_(None), CheckIn.due_on <= on)
        .order_by(CheckIn.due_on, CheckIn.item_id)
    )
    return list(session.execute(query).scalars())


def incidents(session: Session, agreement_id: str) -> list[Incident]:
    query = select(Incident).where(Incident.agreement_id == agreement_id).order_by(Incident.id)
    return list(session.execute(query).scalars())


def suspensions(session: Session, agreement_id: str) -> list[str]:
    """The agreement's suspending incidents that no supervisor has lifted, as S12 names them."""
    query = (
        select(Incident.id, Incident.kind, Incident.reported_on)
        .where(
            Incident.agreement_id == agreement_id,
            Incident.suspends.is_(True),
            Incident.lifted_on.is_(None),
        )
        .order_by(Incident.id)
    )
    return [
        f"incident {id_} ({kind.replace('_', ' ')}, {day})"
        for id_, kind, day in session.execute(query)
    ]


def open_items_of(session: Session, families: Iterable[str]) -> list[ProposalItem]:
    """The open items (before transfer) of the given families, in id order."""
    found: list[ProposalItem] = []
    for chunk in in_lists(families):
        query = select(ProposalItem).where(ProposalItem.open_family.in_(chunk))
        found += session.execute(query).scalars()
    return sorted(found, key=lambda item: item.id)


def pending_claims_of(session: Session, case_id: str) -> list[FearClaimRecord]:
    """A person's fear claims pending in the workflow, on any item."""
    query = select(FearClaimRecord).where(
        FearClaimRecord.case_id == case_id, FearClaimRecord.outcome == "pending"
    )
    return list(session.execute(query).scalars())


def notices_of_person(session: Session, case_id: str) -> list[NoticeRecord]:
    """Every notice served on a person or their counsel, on any item, in the order recorded."""
    query = select(NoticeRecord).where(NoticeRecord.case_id == case_id).order_by(NoticeRecord.id)
    return list(session.execute(query).scalars())


def fear_claims_of_person(session: Session, case_id: str) -> list[FearClaimRecord]:
    """Every fear claim of a person, on any item, in the order recorded."""
    query = (
        select(FearClaimRecord)
        .where(FearClaimRecord.case_id == case_id)
        .order_by(FearClaimRecord.id)
    )
    return list(session.execute(query).scalars())
