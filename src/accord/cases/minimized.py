"""The minimized view of a person (DESIGN §6): all a receiving state may see.

Built field by field from what is allowed, never by removing what is not: a field added to
the case record stays with the sender until it is added here on purpose.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict

from accord.records.person import (
    ConvictionCategory,
    DetentionIncident,
    PersonRecord,
    Relationship,
    TravelDocument,
)

HEALTH_CONSENT = "share_health_needs"


class FinalConviction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: ConvictionCategory
    date: dt.date
    jurisdiction: str
    sentence_months: int | None = None


class MinimizedPerson(BaseModel):
    """Ids, names, birth date, sex, nationalities, travel document, final convictions,
    detention conduct incidents, languages, place in the family; health needs only with the
    person's recorded consent."""

    model_config = ConfigDict(extra="forbid")

    case_id: str
    family_id: str
    relationship: Relationship
    given_name: str
    family_name: str
    aliases: list[str]
    birth_date: dt.date
    sex: Literal["F", "M", "X"]
    nationalities: list[str]
    languages: list[str]
    travel_document: TravelDocument | None
    convictions: list[FinalConviction]
    detention_incidents: list[DetentionIncident]
    health_needs: list[str]
    """Empty unless the person consented to share them."""

    @classmethod
    def of(cls, record: PersonRecord) -> MinimizedPerson:
        return cls(
            case_id=record.case_id,
            family_id=record.family_id,
            relationship=record.relationship,
            given_name=record.given_name,
            family_name=record.family_name,
            aliases=list(record.aliases),
            birth_date=record.birth_date,
            sex=record.sex,
            nationalities=list(record.nationalities),
            languages=list(record.languages),
            travel_document=record.travel_document,
            convictions=[
                FinalConviction(
                    category=c.category,
                    date=c.date,
                    jurisdiction=c.jurisdiction,
                    sentence_months=c.sentence_months,
                )
                for c in record.convictions
                if c.final
            ],
            detention_incidents=list(record.detention_incidents),
            health_needs=list(record.health_needs) if HEALTH_CONSENT in record.consents else [],
        )
