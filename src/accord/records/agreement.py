"""The agreements exchange format (DESIGN §7), as Pydantic models.

Unknown keys are errors: a typo must never silently drop a safeguard-relevant field.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from accord.records.text import FreeText


class Status(StrEnum):
    EXPLORATORY = "exploratory"
    NEGOTIATING = "negotiating"
    OFFERED = "offered"
    SIGNED = "signed"
    IN_FORCE = "in_force"
    SUSPENDED = "suspended"
    EXPIRED = "expired"
    TERMINATED = "terminated"


CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
PartyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_-]{1,15}$")]
SourceKey = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
AgreementId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{1,63}$")]
RuleId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")]
Duration = Annotated[
    str, StringConstraints(pattern=r"^P(\d+Y)?(\d+M)?(\d+W)?(\d+D)?$", min_length=3)
]
"""An ISO 8601 period in whole years, months, weeks or days, e.g. P1Y or P6M."""
Text = Annotated[FreeText, StringConstraints(min_length=1, strip_whitespace=True)]
"""Text as reported: no control or text-direction characters (`accord.records.text`)."""

AgreementKind = Literal[
    "third_country_transfer", "own_nationals_return", "custody", "resettlement", "relocation"
]
CapKind = Literal["persons_per_period", "present_at_once", "families_per_period"]
REMOVAL_KINDS = frozenset({"third_country_transfer", "own_nationals_return", "custody"})
"""Kinds that move people under a removal order (S2 applies)."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PartyIn(Strict):
    code: PartyCode
    name: Text
    kind: Literal["state", "organisation"] = "state"

    @model_validator(mode="after")
    def _state_codes_are_iso(self) -> PartyIn:
        if self.kind == "state" and len(self.code) != 2:
            raise ValueError(f"a state's code is its ISO 3166-1 alpha-2 code, got {self.code!r}")
        return self


DatePrecision = Literal["day", "month", "year"]


def check_precision(date: dt.date | None, precision: DatePrecision) -> None:
    """A date known only to the month or year is written as the first day of it."""
    if date is None:
        return
    if precision == "month" and date.day != 1:
        raise ValueError("a date reported to the month is written as its first day")
    if precision == "year" and (date.month, date.day) != (1, 1):
        raise ValueError("a date reported to the year is written as 1 January")


class SourceIn(Strict):
    publisher: Text
    date: dt.date | None = None
    precision: DatePrecision = "day"
    statement: Text
    url: FreeText | None = None

    @model_validator(mode="after")
    def _date_matches_precision(self) -> SourceIn:
        check_precision(self.date, self.precision)
        return self


class StatusEventIn(Strict):
    status: Status
    date: dt.date
    precision: DatePrecision = "day"
    """How much of the date was reported; `month` and `year` dates are written as the first day."""
    source: SourceKey | None = None
    note: FreeText | None = None

    @model_validator(mode="after")
    def _date_matches_precision(self) -> StatusEventIn:
        check_precision(self.date, self.precision)
        return self


class TermIn(Strict):
    start: dt.date | None = None
    end: dt.date | None = None
    note: FreeText | None = None
    source: SourceKey | None = None

    @model_validator(mode="after")
    def _ends_after_start(self) -> TermIn:
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"the term ends ({self.end}) before it starts ({self.start})")
        return self


class CapIn(Strict):
    kind: CapKind
    limit: Annotated[int, Field(ge=0)] | None
    """None: a cap was reported but its figure is unknown (say so in `note`)."""
    period: Duration | None = None
    """For per-period caps; none means the limit holds over the whole term."""
    anchor: Literal["term_start", "calendar", "rolling"] | None = None
    lower_bound: bool = False
    """The reported figure is a floor ("more than 100"), not the cap itself."""
    note: FreeText | None = None
    source: SourceKey | None = None

    @model_validator(mode="after")
    def _period_matches_kind(self) -> CapIn:
        if self.kind == "present_at_once":
            if self.period is not None or self.anchor is not None:
                raise ValueError("a present_at_once cap has no period or anchor")
        elif self.period is None and self.anchor in {"calendar", "rolling"}:
            raise ValueError(f"a {self.anchor} cap needs a period, e.g. P1Y")
        if self.limit is None and not self.note:
            raise ValueError(
                "a cap with an unknown limit (null) needs a note saying what was reported"
            )
        return self


class ScopeIn(Strict):
    include: list[CountryCode] | None = None
    exclude: list[CountryCode] | None = None

    @model_validator(mode="after")
    def _one_of(self) -> ScopeIn:
        if (self.include is None) == (self.exclude is None):
            raise ValueError("give exactly one of include or exclude")
        return self


class InstrumentIn(Strict):
    no_onward_removal: bool = False
    return_clause: bool = False
    admission: bool = False
    asylum_access: bool = False
    monitor_access: bool = False
    complaints_route: bool = False
    safety_assessment_date: dt.date | None = None
    source: SourceKey | None = None


class SelectionIn(Strict):
    mode: Literal["pool"] = "pool"
    pool_factor: Annotated[Decimal, Field(gt=0, le=10, decimal_places=3)] = Decimal("1.0")
    reason_required: bool = True


class CriterionIn(Strict):
    id: RuleId
    text: Text
    expr: Text
    source: SourceKey | None = None


class MoneyIn(Strict):
    amount: Annotated[Decimal, Field(ge=0, decimal_places=2)]
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    note: FreeText | None = None
    source: SourceKey | None = None


class AssuranceIn(Strict):
    text: Text
    date: dt.date | None = None
    source: SourceKey | None = None


class AgreementIn(Strict):
    id: AgreementId
    title: FreeText | None = None
    sender: PartyCode
    receiver: PartyCode
    kind: AgreementKind
    status: Status
    status_history: list[StatusEventIn] = Field(default_factory=list)
    term: TermIn | None = None
    caps: list[CapIn] = Field(default_factory=list)
    nationality_scope: ScopeIn | None = None
    onward_return: bool = False
    instrument: InstrumentIn = InstrumentIn()
    selection: SelectionIn = SelectionIn()
    criteria: list[CriterionIn] = Field(default_factory=list)
    money_per_person: MoneyIn | None = None
    assurances: list[AssuranceIn] = Field(default_factory=list)
    monitors: list[PartyCode] = Field(default_factory=list)
    notice_days: Annotated[int, Field(ge=10, le=365)] = 10
    """Days between valid notice and clearance (S6): may be raised, never below 10."""
    sources: dict[SourceKey, SourceIn] = Field(default_factory=dict)


class RegistryFile(Strict):
    parties: list[PartyIn] = Field(default_factory=list)
    agreements: list[AgreementIn] = Field(default_factory=list)
