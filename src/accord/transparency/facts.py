"""The facts a transparency report counts, read from the store up to the end of its period:
each a ledger row, a decision or a record, with the source an officer can trace it to."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.agreements.service import stored_agreements
from accord.models import (
    CheckIn,
    Incident,
    ItemEvent,
    NoticeRecord,
    Payment,
    Person,
    Proposal,
    ProposalItem,
)
from accord.proposals import repository
from accord.records.agreement import AgreementIn, CapIn
from accord.transparency import payments as paid
from accord.transparency.model import (
    AgreementFacts,
    Fact,
    Money,
    PaymentLine,
    PledgeLine,
    Quarter,
    ReportInput,
    Stock,
    Suspension,
    Waiting,
)
from accord.workflow.quota import present

REJECTED = "families_rejected"
ONWARD_PREFIX = "onward_"


def _source_text(agreement: AgreementIn, key: str | None) -> str:
    source = agreement.sources.get(key) if key else None
    if source is None:
        return ""
    return f"{source.publisher}, {source.date}" if source.date else source.publisher


def cap_text(cap: CapIn) -> str:
    """A cap as it was reported: its figure (a floor when "more than"), or unknown."""
    unit = {
        "persons_per_period": "people",
        "families_per_period": "families",
        "present_at_once": "people present at once",
    }.get(cap.kind, cap.kind.replace("_", " "))
    if cap.limit is None:
        figure = f"a cap on {unit}, figure not reported"
    elif cap.lower_bound:
        figure = f"more than {cap.limit:,} {unit} (reported as a floor)"
    else:
        figure = f"up to {cap.limit:,} {unit}"
    if cap.period:
        figure += f" per {cap.period}"
    return figure + (f" ({cap.note})" if cap.note else "")


def _pledge(agreement: AgreementIn) -> list[PledgeLine]:
    lines = [
        PledgeLine(cap_text(cap), _source_text(agreement, cap.source)) for cap in agreement.caps
    ]
    return lines or [PledgeLine("no cap reported (open-ended)", "")]


def report_input(
    session: Session, quarter: Quarter, agreement_id: str | None = None
) -> ReportInput:
    """Every fact up to the quarter's last day, of one agreement or of all."""

    end = quarter.end
    agreements = [
        a for a in stored_agreements(session) if agreement_id is None or a.id == agreement_id
    ]
    ids = {a.id for a in agreements}
    facts: list[Fact] = []
    items = {
        item.id: item
        for item in session.scalars(
            select(ProposalItem).where(ProposalItem.agreement_id.in_(ids)).order_by(ProposalItem.id)
        )
    }
    pools = {
        p.id: p for p in session.scalars(select(Proposal).where(Proposal.agreement_id.in_(ids)))
    }
    for item in items.values():
        day = pools[item.proposal_id].proposed_on
        if day <= end:
            source = f"item {item.id} proposed in pool {item.proposal_id} on {day}"
            facts.append(Fact(item.agreement_id, day, "families_proposed", "all", 1, source))
            facts.append(Fact(item.agreement_id, day, "people_proposed", "all", item.size, source))
    nationality = _nationalities(session, items.values())
    events = session.scalars(
        select(ItemEvent)
        .where(ItemEvent.item_id.in_(list(items)), ItemEvent.day <= end)
        .order_by(ItemEvent.id)
    )
    transferred_on: dict[int, dt.date] = {}
    for event in events:
        item = items[event.item_id]
        source = f"item {item.id}: {event.action} on {event.day} (event {event.id})"
        if event.action == "transfer":
            transferred_on[item.id] = event.day
        facts += [
            Fact(item.agreement_id, event.day, measure, category, value, source)
            for measure, category, value in _counted(event, item, nationality)
        ]
    for check_in in session.scalars(
        select(CheckIn).where(CheckIn.item_id.in_(list(items))).order_by(CheckIn.id)
    ):
        agreement = items[check_in.item_id].agreement_id
        source = (
            f"item {check_in.item_id}: {check_in.due_days}-day check-in (check-in {check_in.id})"
        )
        if check_in.due_on <= end:
            facts.append(Fact(agreement, check_in.due_on, "checkins", "due", 1, source))
        if check_in.done_on is not None and check_in.done_on <= end:
            facts.append(Fact(agreement, check_in.done_on, "checkins", "done", 1, source))
    incidents = list(
        session.scalars(
            select(Incident)
            .where(Incident.agreement_id.in_(ids), Incident.reported_on <= end)
            .order_by(Incident.id)
        )
    )
    for incident in incidents:
        facts.append(
            Fact(
                incident.agreement_id,
                incident.reported_on,
                "incidents",
                incident.kind,
                1,
                f"incident {incident.id} reported on {incident.reported_on}",
            )
        )
    stocks = _stocks(session, agreements, quarter)
    waits = _waits(session, items, transferred_on)
    return ReportInput(
        quarter,
        [_agreement_facts(a, incidents, paid.payments(session, a.id), end) for a in agreements],
        facts,
        stocks,
        waits,
    )


