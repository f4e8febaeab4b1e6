"""Registry operations: loading agreements and moving them through their lifecycle.

Runs inside the caller's transaction and never commits; every change writes an audit event.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from accord.access import changes_status
from accord.agreements import repository
from accord.audit.service import Entry, record_many
from accord.errors import Conflict, Forbidden, InvalidInput, NotFound, Problem
from accord.models import (
    Agreement,
    AgreementCap,
    AgreementCriterion,
    Party,
    Source,
    StatusEvent,
)
from accord.records.agreement import (
    AgreementIn,
    AssuranceIn,
    CapIn,
    CriterionIn,
    InstrumentIn,
    MoneyIn,
    PartyIn,
    RegistryFile,
    ScopeIn,
    SelectionIn,
    SourceIn,
    Status,
    StatusEventIn,
    TermIn,
)
from accord.workflow.lifecycle import check_move


@dataclass
class LoadReport:
    parties_created: list[str] = field(default_factory=list)
    parties_updated: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def to_schema(agreement: Agreement) -> AgreementIn:
    """The stored agreement in the exchange format: what screening and exports work on."""
    scope = None
    if agreement.scope_mode == "include":
        scope = ScopeIn(include=list(agreement.scope_countries))
    elif agreement.scope_mode == "exclude":
        scope = ScopeIn(exclude=list(agreement.scope_countries))
    term = None
    if agreement.term_start or agreement.term_end or agreement.term_note:
        term = TermIn(
            start=agreement.term_start,
            end=agreement.term_end,
            note=agreement.term_note,
            source=agreement.term_source,
        )
    money = None
    if agreement.money_amount is not None and agreement.money_currency:
        money = MoneyIn(
            amount=agreement.money_amount,
            currency=agreement.money_currency,
            note=agreement.money_note,
            source=agreement.money_source,
        )
    return AgreementIn(
        id=agreement.id,
        title=agreement.title,
        sender=agreement.sender_code,
        receiver=agreement.receiver_code,
        kind=agreement.kind,
        status=Status(agreement.status),
        status_history=[
            StatusEventIn(
                status=Status(e.status),
                date=e.date,
                precision=e.date_precision,
                source=e.source_key,
                note=e.note,
            )
            for e in agreement.status_events
        ],
        term=term,
        caps=[
            CapIn(
                kind=c.kind,
                limit=c.limit,
                period=c.period,
                anchor=c.anchor,
                lower_bound=c.lower_bound,
                note=c.note,
                source=c.source_key,
            )
            for c in agreement.caps
        ],
        nationality_scope=scope,
        onward_return=agreement.onward_return,
        instrument=InstrumentIn(
            no_onward_removal=agreement.no_onward_removal,
            return_clause=agreement.return_clause,
            admission=agreement.admission,
            asylum_access=agreement.asylum_access,
            monitor_access=agreement.monitor_access,
            complaints_route=agreement.complaints_route,
            safety_assessment_date=agreement.safety_assessment_date,
            source=agreement.instrument_source,
        ),
        selection=SelectionIn(
            mode="pool",
            pool_factor=agreement.pool_factor,
            reason_required=agreement.reason_required,
        ),
        criteria=[
            CriterionIn(id=c.rule_id, text=c.text, expr=c.expr, source=c.source_key)
            for c in agreement.criteria
        ],
        money_per_person=money,
        assurances=[AssuranceIn.model_validate(a) for a in agreement.assurances],
        monitors=list(agreement.monitors),
        notice_days=agreement.notice_days,
        sources={
            s.key: SourceIn(
                publisher=s.publisher,
                date=s.date,
                precision=s.date_precision,
                statement=s.statement,
                url=s.url,
            )
            for s in agreement.sources
        },
    )


def stored_agreement(session: Session, agreement_id: str) -> AgreementIn:
    agreement = repository.get_agreement(session, agreement_id)
    if agreement is None:
        raise NotFound(f"no agreement {agreement_id!r}")
    return to_schema(agreement)


def stored_agreements(session: Session) -> list[AgreementIn]:
    return [to_schema(a) for a in repository.list_agreements(session)]


def _apply_fields(agreement: Agreement, spec: AgreementIn) -> None:
    """Copy everything but the status history onto the stored agreement."""
    agreement.title = spec.title
    agreement.sender_code = spec.sender
    agreement.receiver_code = spec.receiver
    agreement.kind = spec.kind
    term = spec.term or TermIn()
    agreement.term_start, agreement.term_end = term.start, term.end
    agreement.term_note, agreement.term_source = term.note, term.source
    scope = spec.nationality_scope
    if scope is None:
        agreement.scope_mode, agreement.scope_countries = None, []
    elif scope.include is not None:
        agreement.scope_mode, agreement.scope_countries = "include", list(scope.include)
    else:
        agreement.scope_mode, agreement.scope_countries = "exclude", list(scope.exclude or [])
    agreement.onward_return = spec.onward_return
    instrument = spec.instrument
    agreement.no_onward_removal = instrument.no_onward_removal
    agreement.return_clause = instrument.return_clause
    agreement.admission = instrument.admission
    agreement.asylum_access = instrument.asylum_access
    agreement.monitor_access = instrument.monitor_access
    agreement.complaints_route = instrument.complaints_route
    agreement.safety_assessment_date = instrument.safety_assessment_date
    agreement.instrument_source = instrument.source
    agreement.selection_mode = spec.selection.mode
    agreement.pool_factor = spec.selection.pool_factor
    agreement.reason_required = spec.selection.reason_required
    money = spec.money_per_person
    agreement.money_amount = money.amount if money else None
    agreement.money_currency = money.currency if money else None
    agreement.money_source = money.source if money else None
    agreement.money_note = money.note if money else None
    agreement.notice_days = spec.notice_days
    agreement.assurances = [a.model_dump(mode="json") for a in spec.assurances]
    agreement.monitors = list(spec.monitors)
    agreement.caps = [
        AgreementCap(
            position=i,
            kind=c.kind,
            limit=c.limit,
            lower_bound=c.lower_bound,
            period=c.period,
            anchor=c.anchor,
            note=c.note,
            source_key=c.source,
        )
        for i, c in enumerate(spec.caps)
    ]
    agreement.criteria = [
        AgreementCriterion(position=i, rule_id=c.id, text=c.text, expr=c.expr, source_key=c.source)
        for i, c in enumerate(spec.criteria)
    ]
    agreement.sources = [
        Source(
            key=key,
            publisher=s.publisher,
            date=s.date,
            date_precision=s.precision,
            statement=s.statement,
            url=s.url,
        )
        for key, s in sorted(spec.sources.items())
    ]


def _new_events(stored: Agreement, spec: AgreementIn) -> list[StatusEventIn]:
    """The file's status events beyond those already recorded; the rest must agree."""
    recorded = [(e.status, e.date) for e in stored.status_events]
    incoming = [(e.status.value, e.date) for e in spec.status_history]
    if not incoming:
        if spec.status != stored.status:
            raise Conflict(
                f"agreement {spec.id}: the file says {spec.status} but the registry says"
                f" {stored.status}; record the move with `accord agreements status`"
                " or add it to status_history"
            )
        return []
    if incoming[: len(recorded)] != recorded:
        raise Conflict(
            f"agreement {spec.id}: the file's status_history disagrees with the registry's"
            f" recorded timeline {recorded}; history is append-only"
        )
    return list(spec.status_history[len(recorded) :])


