"""What an acting user reads of the monitoring of an agreement they may see: the check-ins due
after each transfer, the incidents reported (and the lifting of suspensions), and the counts a
monitor reads of the workflow, with small cells suppressed. The API and the pages read through
these, so each shows a user the same.

Who reads what (DESIGN §6): a note or an incident text only as its author's audience allows
(`accord.workflow.audience`), the sender's staff by name to the sender's staff only
(`accord.workflow.disclosure`), and the workflow's states as the role sees them. An agreement the
user may not see is not found (`accord.agreements.views`)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from sqlalchemy.orm import Session

from accord.access import Actor, shown_state
from accord.agreements.views import visible_agreement
from accord.proposals import repository
from accord.statistics.suppression import SMALLEST_THRESHOLD, protect
from accord.statistics.suppression import Cell as StatCell
from accord.workflow.audience import Audience, audience_seen, readable
from accord.workflow.disclosure import shown_author
from accord.workflow.quota import present

# --- Check-ins ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckInDue:
    """A check-in after a transfer as its reader may read it."""

    item_id: int
    days: int
    due_on: dt.date
    done_on: dt.date | None
    overdue: bool
    note: str | None
    """None when there is none, or when it is for the sender's staff and the reader is not."""
    audience: Audience | None
    """Who the note is for: told to the sender's staff only, once the check-in is done."""


def check_ins_due(
    session: Session, actor: Actor, agreement_id: str, day: dt.date, *, pending: bool = False
) -> list[CheckInDue]:
    """Every check-in of the agreement's transferred families (only those not yet done, when
    `pending`), soonest due first; overdue when not done and due before `day`."""
    visible_agreement(session, actor, agreement_id)
    rows = [
        CheckInDue(
            item_id=c.item_id,
            days=c.due_days,
            due_on=c.due_on,
            done_on=c.done_on,
            overdue=c.done_on is None and c.due_on < day,
            note=readable(c.note, c.shared, actor.role),
            audience=audience_seen(c.shared, actor.role) if c.done_on else None,
        )
        for item in repository.items(session, agreement_id=agreement_id)
        for c in repository.check_ins(session, item.id)
        if not (pending and c.done_on is not None)
    ]
    rows.sort(key=lambda c: (c.due_on, c.item_id))
    return rows


# --- Incidents (S15) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentSeen:
    """An incident reported under an agreement, and the lifting of the suspension it caused,
    as its reader may read them."""

    id: int
    agreement_id: str
    kind: str
    reported_on: dt.date
    suspends: bool
    reported_by: str
    """The author, or `the sender` to a reader outside the sender's staff."""
    text: str | None
    """None when it is for the sender's staff and the reader is not."""
    audience: Audience | None
    """Who the text is for: told to the sender's staff only."""
    lifted_on: dt.date | None
    lifted_by: str | None
    lift_reason: str | None
    """The supervisor's reason, the sender's own words: read by the sender's staff only."""


def incidents_seen(session: Session, actor: Actor, agreement_id: str) -> list[IncidentSeen]:
    """The incidents reported under the agreement, in the order they were reported."""
    visible_agreement(session, actor, agreement_id)
    role = actor.role
    return [
        IncidentSeen(
            id=i.id,
            agreement_id=agreement_id,
            kind=i.kind,
            reported_on=i.reported_on,
            suspends=i.suspends,
            reported_by=shown_author(i.reported_by, i.reported_role, role) or "",
            text=readable(i.text, i.shared, role),
            audience=audience_seen(i.shared, role),
            lifted_on=i.lifted_on,
            lifted_by=shown_author(i.lifted_by, "supervisor", role),
            lift_reason=readable(i.lift_reason, False, role),
        )
        for i in repository.incidents(session, agreement_id)
    ]


# --- Aggregates --------------------------------------------------------------------------------

SMALL_CELL = SMALLEST_THRESHOLD
"""Counts from 1 to 4 are suppressed in what a monitor reads (DESIGN §6), and so is any count
that would give one back (the rejected families against their reasons): the rules of the
transparency report (`accord.statistics.suppression`)."""


