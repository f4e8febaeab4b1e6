"""What an acting user may read of the workflow, assembled from the store: a pool, one item's
timeline, the ledger of an agreement, and an agreement's months.

Who may read what (DESIGN §1, §6): the sender's officers and supervisors read everything of
the sender's agreements; a receiver's reviewer reads the pools proposed to its own state, and a
monitor the agreements that name it, both through `accord.workflow.disclosure`: the states and
moves they see, and nothing of notices, fear claims, interviews or the sender's reasons; and a
check-in's note only when its author shared it (`accord.workflow.audience`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy.orm import Session

from accord.access import Actor, may_read, may_see, sees_claims
from accord.access import shown_state as access_shown_state
from accord.agreements.service import stored_agreement
from accord.audit.service import Entry, record, record_many
from accord.cases.minimized import MinimizedPerson
from accord.cases.service import stored_people
from accord.clock import as_utc
from accord.errors import Forbidden, NotFound
from accord.models import (
    CheckIn,
    ItemEvent,
    LedgerEntry,
    Movement,
    NoticeRecord,
    Proposal,
    ProposalItem,
)
from accord.proposals import repository
from accord.proposals.repository import AgreementParties, PoolRow
from accord.records.agreement import AgreementIn
from accord.workflow.audience import WITHHELD, Audience, audience_seen, readable
from accord.workflow.disclosure import (
    RECEIVER_ACTIONS,
    THE_SENDER,
    offered_moves,
    seen_move,
    shown_author,
)
from accord.workflow.guards import unserved
from accord.workflow.quota import Held, held, present
from accord.workflow.transitions import State, moves_from


def shown_state(state: str, actor: Actor) -> str:
    return access_shown_state(state, actor.role)


Reading = Literal["sender", "receiver"]
"""Whose view a reader gets: the sender's (everything) or the receiver's (the minimized view and
the seen states); a monitor reads as a receiver does."""


def reading(actor: Actor) -> Reading:
    return "sender" if sees_claims(actor.role) else "receiver"


# --- One item ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    day: dt.date
    what: str
    who: str = ""
    at: dt.datetime | None = None
    rank: int = 1
    """Orders entries of one day: moves, then date-only records (notices, check-ins), then the
    moves those records allow (notified, closed)."""


def _in_order(entries: list[TimelineEntry]) -> list[TimelineEntry]:
    """Moves in the order they were made (time, then record order, as a standing clock makes
    ties); a date-only record (a notice, a check-in) just before the move it allowed that day
    (notified, closed), or else at the day's end."""
    end_of_day = dt.time(23, 59, 59, tzinfo=dt.UTC)
    allowed: dict[dt.date, tuple[dt.datetime, float]] = {}
    for n, entry in enumerate(entries):
        if entry.rank == 2 and entry.at is not None and entry.day not in allowed:
            allowed[entry.day] = (entry.at, n - 0.5)
    order = {id(e): n for n, e in enumerate(entries)}

    def key(e: TimelineEntry) -> tuple[dt.date, dt.datetime, float]:
        if e.at is not None:
            return (e.day, e.at, order[id(e)])
        at, seq = allowed.get(e.day, (dt.datetime.combine(e.day, end_of_day), len(entries)))
        return (e.day, at, seq + order[id(e)] / (len(entries) + 1) / 2)

    return sorted(entries, key=key)


@dataclass(frozen=True)
class CheckInView:
    """A check-in as its reader may read it."""

    days: int
    due_on: dt.date
    done_on: dt.date | None
    by: str | None
    note: str | None
    """None when there is none, or when it is for the sender's staff and the reader is not."""
    audience: Audience | None
    """Who the note is for: told to the sender's staff only."""


def check_in_view(check_in: CheckIn, actor: Actor) -> CheckInView:
    return CheckInView(
        check_in.due_days,
        check_in.due_on,
        check_in.done_on,
        shown_author(check_in.by, check_in.by_role, actor.role),
        readable(check_in.note, check_in.shared, actor.role),
        audience_seen(check_in.shared, actor.role) if check_in.done_on else None,
    )