def _comparable(spec: AgreementIn) -> dict[str, Any]:
    data = spec.model_dump()
    data.pop("status_history")
    data.pop("status")
    return data


def load(
    session: Session,
    registry: RegistryFile,
    actor: str,
    *,
    role: str | None = None,
    party: str | None = None,
) -> LoadReport:
    """Create or update the parties and agreements of a validated registry file.

    Loading the same file twice changes nothing the second time. New status events for an
    agreement already registered are a status change: a supervisor's act, and never the end of
    a suspension (`role` and `party` are the loading account's: a supervisor of the sender).
    """
    report = LoadReport()
    entries: list[Entry] = []
    for spec_party in registry.parties:
        entries += _upsert_party(session, spec_party, report)
    session.flush()
    for spec in registry.agreements:
        entries += _upsert_agreement(session, spec, report, actor=actor, role=role, party=party)
    session.flush()
    record_many(session, actor, entries)
    return report


def _upsert_party(session: Session, spec: PartyIn, report: LoadReport) -> list[Entry]:
    party = repository.get_party(session, spec.code)
    if party is None:
        session.add(Party(code=spec.code, name=spec.name, kind=spec.kind))
        report.parties_created.append(spec.code)
        return [Entry("party.created", "party", spec.code, {"name": spec.name, "kind": spec.kind})]
    if (party.name, party.kind) != (spec.name, spec.kind):
        party.name, party.kind = spec.name, spec.kind
        report.parties_updated.append(spec.code)
        return [Entry("party.updated", "party", spec.code, {"name": spec.name, "kind": spec.kind})]
    return []