def _counted(
    event: ItemEvent, item: ProposalItem, nationality: dict[str, str]
) -> list[tuple[str, str, int]]:
    """What one decision counts: (measure, category, value)."""
    if event.action == "accept":
        return [("families_accepted", "all", 1), ("people_accepted", "all", item.size)]
    if event.action == "reject":
        return [(REJECTED, event.reason_code or "none", 1)]
    if event.action == "revoke":
        return [("families_revoked", event.reason_code or "none", 1)]
    if event.action == "cancel":
        return [("families_cancelled", "all", 1)]
    if event.action == "transfer":
        return [("families_transferred", "all", 1)] + [
            ("people_transferred", nationality.get(case_id, "unknown"), 1)
            for case_id in item.members or []
        ]
    if event.action.startswith(ONWARD_PREFIX):
        return [("families_onward", event.action.removeprefix(ONWARD_PREFIX), 1)]
    return []


def _nationalities(session: Session, items: Iterable[ProposalItem]) -> dict[str, str]:
    """The first nationality of every member of the items (people's own record)."""
    cases = {c for item in items for c in (item.members or [])}
    if not cases:
        return {}
    rows = session.execute(
        select(Person.case_id, Person.nationalities).where(Person.case_id.in_(sorted(cases)))
    )
    return {case: (nats[0] if nats else "unknown") for case, nats in rows}


def _stocks(session: Session, agreements: list[AgreementIn], last: Quarter) -> list[Stock]:
    """People present at once on the last day of every quarter up to `last`, per agreement."""
    stocks: list[Stock] = []
    for agreement in agreements:
        rows = repository.ledger(session, agreement.id)
        if not rows:
            continue
        quarter = Quarter.of(min(r.day for r in rows))
        while quarter <= last:
            upto = [r for r in rows if r.day <= quarter.end]
            sources = tuple(
                f"ledger: item {r.item_id} {r.kind} {r.persons} on {r.day}"
                for r in upto
                if r.kind in ("consume", "depart")
            )
            stocks.append(Stock(agreement.id, quarter, "present", present(upto), sources))
            quarter = (
                Quarter(quarter.year + 1, 1)
                if quarter.number == 4
                else Quarter(quarter.year, quarter.number + 1)
            )
    return stocks


def _waits(
    session: Session, items: dict[int, ProposalItem], transferred_on: dict[int, dt.date]
) -> list[Waiting]:
    """Days from the last valid service of notice to the transfer, per family transferred."""
    served: dict[int, dt.date] = defaultdict(lambda: dt.date.min)
    for notice in session.scalars(
        select(NoticeRecord).where(
            NoticeRecord.item_id.in_(list(transferred_on)), NoticeRecord.outcome == "served"
        )
    ):
        if notice.served_on <= transferred_on[notice.item_id]:
            served[notice.item_id] = max(served[notice.item_id], notice.served_on)
    return [
        Waiting(
            items[item_id].agreement_id,
            day,
            (day - served[item_id]).days,
            f"item {item_id}: notice served {served[item_id]}, transferred {day}",
        )
        for item_id, day in sorted(transferred_on.items())
        if item_id in served
    ]


def _agreement_facts(
    agreement: AgreementIn, incidents: list[Incident], payments: Sequence[Payment], end: dt.date
) -> AgreementFacts:
    money = agreement.money_per_person
    return AgreementFacts(
        id=agreement.id,
        title=agreement.title or agreement.id,
        sender=agreement.sender,
        receiver=agreement.receiver,
        status=agreement.status,
        pledge=_pledge(agreement),
        price=Money(money.amount, money.currency) if money else None,
        price_source=_source_text(agreement, money.source) if money else "",
        payments=[
            PaymentLine(p.paid_on, p.amount, p.currency, p.reference)
            for p in payments
            if p.paid_on <= end
        ],
        suspensions=[
            Suspension(
                i.reported_on, i.lifted_on if i.lifted_on and i.lifted_on <= end else None, i.kind
            )
            for i in incidents
            if i.agreement_id == agreement.id and i.suspends
        ],
    )