def _check_in_entry(check_in: CheckIn, day: dt.date, actor: Actor) -> TimelineEntry:
    """A recorded check-in on the timeline: its note, with whom it is for, to the sender's
    staff; a shared note to anyone else, and otherwise only that it was recorded."""
    seen = check_in_view(check_in, actor)
    what = f"{seen.days}-day check-in"
    if seen.note is not None:
        what += f": {seen.note}"
        if seen.audience is not None:
            what += " (shared note)" if seen.audience is Audience.SHARED else f" ({WITHHELD})"
    else:
        what += " recorded"
    return TimelineEntry(day, what, seen.by or "")


@dataclass(frozen=True)
class ItemView:
    item: ProposalItem
    agreement: AgreementIn
    state: str
    since: dt.date
    """The day the state, as the reader sees it, began."""
    entries: list[TimelineEntry]
    movements: list[Movement]
    check_ins: list[CheckInView]
    next_moves: list[str]


def _event_entry(event: ItemEvent, actor: Actor) -> TimelineEntry | None:
    """One move as the actor may read it: everything for the sender's staff; for a receiver or
    a monitor, only a move that changes what they see (`accord.workflow.disclosure`), with the
    details of their own moves and the day of a scheduled transfer, and nothing of the sender's
    reasons, texts or staff."""
    if sees_claims(actor.role):
        what = f"{event.action}: " + (
            f"{event.from_state} → {event.to_state}" if event.from_state else event.to_state
        )
        if event.reason_code:
            what += f"; reason {event.reason_code}"
            if event.reason_text:
                what += f": {event.reason_text}"
        details = {k: v for k, v in (event.data or {}).items() if v is not None}
        who = f"{event.actor} ({event.role})"
    else:
        seen = seen_move(event.action, event.from_state, event.to_state)
        if seen is None:
            return None
        what, details, who = seen, {}, THE_SENDER
        if event.action in RECEIVER_ACTIONS:
            who = f"{event.actor} ({event.role})"
            if event.reason_code:
                what += f"; reason {event.reason_code}"
                if event.reason_text:
                    what += f": {event.reason_text}"
            details = {k: v for k, v in (event.data or {}).items() if v is not None}
        elif event.action == "schedule":
            details = {"for": (event.data or {}).get("scheduled_for")}
    if details:
        what += " (" + ", ".join(f"{k} {v}" for k, v in sorted(details.items())) + ")"
    return TimelineEntry(
        event.day,
        what,
        who,
        event.at,
        rank=2 if event.action in ("notify", "close") else 0,
    )


def readable_item(session: Session, item_id: int, actor: Actor) -> ProposalItem:
    """An item the actor may read. Any other is not found, exactly as an item that does not
    exist: asked before a move too, so that a refusal never tells whose an item is."""
    missing = f"no proposal item {item_id}"
    found = repository.item_with_parties(session, item_id)
    if found is None:
        raise NotFound(missing)
    item, parties = found
    may_read(actor, parties, missing)
    return item


def item_view(session: Session, item_id: int, actor: Actor) -> ItemView:
    """One item's timeline as the actor may see it; the read is written to the audit log."""
    item = readable_item(session, item_id, actor)
    agreement = stored_agreement(session, item.agreement_id)
    entries = [
        entry
        for event in repository.events(session, item.id)
        if (entry := _event_entry(event, actor)) is not None
    ]
    if sees_claims(actor.role):
        entries += [
            TimelineEntry(
                n.served_on,
                f"notice to {n.case_id} ({n.recipient}) in {n.language}:"
                f" {n.outcome.replace('_', ' ')}",
            )
            for n in repository.notices(session, item.id)
        ]
        for claim in repository.fear_claims(session, item.id):
            if claim.interview_at is not None and claim.interview_notice_at is not None:
                entries.append(
                    TimelineEntry(
                        claim.interview_notice_at.date(),
                        f"fear interview of {claim.case_id} set for"
                        f" {claim.interview_at:%Y-%m-%d %H:%M} UTC",
                        at=claim.interview_notice_at,
                    )
                )
            if claim.reopening_until is not None and claim.decided_on is not None:
                entries.append(
                    TimelineEntry(
                        claim.decided_on,
                        f"reopening window for {claim.case_id} until {claim.reopening_until}",
                    )
                )
    check_ins = repository.check_ins(session, item.id)
    entries += [_check_in_entry(c, c.done_on, actor) for c in check_ins if c.done_on is not None]
    entries = _in_order(entries)
    record(
        session,
        actor.name,
        Entry("item.read", "proposal_item", str(item.id), {"role": actor.role}),
    )
    seen = shown_state(item.state, actor)
    sees = sees_claims(actor.role)
    next_moves = moves_from(State(item.state)) if sees else offered_moves(seen, actor.role)
    return ItemView(
        item,
        agreement,
        seen,
        item.state_since if sees else item.seen_since,
        entries,
        repository.movements(session, item.id),
        [check_in_view(c, actor) for c in check_ins],
        next_moves,
    )