def _event_entry(agreement_id: str, event: StatusEventIn, previous: str | None) -> Entry:
    return Entry(
        "agreement.status_changed",
        "agreement",
        agreement_id,
        {
            "from": previous,
            "to": event.status.value,
            "date": event.date.isoformat(),
            "precision": event.precision,
            "source": event.source,
        },
    )


def _upsert_agreement(
    session: Session,
    spec: AgreementIn,
    report: LoadReport,
    *,
    actor: str,
    role: str | None,
    party: str | None,
) -> list[Entry]:
    stored = repository.get_agreement(session, spec.id, for_update=True)
    entries: list[Entry] = []
    if stored is None:
        agreement = Agreement(id=spec.id, status=spec.status.value)
        _apply_fields(agreement, spec)
        agreement.status_events = [
            StatusEvent(
                position=i,
                status=e.status.value,
                date=e.date,
                date_precision=e.precision,
                source_key=e.source,
                note=e.note,
            )
            for i, e in enumerate(spec.status_history)
        ]
        session.add(agreement)
        report.created.append(spec.id)
        entries.append(
            Entry(
                "agreement.created",
                "agreement",
                spec.id,
                {
                    "sender": spec.sender,
                    "receiver": spec.receiver,
                    "kind": spec.kind,
                    "status": spec.status.value,
                },
            )
        )
        previous: str | None = None
        for event in spec.status_history:
            entries.append(_event_entry(spec.id, event, previous))
            previous = event.status.value
        return entries

    fresh = _new_events(stored, spec)
    if fresh and (not changes_status(role) or party not in (None, stored.sender_code)):
        raise Forbidden(
            f"agreement {spec.id}: the file records new status events; {actor}"
            f" ({role or 'no role'}) may not change an agreement's status, a supervisor may"
        )
    current = Status(stored.status)
    for event in fresh:
        _refuse_lifting(spec.id, current, event.status)
        current = event.status
    before = _comparable(to_schema(stored))
    after = _comparable(spec)
    changed = sorted(key for key in after if before.get(key) != after[key])
    if changed:
        _apply_fields(stored, spec)
        entries.append(Entry("agreement.updated", "agreement", spec.id, {"fields": changed}))
    previous = stored.status
    for event in fresh:
        stored.status_events.append(
            StatusEvent(
                position=len(stored.status_events),
                status=event.status.value,
                date=event.date,
                date_precision=event.precision,
                source_key=event.source,
                note=event.note,
            )
        )
        entries.append(_event_entry(spec.id, event, previous))
        previous = event.status.value
    stored.status = spec.status.value
    (report.updated if changed or fresh else report.unchanged).append(spec.id)
    return entries


LIFTED_ONLY_BY_ITS_ACT = frozenset({(Status.SUSPENDED, Status.IN_FORCE)})
"""Moves no status change makes: a suspension ends by a supervisor lifting its incidents."""


