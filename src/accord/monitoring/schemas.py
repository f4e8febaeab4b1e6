"""The bodies of monitoring's writes, read alike from the API's JSON and the page's forms: an
incident reported under an agreement (S15), and a supervisor's lifting of a suspension."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from accord.monitoring.service import INCIDENT_KINDS
from accord.records.text import FreeText
from accord.workflow.audience import AUDIENCE_HELP, Audience


class IncidentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(pattern=f"^({'|'.join(INCIDENT_KINDS)})$")
    text: FreeText = Field(min_length=1, max_length=4000)
    audience: Audience = Field(
        description=AUDIENCE_HELP
        + " A suspension's source in the agreement's status history, which every party to the"
        " agreement reads, quotes the text only when it is shared."
    )


class LiftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: FreeText = Field(min_length=10, max_length=4000)