@dataclass(frozen=True)
class ItemSeen:
    """One item as its reader may see it, with its family through the minimized view: what the
    API's `items.get` answers and the item's page shows."""

    id: int
    pool_id: int
    agreement_id: str
    family_id: str
    size: int
    state: str
    state_since: dt.date
    view: Reading
    members: list[MinimizedPerson]
    timeline: list[TimelineEntry]
    movements: list[Movement]
    check_ins: list[CheckInView]
    next_moves: list[str]


def item_seen(session: Session, item_id: int, actor: Actor) -> ItemSeen:
    """`item_view`, and the family's members (each read in the audit log)."""
    view = item_view(session, item_id, actor)
    item = view.item
    return ItemSeen(
        id=item.id,
        pool_id=item.proposal_id,
        agreement_id=item.agreement_id,
        family_id=item.family_id,
        size=item.size,
        state=view.state,
        state_since=view.since,
        view=reading(actor),
        members=family_members(session, [item], actor)[item.id],
        timeline=view.entries,
        movements=view.movements,
        check_ins=view.check_ins,
        next_moves=view.next_moves,
    )


# --- A pool -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolItemSeen:
    """One family of a pool as its reader may see it: the matcher's score and reasons are the
    sender's."""

    id: int
    family_id: str
    size: int
    state: str
    state_since: dt.date
    score: float | None
    why: str | None


@dataclass(frozen=True)
class PoolSeen:
    """A pool as its reader may see it: what the API answers and the pool's page shows."""

    id: int
    agreement_id: str
    proposed_on: dt.date
    pool_limit: int
    view: Reading
    method: str | None
    objective: float | None
    gap: float | None
    families: int
    people: int
    items: list[PoolItemSeen]


def pool_seen(
    proposal: Proposal, items: Sequence[ProposalItem | PoolRow], actor: Actor
) -> PoolSeen:
    """A pool and its items as the actor may see them (the pool was read through `pool_view`,
    or proposed by the actor)."""
    sender = sees_claims(actor.role)
    return PoolSeen(
        id=proposal.id,
        agreement_id=proposal.agreement_id,
        proposed_on=proposal.proposed_on,
        pool_limit=proposal.pool_limit,
        view=reading(actor),
        method=proposal.method if sender else None,
        objective=proposal.objective if sender else None,
        gap=proposal.gap if sender else None,
        families=len(items),
        people=sum(i.size for i in items),
        items=[
            PoolItemSeen(
                id=item.id,
                family_id=item.family_id,
                size=item.size,
                state=shown_state(item.state, actor),
                state_since=item.state_since if sender else item.seen_since,
                score=item.score if sender else None,
                why=item.why if sender else None,
            )
            for item in items
        ],
    )


@dataclass(frozen=True)
class PoolView:
    proposal: Proposal
    parties: AgreementParties
    items: list[PoolRow]
    states: dict[int, str]
    since: dict[int, dt.date]
    """Each item's state and the day it began, as the reader sees them."""


def pool_view(session: Session, proposal_id: int, actor: Actor) -> PoolView:
    """A pool as its reader may see it. Read on every request for a pool, so it takes two
    queries: the proposal with its agreement's parties (for scoping), then its items."""
    missing = f"no proposal {proposal_id}"
    found = repository.proposal_with_parties(session, proposal_id)
    if found is None:
        raise NotFound(missing)
    proposal, parties = found
    may_read(actor, parties, missing)
    items = repository.pool_rows(session, proposal.id)
    sees = sees_claims(actor.role)
    return PoolView(
        proposal,
        parties,
        items,
        {i.id: shown_state(i.state, actor) for i in items},
        {i.id: i.state_since if sees else i.seen_since for i in items},
    )


