"""The people exchange format (DESIGN §7), one record per person.

Fields Accord never stores (ethnicity, religion, political opinion, sexual orientation,
relatives in the country of origin) have no place here, and an unknown key is an error, so they
cannot slip in.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from accord.records.agreement import CountryCode
from accord.records.text import FreeText
from accord.records.vocabulary import FearFinding

CaseId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]
Name = Annotated[FreeText, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]

Relationship = Literal["head", "spouse", "partner", "child", "parent", "sibling", "other_relative"]
Vulnerability = Literal[
    "pregnancy",
    "torture_survivor",
    "trafficking_survivor",
    "sexual_violence_survivor",
    "serious_illness",
    "disability",
    "elderly",
    "single_parent",
]
ConvictionCategory = Literal[
    "violent",
    "sexual",
    "terrorism",
    "drugs",
    "property",
    "fraud",
    "public_order",
    "immigration",
    "traffic",
    "other",
]
ProtectionType = Literal["asylum", "refugee", "withholding", "cat", "temporary", "subsidiary"]
Consent = Literal["share_health_needs"]


def _written_day(value: object) -> object:
    """A day is written YYYY-MM-DD: a number is not read as a timestamp."""
    if isinstance(value, int | float | bool):
        raise ValueError("a date is written YYYY-MM-DD")
    return value


Day = Annotated[dt.date, BeforeValidator(_written_day)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RemovalOrder(Strict):
    status: Literal["final", "pending", "none"] = "none"
    date: Day | None = None


class ProtectionEntry(Strict):
    type: ProtectionType
    status: Literal["pending", "granted", "denied", "withdrawn"]
    against: CountryCode
    """The country the person is protected (or seeks protection) against."""
    date: Day | None = None


class FearClaim(Strict):
    country: CountryCode
    asserted: Day
    outcome: Literal["pending", FearFinding]
    decided: Day | None = None

    @model_validator(mode="after")
    def _decided_when_outcome(self) -> FearClaim:
        if self.outcome != "pending" and self.decided is None:
            raise ValueError(f"a {self.outcome} outcome needs the date it was decided")
        if self.outcome == "pending" and self.decided is not None:
            raise ValueError("a pending claim has no decision date")
        if self.decided is not None and self.decided < self.asserted:
            raise ValueError("decided before it was asserted")
        return self


class Conviction(Strict):
    category: ConvictionCategory
    date: Day
    final: bool
    sentence_months: Annotated[int, Field(ge=0)] | None = None
    jurisdiction: CountryCode


class DetentionIncident(Strict):
    date: Day
    kind: Annotated[FreeText, StringConstraints(min_length=1, max_length=64)]


class TravelDocument(Strict):
    type: Literal["passport", "travel_document", "laissez_passer", "identity_card"]
    country: CountryCode
    expires: Day


class Counsel(Strict):
    name: Name
    contact: FreeText | None = None


class Assessment(Strict):
    """An individual assessment by a supervisor; only S8 (vulnerability) yields to one."""

    rule: Literal["S8"]
    by: Name
    date: Day
    reason: Annotated[FreeText, StringConstraints(min_length=10, strip_whitespace=True)]


class PersonRecord(Strict):
    case_id: CaseId
    family_id: CaseId
    relationship: Relationship
    given_name: Name
    family_name: Name
    aliases: list[Name] = Field(default_factory=list)
    birth_date: Day
    sex: Literal["F", "M", "X"]
    nationalities: list[CountryCode] = Field(default_factory=list)
    languages: list[LanguageCode] = Field(default_factory=list)
    sender_status: Literal["none", "visa", "lpr", "citizen"]
    removal_order: RemovalOrder = RemovalOrder()
    protection: list[ProtectionEntry] = Field(default_factory=list)
    fear_claims: list[FearClaim] = Field(default_factory=list)
    appeal_pending: bool = False
    stay_of_removal: bool = False
    convictions: list[Conviction] = Field(default_factory=list)
    detention_incidents: list[DetentionIncident] = Field(default_factory=list)
    vulnerabilities: list[Vulnerability] = Field(default_factory=list)
    age_disputed: bool = False
    medical_fit: bool | None = None
    health_needs: list[
        Annotated[FreeText, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
    ] = Field(default_factory=list)
    travel_document: TravelDocument | None = None
    counsel: Counsel | None = None
    consents: list[Consent] = Field(default_factory=list)
    assessments: list[Assessment] = Field(default_factory=list)

    @model_validator(mode="after")
    def _dates_hold_together(self) -> PersonRecord:
        if self.removal_order.status != "none" and self.removal_order.date is None:
            raise ValueError(f"a {self.removal_order.status} removal order needs its date")
        if self.removal_order.status == "none" and self.removal_order.date is not None:
            raise ValueError("a removal order date is given but its status is none")
        if len(set(self.nationalities)) != len(self.nationalities):
            raise ValueError("a nationality is listed twice")
        return self


LIST_FIELDS = (
    "aliases",
    "nationalities",
    "languages",
    "vulnerabilities",
    "consents",
    "health_needs",
)
"""Flat lists: `;`-separated in CSV."""
OBJECT_FIELDS = ("removal_order", "travel_document", "counsel")
"""Single objects: dotted columns in CSV (`removal_order.status`)."""
RECORD_LIST_FIELDS = (
    "protection",
    "fear_claims",
    "convictions",
    "detention_incidents",
    "assessments",
)
"""Lists of objects: a JSON array in one CSV cell."""
