"""The guards of each move, as pure functions over the facts of the day of the move.

Nothing is trusted from an earlier screening: the family is screened again on the day (so a
new claim, appeal, stay or fear claim recorded since blocks the move), and the agreement is
checked again (S12). Each guard returns the reasons it fails, in plain words; an empty list
lets the move go on. The quota (S13) is checked by the service against the locked ledger.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import get_args

from dateutil.relativedelta import relativedelta

from accord.records.agreement import AgreementIn
from accord.records.person import PersonRecord
from accord.records.vocabulary import CheckInDays
from accord.records.vocabulary import NoticeOutcome as NoticeOutcome
from accord.records.vocabulary import Recipient as Recipient
from accord.safeguards.predicates import is_minor
from accord.screening.single import Screen, screen_family
from accord.workflow.transitions import Guard, Transition

SAFETY_ASSESSMENT_MONTHS = 12
INTERVIEW_NOTICE = dt.timedelta(hours=72)
MONITORING_DAYS: tuple[CheckInDays, ...] = get_args(CheckInDays)


@dataclass(frozen=True, slots=True)
class Notice:
    """One attempt to serve written notice naming the receiver (S6)."""

    case_id: str
    recipient: Recipient
    served_on: dt.date
    language: str
    outcome: NoticeOutcome

    @property
    def is_service(self) -> bool:
        """A refusal to sign or a notice in a language not understood is not service."""
        return self.outcome == "served"


def notice_outcome(
    person: PersonRecord, recipient: Recipient, language: str, signed: bool
) -> NoticeOutcome:
    """What an attempt amounts to: the person must understand the language (recorded in their
    languages) and sign; counsel is served on delivery."""
    if recipient == "person" and language not in person.languages:
        return "language_not_understood"
    if recipient == "person" and not signed:
        return "refused_to_sign"
    return "served"


def fear_claim_deadline(served: dt.date, notice_days: int) -> dt.date:
    """The last day to raise a fear of harm after notice served on `served`: `notice_days`
    whole days (never fewer than 10), the day of service not counted. Nothing may be cleared,
    scheduled or carried out until that day has ended."""
    return served + dt.timedelta(days=max(10, notice_days))


def notice_recipients(members: Sequence[PersonRecord], on: dt.date) -> list[tuple[str, Recipient]]:
    """Who must be served: every adult member, and counsel of any member who has counsel."""
    required: list[tuple[str, Recipient]] = [
        (m.case_id, "person") for m in members if not is_minor(m, on)
    ]
    required += [(m.case_id, "counsel") for m in members if m.counsel is not None]
    return sorted(required)


def last_service(
    members: Sequence[PersonRecord],
    notices: Sequence[Notice],
    on: dt.date,
    *,
    accepted_on: dt.date | None = None,
) -> dt.date | None:
    """The day the last required recipient was validly served; None while anyone is not.
    A notice counts only if served on or after the day the receiver accepted the family (it
    names that receiver for that family) and not after the day asked about."""
    served: dict[tuple[str, Recipient], dt.date] = {}
    for notice in notices:
        if accepted_on is not None and notice.served_on < accepted_on:
            continue
        if notice.is_service and notice.served_on <= on:
            key = (notice.case_id, notice.recipient)
            served[key] = min(served.get(key, notice.served_on), notice.served_on)
    days = [served.get(key) for key in notice_recipients(members, on)]
    if not days or any(day is None for day in days):
        return None
    return max(day for day in days if day is not None)


def unserved(
    members: Sequence[PersonRecord],
    notices: Sequence[Notice],
    on: dt.date,
    *,
    accepted_on: dt.date | None = None,
) -> list[str]:
    """Who must still be validly served, as `case id (person|counsel)`: what an officer is told."""
    return [
        f"{case_id} ({recipient})"
        for case_id, recipient in notice_recipients(members, on)
        if not any(
            n.case_id == case_id
            and n.recipient == recipient
            and n.is_service
            and n.served_on <= on
            and (accepted_on is None or n.served_on >= accepted_on)
            for n in notices
        )
    ]


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything a guard may read about one move of one item."""

    day: dt.date
    now: dt.datetime
    agreement: AgreementIn
    members: tuple[PersonRecord, ...]
    """The family as stored on the day of the move."""
    proposed: tuple[str, ...] = ()
    """The case ids proposed and accepted (empty: creating the item, nothing to compare)."""
    accepted_on: dt.date | None = None
    """The day the receiver accepted the family: notice counts from then on."""
    suspensions: tuple[str, ...] = ()
    """The agreement's incidents that suspend it and are not lifted (S15)."""
    notices: tuple[Notice, ...] = ()
    interview_at: dt.datetime | None = None
    """The interview of the fear claim being decided."""
    scheduled_for: dt.date | None = None
    reason_code: str | None = None
    reason_text: str | None = None
    signed_by: str | None = None
    medical_confirmed: bool = False
    transferred_on: dt.date | None = None
    check_ins_done: tuple[int, ...] = field(default_factory=tuple)
    """Which of the 30/90/180-day check-ins are recorded."""