def family_members(
    session: Session, items: Sequence[ProposalItem | PoolRow], actor: Actor
) -> dict[int, list[MinimizedPerson]]:
    """Each item's family through the minimized view (DESIGN §6), whoever reads it: what a
    receiver needs to decide, and nothing more. Read only items the actor was allowed (through
    `pool_view` or `item_view`); each person's read is in the audit log."""
    found = {
        item.id: [MinimizedPerson.of(r) for r in stored_people(session, family_id=item.family_id)]
        for item in items
    }
    record_many(
        session,
        actor.name,
        [
            Entry(
                "person.read",
                "person",
                member.case_id,
                {"view": "minimized", "via": f"item {item_id}", "role": actor.role},
            )
            for item_id, members in found.items()
            for member in members
        ],
    )
    return found


@dataclass(frozen=True)
class NoticeStanding:
    """Where an item stands on written notice (S6) after an attempt: the sender's view."""

    state: str
    unserved: list[str]
    """Who must still be validly served, as `case id (person|counsel)`."""


def notice_standing(session: Session, item_id: int, day: dt.date) -> NoticeStanding:
    """The item's state, and who is not yet validly served on it on `day` (counting notices
    from the receiver's acceptance, as the guards do). For the sender's staff only: it tells
    of notices, which a receiver never reads."""
    item = repository.get_item(session, item_id)
    if item is None:
        raise NotFound(f"no proposal item {item_id}")
    missing = unserved(
        stored_people(session, family_id=item.family_id),
        repository.notices(session, item.id),
        day,
        accepted_on=item.reserved_on,
    )
    return NoticeStanding(item.state, missing)


def notice_documents(
    session: Session, item_id: int, actor: Actor, *, case_id: str | None = None
) -> list[NoticeRecord]:
    """The notices served on the item with a document (optionally on one member), oldest
    first: the sender's staff read them; to anyone else there are none, as there is no notice.
    Reading a notice document is audited (it is a person's record)."""
    readable_item(session, item_id, actor)
    if not sees_claims(actor.role):
        raise NotFound(f"no notice documents on item {item_id}")
    found = [
        n
        for n in repository.notice_records(session, item_id)
        if n.document_sha256 is not None and (case_id is None or n.case_id == case_id)
    ]
    if found:
        record(
            session,
            actor.name,
            Entry(
                "notice.read",
                "proposal_item",
                str(item_id),
                {"notices": [n.id for n in found]},
            ),
        )
    return found


def waiting(view: PoolView) -> list[PoolRow]:
    """The pool's families still waiting for the receiver's decision."""
    return [item for item in view.items if item.state == "proposed"]


# --- The ledger -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerView:
    agreement: AgreementIn
    day: dt.date
    caps: list[Held]
    present: int
    entries: list[LedgerEntry]


def ledger_view(session: Session, agreement_id: str, day: dt.date, actor: Actor) -> LedgerView:
    """Each cap's limit, what it holds on `day` and what is left; every ledger row."""
    agreement = stored_agreement(session, agreement_id)
    may_read(actor, agreement, f"no agreement {agreement_id!r}")
    rows = repository.ledger(session, agreement.id)
    return LedgerView(
        agreement,
        day,
        held(agreement, rows, day),
        present(rows),
        repository.ledger_entries(session, agreement.id),
    )


# --- An agreement's months --------------------------------------------------------------------


@dataclass
class Month:
    """What happened under an agreement in one calendar month."""

    month: str
    pools: list[tuple[int, int, int, int]] = field(default_factory=list)
    """(proposal id, families, people, pool limit)."""
    accepted: list[int] = field(default_factory=list)
    """Family sizes."""
    rejected: Counter[str] = field(default_factory=Counter)
    revoked: Counter[str] = field(default_factory=Counter)
    notices: Counter[str] = field(default_factory=Counter)
    notified: int = 0
    fear_raised: int = 0
    fear_decided: Counter[str] = field(default_factory=Counter)
    cleared: Counter[str] = field(default_factory=Counter)
    """Clearances per supervisor."""
    cancelled: Counter[str] = field(default_factory=Counter)
    scheduled: int = 0
    transferred: list[int] = field(default_factory=list)
    onward: Counter[str] = field(default_factory=Counter)
    check_ins: Counter[int] = field(default_factory=Counter)
    closed: int = 0
    incidents: list[str] = field(default_factory=list)


