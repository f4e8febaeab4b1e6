"""ORM models, one module per aggregate. Importing this package registers every table."""

from accord.models.agreement import Agreement, AgreementCap, AgreementCriterion, Source, StatusEvent
from accord.models.audit import AuditEvent, AuditHead
from accord.models.party import Party
from accord.models.person import Family, Person

__all__ = [
    "Agreement",
    "AgreementCap",
    "AgreementCriterion",
    "AuditEvent",
    "AuditHead",
    "Family",
    "Party",
    "Person",
    "Source",
    "StatusEvent",
]
