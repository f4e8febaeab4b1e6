"""Proposals, their items' workflow, the quota ledger and what happens to each item."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from accord.db import Base
from accord.models.types import JSONDocument, UtcDateTime


class Proposal(Base):
    """A pool of families proposed to one agreement on one day."""

    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"), index=True)
    proposed_on: Mapped[dt.date] = mapped_column(Date)
    proposed_by: Mapped[str] = mapped_column(String(128))
    method: Mapped[str] = mapped_column(String(16))
    """`matcher` (optimal pool with its gap), `planner` (this month's pool of a plan over a
    horizon) or `screening` (families chosen by a person)."""
    pool_limit: Mapped[int] = mapped_column(Integer)
    objective: Mapped[float | None] = mapped_column(Float)
    gap: Mapped[float | None] = mapped_column(Float)


class ProposalItem(Base):
    """One family in one pool, moving through the workflow (DESIGN §3).

    `open_family` holds the family id while the item is open (before transfer) and is NULL
    otherwise; its unique constraint keeps a family in at most one open item, whatever the
    concurrency.
    """

    __tablename__ = "proposal_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"), index=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("families.id"), index=True)
    open_family: Mapped[str | None] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Float)
    why: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(24), index=True)
    state_since: Mapped[dt.date] = mapped_column(Date)
    seen_since: Mapped[dt.date] = mapped_column(Date)
    """The day the state last changed as a receiver sees it (`accord.workflow.disclosure`)."""
    reserved_on: Mapped[dt.date | None] = mapped_column(Date)
    scheduled_for: Mapped[dt.date | None] = mapped_column(Date)
    transferred_on: Mapped[dt.date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    members: Mapped[list[str] | None] = mapped_column(JSONDocument)
    """The case ids proposed, sorted: the family moves as these people or not at all (S9)."""
    last_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    """The last moment anything was recorded on the item: nothing later may be dated before it."""


class ItemEvent(Base):
    """One move of an item: the timeline a reviewer or monitor reads.

    `request_id`, when the caller gives one, makes a retried request a no-op.
    """

    __tablename__ = "item_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("proposal_items.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str] = mapped_column(String(24))
    day: Mapped[dt.date] = mapped_column(Date)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    reason_code: Mapped[str | None] = mapped_column(String(64))
    reason_text: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    request_id: Mapped[str | None] = mapped_column(String(128), unique=True)


class LedgerEntry(Base):
    """A quota ledger row (S13): reserve, consume, release or depart, for one item."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("proposal_items.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    persons: Mapped[int] = mapped_column(Integer)
    families: Mapped[int] = mapped_column(Integer)
    day: Mapped[dt.date] = mapped_column(Date)
    reserved_on: Mapped[dt.date] = mapped_column(Date)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class NoticeRecord(Base):
    """An attempt to serve written notice naming the receiver (S6), valid or not."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("proposal_items.id"), index=True)
    case_id: Mapped[str] = mapped_column(String(64), index=True)
    """The person (no foreign key: an erased person's row is gone, the notice stays)."""
    recipient: Mapped[str] = mapped_column(String(8))
    served_on: Mapped[dt.date] = mapped_column(Date)
    language: Mapped[str] = mapped_column(String(8))
    outcome: Mapped[str] = mapped_column(String(32))
    by: Mapped[str] = mapped_column(String(128))
    template_id: Mapped[int | None] = mapped_column(ForeignKey("notice_templates.id"))
    """The approved template the document was typeset from (none before documents existed)."""
    interpreter: Mapped[str | None] = mapped_column(String(128))
    read_in: Mapped[str | None] = mapped_column(String(8))
    """The language an interpreter read the document in, when it was read, not handed."""
    document_inputs: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    """Exactly what was typeset: with the template, enough to typeset it again."""
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    renderer: Mapped[str | None] = mapped_column(String(64))


class FearClaimRecord(Base):
    """A fear claim about the receiver (S5), its interview and its outcome."""

    __tablename__ = "fear_claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("proposal_items.id"), index=True)
    case_id: Mapped[str] = mapped_column(String(64), index=True)
    """The person (no foreign key: an erased person's row is gone, the claim stays)."""
    receiver: Mapped[str] = mapped_column(String(16))
    asserted_on: Mapped[dt.date] = mapped_column(Date)
    interview_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    interview_notice_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    outcome: Mapped[str] = mapped_column(String(8), default="pending")
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    reopening_until: Mapped[dt.date | None] = mapped_column(Date)


class Movement(Base):
    """A leg: the transfer to the receiver, or the onward move after it."""

    __tablename__ = "movements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("proposal_items.id"), index=True)
    leg: Mapped[str] = mapped_column(String(8))
    """`transfer` or `onward`."""
    scheduled_for: Mapped[dt.date | None] = mapped_column(Date)
    happened_on: Mapped[dt.date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(24))
    detail: Mapped[str | None] = mapped_column(Text)
    """e.g. the status under which a person remained (temporary protection)."""


class CheckIn(Base):
    """A monitoring check-in, due 30, 90 and 180 days after transfer."""

    __tablename__ = "check_ins"
    __table_args__ = (UniqueConstraint("item_id", "due_days"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("proposal_items.id"), index=True)
    due_days: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[dt.date] = mapped_column(Date)
    done_on: Mapped[dt.date | None] = mapped_column(Date)
    by: Mapped[str | None] = mapped_column(String(128))
    by_role: Mapped[str | None] = mapped_column(String(16))
    """The recorder's role: a receiver or monitor reads the sender's staff as `the sender`."""
    note: Mapped[str | None] = mapped_column(Text)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    """Whether the note is shared with the receiver and the monitors, or is for the sender's
    staff only (`accord.workflow.audience`): its author says so when recording it."""


class Incident(Base):
    """An incident reported for an agreement; onward removal or ill-treatment suspends it (S15)."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    reported_on: Mapped[dt.date] = mapped_column(Date)
    reported_by: Mapped[str] = mapped_column(String(128))
    reported_role: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    shared: Mapped[bool] = mapped_column(Boolean)
    """Whether the text is shared with the receiver and the monitors, or is for the sender's
    staff only (`accord.workflow.audience`), as its author said."""
    suspends: Mapped[bool] = mapped_column(Boolean)
    lifted_on: Mapped[dt.date | None] = mapped_column(Date)
    lifted_by: Mapped[str | None] = mapped_column(String(128))
    lift_reason: Mapped[str | None] = mapped_column(Text)
    """The supervisor's reason: the sender's own words, read by the sender's staff only."""
