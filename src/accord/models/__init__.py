"""ORM models, one module per aggregate. Importing this package registers every table."""

from accord.models.account import ApiToken, LoginAttempt, User, UserSession
from accord.models.agreement import Agreement, AgreementCap, AgreementCriterion, Source, StatusEvent
from accord.models.audit import AuditEvent, AuditHead, PersonalValue
from accord.models.document import NoticeTemplateRecord
from accord.models.exchange import (
    ExchangeMessage,
    ItemMark,
    LedgerStatement,
    Peer,
    PeerKey,
    ReceivedItem,
    ReceivedPerson,
)
from accord.models.idempotency import IdempotentRequest
from accord.models.job import MatcherJob
from accord.models.party import Party
from accord.models.payment import Payment
from accord.models.person import Erasure, Family, Person
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
from accord.models.report import ReportRelease

__all__ = [
    "Agreement",
    "AgreementCap",
    "AgreementCriterion",
    "ApiToken",
    "AuditEvent",
    "AuditHead",
    "CheckIn",
    "Erasure",
    "ExchangeMessage",
    "Family",
    "FearClaimRecord",
    "IdempotentRequest",
    "Incident",
    "ItemEvent",
    "ItemMark",
    "LedgerEntry",
    "LedgerStatement",
    "LoginAttempt",
    "MatcherJob",
    "Movement",
    "NoticeRecord",
    "NoticeTemplateRecord",
    "Party",
    "Payment",
    "Peer",
    "PeerKey",
    "Person",
    "PersonalValue",
    "Proposal",
    "ProposalItem",
    "ReceivedItem",
    "ReceivedPerson",
    "ReportRelease",
    "Source",
    "StatusEvent",
    "User",
    "UserSession",
]