def _refuse_lifting(agreement_id: str, current: Status, new: Status) -> None:
    if (current, new) in LIFTED_ONLY_BY_ITS_ACT:
        raise Conflict(
            f"agreement {agreement_id} is suspended: a status change does not end a suspension;"
            " a supervisor lifts it with a reason (`accord incident lift`), which also lifts the"
            " incidents that suspended it"
        )


def change_status(
    session: Session,
    agreement_id: str,
    new: Status,
    *,
    date: dt.date,
    actor: str,
    role: str | None,
    party: str | None = None,
    source_key: str,
    new_source: SourceIn | None = None,
    note: str | None = None,
) -> Agreement:
    """A supervisor of the sender moves an agreement along its lifecycle, with a reason; only
    legal moves, each with its source, and never out of a suspension (`LIFTED_ONLY_BY_ITS_ACT`).
    `party` is the acting account's (None: a supervisor of no party, who acts for any sender)."""
    if not changes_status(role):
        raise Forbidden(
            f"{actor} ({role or 'no role'}) may not change an agreement's status; a supervisor"
            " may, with a reason"
        )
    stored = repository.get_agreement(session, agreement_id, for_update=True)
    if stored is None or party not in (None, stored.sender_code):
        raise NotFound(f"no agreement {agreement_id!r}")
    _refuse_lifting(agreement_id, Status(stored.status), new)
    check_move(agreement_id, Status(stored.status), new)
    if note is None or len(note.strip()) < 10:
        raise Conflict("a status change needs its reason (a note of at least 10 characters)")
    return apply_status_move(
        session,
        agreement_id,
        new,
        date=date,
        actor=actor,
        source_key=source_key,
        new_source=new_source,
        note=note,
    )


def apply_status_move(
    session: Session,
    agreement_id: str,
    new: Status,
    *,
    date: dt.date,
    actor: str,
    source_key: str,
    new_source: SourceIn | None = None,
    note: str | None = None,
) -> Agreement:
    """Write a legal lifecycle move with its source. Called by `change_status` and by the
    safeguard acts themselves: an incident that suspends (S15) and a supervisor's lift."""
    agreement = repository.get_agreement(session, agreement_id, for_update=True)
    if agreement is None:
        raise NotFound(f"no agreement {agreement_id!r}")
    check_move(agreement_id, Status(agreement.status), new)
    known = {s.key for s in agreement.sources}
    if new_source is not None:
        if source_key in known:
            raise Conflict(f"agreement {agreement_id}: source {source_key!r} already exists")
        agreement.sources.append(
            Source(
                key=source_key,
                publisher=new_source.publisher,
                date=new_source.date,
                date_precision=new_source.precision,
                statement=new_source.statement,
                url=new_source.url,
            )
        )
    elif source_key not in known:
        raise InvalidInput(
            "--source",
            [
                Problem(
                    "--source",
                    f"agreement {agreement_id} has no source {source_key!r}; known:"
                    f" {', '.join(sorted(known)) or 'none'}. Give --publisher and --statement"
                    " to record a new one",
                )
            ],
        )
    # Here, not at the top: the loader compiles criteria (Polars), which reading agreements,
    # as `accord agreements list` does, never needs.
    from accord.agreements.loader import not_before

    last = agreement.status_events[-1] if agreement.status_events else None
    if last and not not_before(date, "day", last.date, last.date_precision):
        raise Conflict(
            f"agreement {agreement_id}: {date} is before the last recorded event"
            f" ({agreement.status_events[-1].date})"
        )
    event = StatusEventIn(status=new, date=date, source=source_key, note=note)
    previous = agreement.status
    agreement.status_events.append(
        StatusEvent(
            position=len(agreement.status_events),
            status=new.value,
            date=date,
            source_key=source_key,
            note=note,
        )
    )
    agreement.status = new.value
    session.flush()
    record_many(session, actor, [_event_entry(agreement_id, event, previous)])
    return agreement
