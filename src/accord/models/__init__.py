"""ORM models, one module per aggregate. Importing this package registers every table."""

from accord.models.agreement import Agreement, AgreementCap, AgreementCriterion, Source, StatusEvent
from accord.models.audit import AuditEvent, AuditHead
from accord.models.party import Party
from accord.models.person import Family, Person
from accord.models.proposal import (
    CheckIn,
    FearClaimRecord,
    Incident,
    ItemEvent,
    LedgerEntry,
    Movement,
    NoticeRecord,
    Proposal,
    ProposalItem,
)

__all__ = [
    "Agreement",
    "AgreementCap",
    "AgreementCriterion",
    "AuditEvent",
    "AuditHead",
    "CheckIn",
    "Family",
    "FearClaimRecord",
    "Incident",
    "ItemEvent",
    "LedgerEntry",
    "Movement",
    "NoticeRecord",
    "Party",
    "Person",
    "Proposal",
    "ProposalItem",
    "Source",
    "StatusEvent",
]