def agreement_open(
    agreement: AgreementIn, day: dt.date, suspensions: Sequence[str] = ()
) -> list[str]:
    """S12: in force, within term, instrument checklist complete, safety assessed this year,
    and no suspending incident left unlifted (S15): a status change alone never lifts one."""
    reasons = []
    if agreement.status != "in_force":
        reasons.append(f"the agreement is {agreement.status}, not in force")
    if suspensions:
        reasons.append(f"suspended by {', '.join(suspensions)}, not lifted by a supervisor (S15)")
    term = agreement.term
    if term and term.start and day < term.start:
        reasons.append(f"the agreement's term starts on {term.start}")
    if term and term.end and day > term.end:
        reasons.append(f"the agreement's term ended on {term.end}")
    instrument = agreement.instrument
    missing = [
        name
        for name, present in (
            ("admission", instrument.admission),
            (
                "no-onward-removal or return clause",
                instrument.no_onward_removal or instrument.return_clause,
            ),
            ("access to asylum procedure", instrument.asylum_access),
            ("monitor access", instrument.monitor_access),
            ("complaints route", instrument.complaints_route),
        )
        if not present
    ]
    if missing:
        reasons.append(f"the instrument lacks: {', '.join(missing)}")
    assessed = instrument.safety_assessment_date
    if assessed is None:
        reasons.append("no country-safety assessment is recorded")
    elif assessed + relativedelta(months=SAFETY_ASSESSMENT_MONTHS) < day:
        reasons.append(
            f"the country-safety assessment of {assessed} is older than"
            f" {SAFETY_ASSESSMENT_MONTHS} months"
        )
    return reasons


def family_eligible(
    agreement: AgreementIn, members: Sequence[PersonRecord], day: dt.date
) -> list[str]:
    """Screening on the day of the move: every block of every member, with its rule id."""
    return [
        f"{result.case_id}: {block.rule} {block.reason}"
        for result in screen_family(list(members), Screen.of(agreement), day)
        for block in result.blocked_by
        if block.rule != "S9"  # the member's own block is listed; S9 only repeats it
    ]


def _whole_family(facts: Facts) -> list[str]:
    """The same people as proposed and accepted, by identity: a count can hide a swap."""
    if not facts.proposed:
        return []
    now = {m.case_id for m in facts.members}
    then = set(facts.proposed)
    if now == then:
        return []
    changes = []
    if then - now:
        changes.append(f"{', '.join(sorted(then - now))} proposed but no longer in the family")
    if now - then:
        changes.append(f"{', '.join(sorted(now - then))} in the family but never proposed")
    return ["; ".join(changes) + "; a family moves as the people proposed, whole, or not at all"]


