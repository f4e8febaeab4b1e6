"""What a receiving state or a monitor may learn of an item's workflow (DESIGN §6).

The boundary is non-interference: everything they receive is a function of the minimized view,
of their own party's acts, and of the neutral facts they must know — a family was proposed; it
left the pool and its place was released, on a day; a transfer is scheduled, called off, or
happened. So a receiver sees an item in one of a few *seen* states, and a sender's move shows
only when it changes the seen state, under one neutral label whatever its cause (a fear claim,
a stay, a new claim, changed case records, a withdrawal). The sender's steps in between —
notice, a fear claim and its interview and outcome, the reopening window, clearance — change
nothing a receiver sees: two worlds that differ only in them look the same to it.

Pure functions over the transition table; `accord.access` and the views apply them.
"""

from __future__ import annotations

from types import MappingProxyType

from accord.workflow.transitions import (
    ONWARD,
    RECEIVER,
    SENDER,
    TRANSITIONS,
    Role,
    State,
)

SEES_EVERYTHING: frozenset[Role] = SENDER
"""The sender's staff see the item as it is; every other role sees it through this module."""

WITHDRAWN = "withdrawn by the sender"
"""The one label of every sender-side end of an item: cancelled for any reason, or blocked by
an upheld fear claim. The family left the pool and its place, if any, was released."""
CALLED_OFF = "transfer called off by the sender"
"""The one label of every sender-side hold that undoes a scheduled transfer."""
SCHEDULED = "transfer scheduled"
THE_SENDER = "the sender"
"""How a receiver or monitor reads any of the sender's staff: never by name."""

SEEN_STATE: MappingProxyType[State, str] = MappingProxyType(
    {
        State.PROPOSED: "proposed",
        State.ACCEPTED: "accepted",
        State.NOTIFIED: "accepted",
        State.FEAR_CLAIMED: "accepted",
        State.REOPENING: "accepted",
        State.CLEARED: "accepted",
        State.SCHEDULED: "scheduled",
        State.TRANSFERRED: "transferred",
        **{outcome: outcome.value for outcome in ONWARD},
        State.CLOSED: "closed",
        State.REJECTED: "rejected",
        State.REVOKED: "revoked",
        State.CANCELLED: WITHDRAWN,
        State.BLOCKED_PROTECTION: WITHDRAWN,
    }
)
"""Every state as a receiver or monitor sees it: the sender's steps after acceptance and before
a schedule are all `accepted`; every sender-side end is `WITHDRAWN`."""

RECEIVER_ACTIONS = frozenset(row.action for row in TRANSITIONS if row.roles <= RECEIVER)
"""The receiver's own moves: it knows what it did, and why."""


def seen_state(state: str | State, role: Role) -> str:
    """A state as the role may see it."""
    real = State(state)
    return real.value if role in SEES_EVERYTHING else SEEN_STATE[real]


def seen_move(action: str, from_state: str | None, to_state: str) -> str | None:
    """The line a receiver or monitor reads for one move, or None when the move changes nothing
    it sees. The receiver's own moves read as they are; a sender's move reads as its neutral
    effect only."""
    before = SEEN_STATE[State(from_state)] if from_state is not None else None
    after = SEEN_STATE[State(to_state)]
    if before == after:
        return None
    if action == "propose":
        return "proposed"
    if action in RECEIVER_ACTIONS:
        return f"{action}: {before} → {after}"
    if after == WITHDRAWN:
        return WITHDRAWN
    if before == "scheduled":
        return CALLED_OFF
    if after == "scheduled":
        return SCHEDULED
    return after


def offered_moves(seen: str, role: Role) -> list[str]:
    """The moves a receiver is offered on an item it sees in `seen`: those its role may make
    from *every* real state shown as `seen`, so the offer never tells them apart."""
    if role in SEES_EVERYTHING:
        raise ValueError("the sender's staff are offered the moves of the real state")
    behind = [state for state, shown in SEEN_STATE.items() if shown == seen]
    return sorted(
        row.action
        for row in TRANSITIONS
        if role in row.roles and all(state in row.sources for state in behind)
    )


def shown_author(name: str | None, role: str | None, reader: Role) -> str | None:
    """Who recorded something, as the reader may see it: every name to the sender's staff; to
    anyone else, the sender's staff (or an author whose role was never recorded) as
    `THE_SENDER`, and the receiver's or a monitor's people by name."""
    if name is None or reader in SEES_EVERYTHING:
        return name
    return name if role is not None and role not in SEES_EVERYTHING else THE_SENDER
