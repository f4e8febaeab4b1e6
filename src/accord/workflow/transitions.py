"""The workflow of a proposal item (one family in one pool), as a table of data (DESIGN §3).

```
proposed ─► accepted ─► notified ─► cleared ─► scheduled ─► transferred ─► onward outcome ─► closed
   │           │           │                                                    (check-ins)
   ▼           ▼           ▼
rejected   revoked     fear_claimed ─► positive ─► blocked_protection
                                     ─► negative ─► reopening ─► cleared (once the window has passed)
any state before `transferred` ─► cancelled (stay, new claim, appeal, withdrawal): quota released
```

A fear claim may be raised at any point before transfer after acceptance, by any member (a
clearance or a schedule is then void and must be given again); each claim is interviewed and
decided on its own, and the item leaves `fear_claimed` when the last pending claim is decided.
Notice may be served at any point while the item holds its place (a child who turns 18, counsel
instructed late), and the notice period is checked again at clearance, scheduling and transfer. Each row names who may make the move, the
guards checked on the day of the move, and the ledger effect; the service applies a row inside
one transaction with its audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Literal, get_args

from accord.errors import IllegalTransition
from accord.records.vocabulary import CancelReason as CancelReason
from accord.records.vocabulary import OnwardOutcome


class State(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    REVOKED = "revoked"
    NOTIFIED = "notified"
    FEAR_CLAIMED = "fear_claimed"
    BLOCKED_PROTECTION = "blocked_protection"
    REOPENING = "reopening"
    CLEARED = "cleared"
    SCHEDULED = "scheduled"
    TRANSFERRED = "transferred"
    RETURNED_HOME = "returned_home"
    REMAINED = "remained"
    MOVED_ON = "moved_on"
    ABSCONDED = "absconded"
    RE_TRANSFERRED = "re_transferred"
    CLOSED = "closed"
    CANCELLED = "cancelled"


Role = Literal["admin", "officer", "supervisor", "reviewer", "monitor"]

Guard = Literal[
    "S9",  # the family as proposed: the same members, moving whole
    "S12",  # agreement in force, within term, not suspended, checklist, safety assessment
    "screening",  # S1–S5, S7–S9, S11 and the receiver's criteria, re-run on the day
    "reason",  # a reason code and text (for a rejection, when the agreement requires one)
    "served",  # valid written notice on every adult member and on counsel (S6)
    "S6",  # notice_days have passed since the last valid service
    "S10",  # medical fitness to travel, every member, as recorded on the day
    "fit_confirmed",  # the supervisor's sign-off confirms fitness to travel (S10)
    "S14",  # one supervisor's sign-off for this one family
    "S13",  # the quota ledger has room
    "interview",  # a fear interview was held before its outcome is recorded
    "schedule_day",  # the transfer happens on or after the scheduled day
    "check_ins",  # the monitoring check-ins (30, 90, 180 days) are all recorded
]

LedgerEffect = Literal["reserve", "release", "consume", "depart"]

BEFORE_TRANSFER = frozenset(
    {
        State.PROPOSED,
        State.ACCEPTED,
        State.NOTIFIED,
        State.FEAR_CLAIMED,
        State.REOPENING,
        State.CLEARED,
        State.SCHEDULED,
    }
)
"""States from which cancellation is possible; the first four after acceptance hold quota."""
HOLDS_RESERVATION = frozenset(BEFORE_TRANSFER - {State.PROPOSED})
ONWARD = frozenset(State(outcome) for outcome in get_args(OnwardOutcome))
"""The onward states: one per onward outcome (`accord.records.vocabulary.OnwardOutcome`)."""
LEFT_RECEIVER = frozenset(ONWARD - {State.REMAINED})
"""Onward outcomes after which the person is no longer present in the receiving state."""
OPEN = frozenset(BEFORE_TRANSFER)
"""An item in one of these states keeps its family out of any other pool."""

SENDER: frozenset[Role] = frozenset({"officer", "supervisor"})
RECEIVER: frozenset[Role] = frozenset({"reviewer"})


@dataclass(frozen=True, slots=True)
class Transition:
    action: str
    sources: frozenset[State]
    target: State
    roles: frozenset[Role]
    guards: tuple[Guard, ...] = ()
    ledger: LedgerEffect | None = None


def _row(
    action: str,
    sources: set[State] | frozenset[State],
    target: State,
    roles: frozenset[Role],
    guards: tuple[Guard, ...] = (),
    ledger: LedgerEffect | None = None,
) -> Transition:
    return Transition(action, frozenset(sources), target, roles, guards, ledger)


_CLAIMABLE = {
    State.ACCEPTED,
    State.NOTIFIED,
    State.FEAR_CLAIMED,
    State.REOPENING,
    State.CLEARED,
    State.SCHEDULED,
}
"""Where a member may raise a fear claim: every state holding a place (another member's claim
may be pending already, or a refused claim's window running)."""

TRANSITIONS: tuple[Transition, ...] = (
    _row(
        "accept",
        {State.PROPOSED},
        State.ACCEPTED,
        RECEIVER,
        ("S9", "S12", "screening", "S13"),
        "reserve",
    ),
    _row("reject", {State.PROPOSED}, State.REJECTED, RECEIVER, ("reason",)),
    _row(
        "revoke",
        HOLDS_RESERVATION,  # also while a fear claim is pending: the receiver cannot tell
        State.REVOKED,
        RECEIVER,
        ("reason",),
        "release",
    ),
    _row("notify", {State.ACCEPTED}, State.NOTIFIED, SENDER, ("S9", "S12", "screening", "served")),
    _row("claim_fear", _CLAIMABLE, State.FEAR_CLAIMED, SENDER),
    _row(
        "fear_positive",
        {State.FEAR_CLAIMED},
        State.BLOCKED_PROTECTION,
        SENDER,
        ("interview",),
        "release",
    ),
    _row("fear_negative", {State.FEAR_CLAIMED}, State.REOPENING, SENDER, ("interview",)),
    _row(
        "fear_negative_others_pending",
        {State.FEAR_CLAIMED},
        State.FEAR_CLAIMED,
        SENDER,
        ("interview",),
    ),
    _row(
        "clear",
        {State.NOTIFIED, State.REOPENING},
        State.CLEARED,
        frozenset({"supervisor"}),
        ("S9", "S12", "screening", "S6", "S10", "fit_confirmed", "S14"),
    ),
    _row(
        "schedule",
        {State.CLEARED},
        State.SCHEDULED,
        SENDER,
        ("S9", "S12", "screening", "S6", "S10", "S13"),
    ),
    _row(
        "transfer",
        {State.SCHEDULED},
        State.TRANSFERRED,
        RECEIVER,
        ("S9", "S12", "screening", "S6", "S10", "schedule_day", "S13"),
        "consume",
    ),
    *(
        _row(f"onward_{outcome.value}", {State.TRANSFERRED}, outcome, RECEIVER, (), "depart")
        if outcome in LEFT_RECEIVER
        else _row(f"onward_{outcome.value}", {State.TRANSFERRED}, outcome, RECEIVER)
        for outcome in sorted(ONWARD)
    ),
    _row("close", set(ONWARD), State.CLOSED, SENDER, ("check_ins",)),
    _row("cancel", set(BEFORE_TRANSFER), State.CANCELLED, SENDER, ("reason",), "release"),
)
"""Every legal move. `propose` creates an item (no source state): see `PROPOSE`."""

PROPOSE = Transition("propose", frozenset(), State.PROPOSED, SENDER, ("S12", "screening"))

BY_ACTION: MappingProxyType[str, Transition] = MappingProxyType(
    {t.action: t for t in (PROPOSE, *TRANSITIONS)}
)


def transition(action: str, current: State) -> Transition:
    """The row for `action` from `current`; an illegal move is an error naming both."""
    row = BY_ACTION.get(action)
    if row is None:
        raise IllegalTransition(f"no such move {action!r}; moves: {', '.join(sorted(BY_ACTION))}")
    if current not in row.sources:
        allowed = ", ".join(sorted(s.value for s in row.sources)) or "none (it creates an item)"
        raise IllegalTransition(
            f"cannot {action} an item that is {current.value}; {action} applies to: {allowed}"
        )
    return row


def releases_on(row: Transition, current: State) -> bool:
    """Whether the move gives back a reservation: only when the item holds one."""
    return row.ledger == "release" and current in HOLDS_RESERVATION


def moves_from(state: State) -> list[str]:
    """The moves possible from a state, for display."""
    return sorted(t.action for t in TRANSITIONS if state in t.sources)
