"""`accord incident …`: incidents under an agreement (S15)."""

from __future__ import annotations

from typing import Annotated

import typer

from accord.cli_support import AudienceOption, acting, new_app, out
from accord.monitoring import service as monitoring
from accord.records.vocabulary import IncidentKind

incident_app = new_app("Incidents under an agreement; onward removal or ill-treatment suspends it.")


@incident_app.command("report")
def incident_report(
    agreement: Annotated[str, typer.Argument(metavar="AGREEMENT")],
    kind: Annotated[IncidentKind, typer.Option(help="What happened.")],
    text: Annotated[str, typer.Option(help="What was reported, in words.")],
    audience: AudienceOption,
) -> None:
    """Report an incident; onward removal or ill-treatment suspends the agreement (S15). The
    text is read by whom `--audience` names."""
    with acting("incidents.report") as (session, clock, who):
        incident = monitoring.report_incident(
            session, agreement, kind, text, who, clock, audience=audience
        )
        number, suspends = incident.id, incident.suspends
    out.print(
        f"incident {number} reported under {agreement}"
        + ("; the agreement is suspended (S15)" if suspends else "")
    )


@incident_app.command("lift")
def incident_lift(
    agreement: Annotated[str, typer.Argument(metavar="AGREEMENT")],
    reason: Annotated[str, typer.Option(help="Why the suspension ends (10 characters or more).")],
) -> None:
    """A supervisor lifts a suspension, with a reason: the agreement is in force again."""
    with acting("incidents.lift") as (session, clock, who):
        monitoring.lift_suspension(session, agreement, reason, who, clock)
    out.print(f"{agreement}: suspension lifted; in force again")