def months(session: Session, agreement_id: str, actor: Actor) -> list[Month]:
    """Month by month: pools, decisions, notices, fear claims, clearances, transfers, onward
    outcomes, check-ins and incidents (the sender's view: officers and supervisors only)."""
    agreement = stored_agreement(session, agreement_id)
    may_read(actor, agreement, f"no agreement {agreement_id!r}")
    if not sees_claims(actor.role):
        raise Forbidden(f"{actor.name} ({actor.role}) may not read the sender's month by month")
    by_month: dict[str, Month] = {}

    def at(day: dt.date) -> Month:
        key = f"{day:%Y-%m}"
        return by_month.setdefault(key, Month(key))

    items = {i.id: i for i in repository.items(session, agreement_id=agreement_id)}
    for proposal in repository.proposals(session, agreement_id):
        members = [i for i in items.values() if i.proposal_id == proposal.id]
        at(proposal.proposed_on).pools.append(
            (proposal.id, len(members), sum(i.size for i in members), proposal.pool_limit)
        )
    for event in repository.events_of_agreement(session, agreement_id):
        month, size = at(event.day), items[event.item_id].size
        action, code = event.action, event.reason_code or "none"
        if action == "accept":
            month.accepted.append(size)
        elif action == "reject":
            month.rejected[code] += 1
        elif action == "revoke":
            month.revoked[code] += 1
        elif action == "notify":
            month.notified += 1
        elif action == "claim_fear":
            month.fear_raised += 1
        elif action.startswith("fear_"):
            month.fear_decided[action.removeprefix("fear_").removesuffix("_others_pending")] += 1
        elif action == "clear":
            month.cleared[event.actor] += 1
        elif action == "cancel":
            month.cancelled[code] += 1
        elif action == "schedule":
            month.scheduled += 1
        elif action == "transfer":
            month.transferred.append(size)
        elif action.startswith("onward_"):
            month.onward[action.removeprefix("onward_")] += 1
        elif action == "close":
            month.closed += 1
    for item in items.values():
        for notice in repository.notices(session, item.id):
            at(notice.served_on).notices[notice.outcome] += 1
        for check_in in repository.check_ins(session, item.id):
            if check_in.done_on is not None:
                at(check_in.done_on).check_ins[check_in.due_days] += 1
    for incident in repository.incidents(session, agreement_id):
        suspends = ", agreement suspended (S15)" if incident.suspends else ""
        at(incident.reported_on).incidents.append(
            f"{incident.kind.replace('_', ' ')} reported by {incident.reported_by}{suspends}"
        )
        if incident.lifted_on is not None:
            at(incident.lifted_on).incidents.append(
                f"suspension lifted by {incident.lifted_by}: {incident.lift_reason}"
            )
    return [by_month[key] for key in sorted(by_month)]


@dataclass(frozen=True, slots=True)
class FamilyItem:
    """One proposal item of a family, as its reader may read it, with its timeline."""

    id: int
    pool_id: int
    agreement_id: str
    state: str
    since: dt.date
    size: int
    moments: tuple[tuple[dt.datetime, TimelineEntry], ...]
    """Each timeline entry with a moment to sort by: an entry recorded without a time (a
    notice, a check-in) keeps its place in the item's order."""


def family_items(session: Session, family_id: str, actor: Actor) -> list[FamilyItem]:
    """Each item of the family under an agreement the actor may see, through the item's own
    view (so each item read is audited as `item_view` audits it)."""
    found: list[FamilyItem] = []
    for item in repository.items(session, family_id=family_id):
        if not may_see(actor.role, actor.party, stored_agreement(session, item.agreement_id)):
            continue
        view = item_view(session, item.id, actor)
        moments: list[tuple[dt.datetime, TimelineEntry]] = []
        last = dt.datetime.min.replace(tzinfo=dt.UTC)
        for entry in view.entries:
            midnight = dt.datetime.combine(entry.day, dt.time(0), tzinfo=dt.UTC)
            last = max(as_utc(entry.at) if entry.at else midnight, max(last, midnight))
            moments.append((last, entry))
        found.append(
            FamilyItem(
                item.id,
                item.proposal_id,
                item.agreement_id,
                view.state,
                item.state_since,
                item.size,
                tuple(moments),
            )
        )
    return found
