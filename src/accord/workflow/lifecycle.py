"""The agreement status lifecycle, as data.

exploratory → negotiating → offered → signed → in_force → suspended → expired | terminated.
Talks may skip the formal offer, an offer may go back to negotiation, a suspension may be lifted,
and any agreement not yet ended may be terminated. Only `in_force` admits proposals and transfers.
"""

from __future__ import annotations

from accord.errors import IllegalTransition
from accord.records.agreement import Status

LEGAL_MOVES: dict[Status, frozenset[Status]] = {
    Status.EXPLORATORY: frozenset({Status.NEGOTIATING, Status.OFFERED, Status.TERMINATED}),
    Status.NEGOTIATING: frozenset({Status.OFFERED, Status.SIGNED, Status.TERMINATED}),
    Status.OFFERED: frozenset({Status.NEGOTIATING, Status.SIGNED, Status.TERMINATED}),
    Status.SIGNED: frozenset({Status.IN_FORCE, Status.TERMINATED}),
    Status.IN_FORCE: frozenset({Status.SUSPENDED, Status.EXPIRED, Status.TERMINATED}),
    Status.SUSPENDED: frozenset({Status.IN_FORCE, Status.EXPIRED, Status.TERMINATED}),
    Status.EXPIRED: frozenset(),
    Status.TERMINATED: frozenset(),
}

ENTRY_STATUSES = frozenset(Status)
"""A registry may first learn of an agreement at any stage (e.g. already signed when reported)."""


def is_legal(current: Status, new: Status) -> bool:
    return new in LEGAL_MOVES[current]


def is_reachable(current: Status, new: Status) -> bool:
    """Whether `new` can follow `current` through legal moves.

    A reported history may skip stages nobody reported (talks, then "agreed"), but it can never
    go where the lifecycle cannot, such as from terminated back to in force.
    """
    seen, frontier = {current}, [current]
    while frontier:
        for following in LEGAL_MOVES[frontier.pop()]:
            if following == new:
                return True
            if following not in seen:
                seen.add(following)
                frontier.append(following)
    return False


def check_move(agreement_id: str, current: Status, new: Status) -> None:
    if not is_legal(current, new):
        allowed = ", ".join(sorted(LEGAL_MOVES[current])) or "none (it has ended)"
        raise IllegalTransition(
            f"agreement {agreement_id}: cannot move from {current} to {new};"
            f" allowed from {current}: {allowed}"
        )