def _reason(facts: Facts) -> list[str]:
    if facts.reason_code and facts.reason_text and facts.reason_text.strip():
        return []
    return ["a reason code and a reason text are required"]


def _served(facts: Facts) -> list[str]:
    if last_service(facts.members, facts.notices, facts.day, accepted_on=facts.accepted_on):
        return []
    missing = unserved(facts.members, facts.notices, facts.day, accepted_on=facts.accepted_on)
    return [f"no valid written notice served on {', '.join(missing) or 'anyone'}"]


def _notice_period(facts: Facts) -> list[str]:
    served = last_service(facts.members, facts.notices, facts.day, accepted_on=facts.accepted_on)
    if served is None:
        return _served(facts)
    last_day = fear_claim_deadline(served, facts.agreement.notice_days)
    if facts.day <= last_day:
        return [f"notice served on {served}: the days to raise a fear run to the end of {last_day}"]
    return []


def _medical(facts: Facts) -> list[str]:
    """Every member fit to travel on the day of the move, as recorded now (S10)."""
    unfit = [m.case_id for m in facts.members if m.medical_fit is not True]
    return [f"medical fitness to travel not confirmed for {', '.join(unfit)}"] if unfit else []


def _fitness_confirmed(facts: Facts) -> list[str]:
    if facts.medical_confirmed:
        return []
    return ["the sign-off does not confirm medical fitness to travel"]


def _sign_off(facts: Facts) -> list[str]:
    return [] if facts.signed_by else ["clearance needs one supervisor's named sign-off"]


def _interview(facts: Facts) -> list[str]:
    if facts.interview_at is None:
        return ["no fear interview has been scheduled"]
    if facts.interview_at > facts.now:
        return [f"the fear interview is scheduled for {facts.interview_at:%Y-%m-%d %H:%M} UTC"]
    return []


def _schedule_day(facts: Facts) -> list[str]:
    if facts.scheduled_for is None or facts.day < facts.scheduled_for:
        return [f"the transfer is scheduled for {facts.scheduled_for}"]
    return []


def check_ins_due(transferred_on: dt.date) -> list[tuple[int, dt.date]]:
    return [(days, transferred_on + dt.timedelta(days=days)) for days in MONITORING_DAYS]


def _check_ins(facts: Facts) -> list[str]:
    missing = [days for days in MONITORING_DAYS if days not in facts.check_ins_done]
    return [f"check-ins not recorded: {', '.join(f'{d} days' for d in missing)}"] if missing else []


GUARDS: dict[Guard, Callable[[Facts], list[str]]] = {
    "S9": _whole_family,
    "S12": lambda facts: agreement_open(facts.agreement, facts.day, facts.suspensions),
    "screening": lambda facts: family_eligible(facts.agreement, facts.members, facts.day),
    "reason": _reason,
    "served": _served,
    "S6": _notice_period,
    "S10": _medical,
    "fit_confirmed": _fitness_confirmed,
    "S14": _sign_off,
    "interview": _interview,
    "schedule_day": _schedule_day,
    "check_ins": _check_ins,
}
"""Every guard but S13, which the service checks against the locked ledger."""


NAMED_AS: dict[Guard, str] = {"fit_confirmed": "S10"}
"""Guards that check part of a safeguard, and the safeguard their reasons are named by."""


def failures_of(guards: Sequence[Guard], facts: Facts) -> list[str]:
    """The reasons each of these guards fails, prefixed with the rule's name (S13 aside)."""
    return [
        f"{NAMED_AS.get(guard, guard)}: {reason}"
        for guard in guards
        for reason in GUARDS[guard](facts)
    ]


def failures(row: Transition, facts: Facts, *, reason_required: bool = True) -> list[str]:
    """Every guard of the move that fails, each reason prefixed with the rule's name."""
    return failures_of(
        [g for g in row.guards if g != "S13" and not (g == "reason" and not reason_required)],
        facts,
    )
