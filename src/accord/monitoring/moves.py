"""The check-in, the one move on an item that monitoring makes, bound to its command; and every
item move's binding together (the workflow's, from `accord.proposals.moves`, and this one), as
the API, the pages and the command line build their routes, forms and commands from them.

Here rather than in `accord.proposals`: monitoring stands on the proposals (a check-in is
recorded on a transferred item), not the other way round."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from sqlalchemy.orm import Session

from accord.access import Actor
from accord.clock import Clock
from accord.monitoring.service import record_check_in
from accord.proposals.moves import BINDINGS as WORKFLOW
from accord.proposals.moves import Binding
from accord.proposals.views import CheckInView, check_in_view
from accord.records.moves import CheckInIn
from accord.workflow.moves import BY_NAME, MOVES


def _check_in(
    session: Session, item_id: int, body: CheckInIn, actor: Actor, clock: Clock, _: str | None
) -> CheckInView:
    """The check-in as its author may read it back."""
    done = record_check_in(
        session, item_id, body.days, body.note, actor, clock, audience=body.audience
    )
    return check_in_view(done, actor)


CHECK_IN: Binding[CheckInIn, CheckInView] = Binding(BY_NAME["check_in"], _check_in, CheckInView)

BINDINGS: MappingProxyType[str, Binding[Any, Any]] = MappingProxyType(
    {move.name: {**WORKFLOW, CHECK_IN.move.name: CHECK_IN}[move.name] for move in MOVES}
)
"""Every move on an item, by name, bound to its command: exactly the moves of
`accord.workflow.moves.MOVES`, in their order."""