@dataclass(frozen=True)
class Cell:
    """A count and what it counts; the count is None when it is suppressed."""

    label: str
    count: int | None


@dataclass(frozen=True)
class Aggregates:
    """The counts of an agreement's workflow and monitoring on a day, small cells suppressed:
    all a monitor reads of the workflow."""

    agreement_id: str
    day: dt.date
    suppressed_below: int
    """Counts from 1 to one less than this are suppressed."""
    families_by_state: list[Cell]
    people_transferred: Cell
    people_present: Cell
    rejections_by_reason: list[Cell]
    check_ins_done: Cell
    check_ins_overdue: Cell
    incidents: Cell


def aggregates(session: Session, actor: Actor, agreement_id: str, day: dt.date) -> Aggregates:
    """The agreement's counts on `day`: families by state (as the actor's role sees the
    states), people transferred and present, rejections by reason, check-ins done and overdue,
    incidents."""
    visible_agreement(session, actor, agreement_id)
    items = repository.items(session, agreement_id=agreement_id)
    by_state = Counter(shown_state(i.state, actor.role) for i in items)
    reasons = Counter(
        e.reason_code or "none"
        for e in repository.events_of_agreement(session, agreement_id)
        if e.action == "reject"
    )
    rows = repository.ledger_entries(session, agreement_id)
    present_now = present(repository.ledger(session, agreement_id))
    check_ins = [c for i in items for c in repository.check_ins(session, i.id)]
    counts = {
        **{f"state/{s}": n for s, n in by_state.items()},
        **{f"reason/{code}": n for code, n in reasons.items()},
        "transferred": sum(r.persons for r in rows if r.kind == "consume"),
        "present": present_now,
        "check_ins_done": sum(c.done_on is not None for c in check_ins),
        "check_ins_overdue": sum(c.done_on is None and c.due_on < day for c in check_ins),
        "incidents": len(repository.incidents(session, agreement_id)),
    }
    hidden = _suppressed(counts)

    def cell(key: str, label: str) -> Cell:
        return Cell(label, None if key in hidden else counts.get(key, 0))

    return Aggregates(
        agreement_id=agreement_id,
        day=day,
        suppressed_below=SMALL_CELL,
        families_by_state=[cell(f"state/{s}", s) for s in sorted(by_state)],
        people_transferred=cell("transferred", "people transferred"),
        people_present=cell("present", "people present"),
        rejections_by_reason=[cell(f"reason/{code}", code) for code in sorted(reasons)],
        check_ins_done=cell("check_ins_done", "check-ins done"),
        check_ins_overdue=cell("check_ins_overdue", "check-ins overdue"),
        incidents=cell("incidents", "incidents"),
    )


def _suppressed(counts: dict[str, int]) -> frozenset[str]:
    """Which counts a monitor may not read: the small ones, and those that would give one back.
    The rejected families are the sum of the rejections by reason (each its own atom, with one
    more for rejected families whose reason is not counted), so a reason cannot be recovered
    from the rejected total; every other count stands alone."""
    atoms: dict[str, int] = {}

    def atom(name: str) -> int:
        return atoms.setdefault(name, len(atoms))

    reasons = {k: v for k, v in counts.items() if k.startswith("reason/")}
    cells = [
        StatCell(key, frozenset({atom(key)}), value)
        for key, value in counts.items()
        if key != "state/rejected"
    ]
    rejected = counts.get("state/rejected")
    if rejected is not None:
        unexplained = rejected - sum(reasons.values())
        members = {atom(k) for k in reasons}
        if unexplained >= 0:
            members.add(atom("reason/unexplained"))
            cells.append(
                StatCell("reason/unexplained", frozenset({atom("reason/unexplained")}), unexplained)
            )
        else:  # the counts do not add up (a reason counted twice): no relation to exploit
            members = {atom("state/rejected")}
        cells.append(StatCell("state/rejected", frozenset(members), rejected, total=True))
    protection = protect(cells, len(atoms), SMALL_CELL)
    return protection.suppressed
