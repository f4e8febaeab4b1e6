"""An oracle for "no unlawful transfer", written from DESIGN §1, §3 and §4 alone.

It imports nothing of Accord: it keeps its own model of what the simulation did (the case files
it imported, the acts it saw go through) and reads the database's tables with plain SQL to see
which moves were made. After every step it judges each move that took a family closer to
transfer (proposed, accepted, notified, cleared, scheduled, transferred) on the day it was
made, and every move's author and date.

Its model of the facts is monotone, as the design's first invariant says: a protective fact
(a protection claim, a fear claim and its finding, a stay, an appeal, a vulnerability, unfitness
to travel, an age dispute, counsel) once seen stays in force, whatever a later file omits,
until the oracle sees a supervisor of a sender make the explicit act that lifts it. An S8
assessment counts only when the oracle saw a supervisor answer for it: by the act of assessing,
or in a file a supervisor imported; a free-text `by` in anyone else's file is no one. A
suspension ends only by a supervisor's lift act, never by a status change.
"""

from __future__ import annotations

import calendar
import datetime as dt
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

REMOVAL_KINDS = frozenset({"third_country_transfer", "own_nationals_return", "custody"})
REOPENING_DAYS = 15
MIN_NOTICE_DAYS = 10
SAFETY_MONTHS = 12
COMES_FROM = {
    "accepted": {"proposed"},
    "notified": {"accepted"},
    "cleared": {"notified", "reopening"},
    "scheduled": {"cleared"},
    "transferred": {"scheduled"},
}
"""DESIGN §3: the only ways into each state on the way to transfer."""
HOLDING = frozenset({"accepted", "notified", "fear_claimed", "reopening", "cleared", "scheduled"})
LEFT_RECEIVER = frozenset({"returned_home", "moved_on", "absconded", "re_transferred"})
RECEIVER_MOVES = frozenset(
    {"accept", "reject", "revoke", "transfer"}
    | {f"onward_{o}" for o in (*LEFT_RECEIVER, "remained")}
)
"""DESIGN §1: a reviewer of the receiving state accepts, rejects, records arrival and onward."""
SUPERVISOR_MOVES = frozenset({"clear"})
"""DESIGN §1 and S14: a clearance is one supervisor's sign-off."""
NEEDS = {
    "proposed": ("screening", "S12"),
    "accepted": ("screening", "S9", "S12", "S13"),
    "notified": ("screening", "S9", "S12", "served"),
    "cleared": ("screening", "S9", "S12", "S6", "S10", "S14"),
    "scheduled": ("screening", "S9", "S12", "S6", "S10"),
    "transferred": ("screening", "S9", "S12", "S6", "S10", "S13"),
}
"""The moves that take a family closer to transfer, and what each must satisfy on its day
(DESIGN §4 and its invariants); "screening" is S1–S5, S7, S8 and S11 for every member."""


@dataclass(frozen=True, slots=True)
class Violation:
    """One unlawful move or act, where and when the simulation made it."""

    step: int
    rule: str
    move: str
    day: dt.date
    item: int | None
    family: str | None
    agreement: str | None
    detail: str

    def __str__(self) -> str:
        where = ", ".join(
            part
            for part in (
                f"item {self.item}" if self.item is not None else "",
                f"family {self.family}" if self.family else "",
                f"agreement {self.agreement}" if self.agreement else "",
            )
            if part
        )
        return f"step {self.step} {self.day} {self.rule} at {self.move} ({where}): {self.detail}"


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _moment(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    moment = dt.datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def add_months(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _shift(day: dt.date, period: str, times: int) -> dt.date:
    """`day` moved by `times` ISO 8601 periods of whole years, months, weeks or days."""
    body, years, months, days, number = period[1:], 0, 0, 0, ""
    for char in body:
        if char.isdigit():
            number += char
            continue
        value, number = int(number), ""
        if char == "Y":
            years = value
        elif char == "M":
            months = value
        elif char == "W":
            days += 7 * value
        elif char == "D":
            days += value
    return add_months(day, (12 * years + months) * times) + dt.timedelta(days=days * times)


def period_of(
    cap: Mapping[str, Any], term_start: dt.date | None, day: dt.date
) -> tuple[dt.date, dt.date]:
    """The half-open period of a per-period cap holding `day`."""
    period = cap.get("period")
    if not period:
        return dt.date.min, dt.date.max
    if cap.get("anchor") == "rolling":
        return _shift(day, period, -1) + dt.timedelta(days=1), day + dt.timedelta(days=1)
    anchor = term_start if cap.get("anchor") == "term_start" and term_start else None
    anchor = anchor or dt.date(day.year, 1, 1)
    count = 0
    while _shift(anchor, period, count + 1) <= day:
        count += 1
    while _shift(anchor, period, count) > day:
        count -= 1
    return _shift(anchor, period, count), _shift(anchor, period, count + 1)


# --- The oracle's own model -------------------------------------------------------------------


@dataclass
class Person:
    """What the oracle holds about one person: the latest file's plain facts, and every
    protective fact any file or act ever put into the world."""

    case_id: str
    family_id: str
    relationship: str
    birth: dt.date
    nationalities: frozenset[str]
    languages: frozenset[str]
    sender_status: str
    removal: str
    protection: set[tuple[str, str, str]] = field(default_factory=set)
    """(type, status, against)."""
    fears: set[tuple[str, str, dt.date | None]] = field(default_factory=set)
    """(country, outcome, decided), from the files."""
    appeal: bool = False
    stay: bool = False
    vulnerable: set[str] = field(default_factory=set)
    assessed: dt.date | None = None
    """The first day a supervisor was seen to assess the person (S8)."""
    age_disputed: bool = False
    fit: bool | None = None
    ever_unfit: bool = False
    counsel: bool = False
    changed: dt.datetime | None = None
    """When the facts the oracle judges the person on last changed."""

    def facts(self) -> tuple[Any, ...]:
        """What a move is judged on: a change to any of it is a change of the record."""
        return (
            self.family_id,
            self.relationship,
            self.birth,
            self.nationalities,
            self.languages,
            self.sender_status,
            self.removal,
            frozenset(self.protection),
            frozenset(self.fears),
            self.appeal,
            self.stay,
            frozenset(self.vulnerable),
            self.assessed,
            self.age_disputed,
            self.fit is True and not self.ever_unfit,
            self.counsel,
        )

    def minor(self, on: dt.date) -> bool:
        return self.age_disputed or age(self.birth, on) < 18


@dataclass
class Terms:
    """An agreement as the simulation loaded it, and its status as lawful acts left it."""

    id: str
    sender: str
    receiver: str
    kind: str
    onward_return: bool
    no_onward_removal: bool
    missing: list[str]
    assessed: dt.date | None
    start: dt.date | None
    end: dt.date | None
    notice_days: int
    include: frozenset[str] | None
    exclude: frozenset[str] | None
    caps: list[dict[str, Any]]
    status: str
    suspended: bool
    """An unlifted suspension: only a supervisor's lift act ends it."""

    @classmethod
    def of(cls, spec: Mapping[str, Any]) -> Terms:
        instrument = spec.get("instrument", {})
        missing = [
            name
            for name, present in (
                ("admission", instrument.get("admission")),
                (
                    "no-onward-removal or return clause",
                    instrument.get("no_onward_removal") or instrument.get("return_clause"),
                ),
                ("asylum access", instrument.get("asylum_access")),
                ("monitor access", instrument.get("monitor_access")),
                ("complaints route", instrument.get("complaints_route")),
            )
            if not present
        ]
        scope = spec.get("nationality_scope") or {}
        term = spec.get("term") or {}
        return cls(
            id=spec["id"],
            sender=spec["sender"],
            receiver=spec["receiver"],
            kind=spec["kind"],
            onward_return=bool(spec.get("onward_return")),
            no_onward_removal=bool(instrument.get("no_onward_removal")),
            missing=missing,
            assessed=_date(instrument.get("safety_assessment_date")),
            start=_date(term.get("start")),
            end=_date(term.get("end")),
            notice_days=max(MIN_NOTICE_DAYS, int(spec.get("notice_days", 10))),
            include=frozenset(scope["include"]) if "include" in scope else None,
            exclude=frozenset(scope["exclude"]) if "exclude" in scope else None,
            caps=list(spec.get("caps", [])),
            status=spec["status"],
            suspended=spec["status"] == "suspended",
        )


@dataclass(frozen=True, slots=True)
class Notice:
    case_id: str
    recipient: str
    day: dt.date
    valid: bool


@dataclass
class Item:
    id: int
    agreement: str
    family: str
    members: frozenset[str]
    """The family as proposed, by case id (S9: the same people, not the same count)."""
    state: str = "proposed"
    last_day: dt.date = dt.date.min
    accepted_on: dt.date | None = None
    notices: list[Notice] = field(default_factory=list)


@dataclass
class Place:
    """The oracle's own quota ledger entry for one item."""

    persons: int
    reserved_on: dt.date
    held: bool = True
    present: bool = False


@dataclass
class Claim:
    """A fear claim raised through the workflow (a row of `fear_claims`), as last seen."""

    item: int
    case_id: str
    country: str
    asserted: dt.date
    interview_at: dt.datetime | None = None
    outcome: str = "pending"
    decided: dt.date | None = None


class Oracle:
    def __init__(
        self,
        database: str,
        users: Mapping[str, tuple[str, str | None]],
        agreements: Iterable[Mapping[str, Any]],
    ) -> None:
        self.db = sqlite3.connect(f"file:{database}?mode=ro", uri=True, check_same_thread=False)
        self.users = dict(users)
        self.terms = {spec["id"]: Terms.of(spec) for spec in agreements}
        self.senders = {terms.sender for terms in self.terms.values()}
        self.people: dict[str, Person] = {}
        self.families: dict[str, set[str]] = {}
        self.items: dict[int, Item] = {}
        self.places: dict[str, dict[int, Place]] = {a: {} for a in self.terms}
        self.claims: dict[int, Claim] = {}
        self.last_event = 0
        self.now = dt.datetime.min.replace(tzinfo=dt.UTC)
        """The moment of the step being judged: the simulation sets it as each step begins."""
        self._found: list[Violation] = []

    def close(self) -> None:
        self.db.close()

    # --- what the simulation tells the oracle it did (only acts that went through) ---------

    def imported(
        self,
        records: Iterable[Mapping[str, Any]],
        by: str | None = None,
        day: dt.date | None = None,
    ) -> None:
        """A case file was imported (by `by`, on `day`): plain facts follow it, protective facts
        only accumulate, and an assessment counts when a supervisor imports it (who answers for
        it; anyone else's file bringing one must be refused whole)."""
        for record in records:
            case_id, family_id = record["case_id"], record["family_id"]
            person = self.people.get(case_id)
            if person is None:
                person = self.people[case_id] = Person(
                    case_id, family_id, "", dt.date.min, frozenset(), frozenset(), "", ""
                )
            before = person.facts()
            self.families.get(person.family_id, set()).discard(case_id)
            self.families.setdefault(family_id, set()).add(case_id)
            person.family_id = family_id
            person.relationship = record["relationship"]
            person.birth = dt.date.fromisoformat(record["birth_date"])
            person.nationalities = frozenset(record.get("nationalities", []))
            person.languages = frozenset(record.get("languages", []))
            person.sender_status = record["sender_status"]
            person.removal = record.get("removal_order", {}).get("status", "none")
            person.protection |= {
                (p["type"], p["status"], p["against"]) for p in record.get("protection", [])
            }
            person.fears |= {
                (c["country"], c["outcome"], _date(c.get("decided")))
                for c in record.get("fear_claims", [])
            }
            person.appeal |= bool(record.get("appeal_pending"))
            person.stay |= bool(record.get("stay_of_removal"))
            person.vulnerable |= set(record.get("vulnerabilities", []))
            person.age_disputed |= bool(record.get("age_disputed"))
            person.fit = record.get("medical_fit")
            person.ever_unfit |= person.fit is False
            person.counsel |= record.get("counsel") is not None
            if record.get("assessments") and by and day and self._supervisor(by):
                person.assessed = min(person.assessed or day, day)
            if person.facts() != before:
                person.changed = self.now

    def case_changed(self, case_id: str, change: str, against: str | None) -> None:
        """record_case_change went through: a stay, an appeal or a new pending claim."""
        person = self.people[case_id]
        person.changed = self.now
        if change == "stay":
            person.stay = True
        elif change == "appeal":
            person.appeal = True
        elif against is not None:
            person.protection.add(("refugee", "pending", against))

    def lifted_fact(
        self, step: int, day: dt.date, case_id: str, fact: str, detail: str | None, actor: str
    ) -> None:
        """A protective fact was lifted. Only a supervisor's act ends one; anyone else's act
        that went through is a violation, and the fact stays."""
        if not self._supervisor(actor):
            self._flag_act(step, "R", "lift_fact", day, None, f"{actor} lifted {fact} of {case_id}")
            return
        person = self.people[case_id]
        person.changed = self.now
        if fact == "stay":
            person.stay = False
        elif fact == "appeal":
            person.appeal = False
        elif fact == "age_dispute":
            person.age_disputed = False
        elif fact == "unfit":
            person.fit, person.ever_unfit = True, False
        elif fact == "vulnerability":
            person.vulnerable.discard(detail or "")
        elif fact == "protection":
            ended = {p for p in person.protection if p[1] == "pending" and p[2] == detail}
            person.protection = (person.protection - ended) | {
                (t, "withdrawn", a) for t, _, a in ended
            }
        elif fact == "fear_claim":
            ended = {f for f in person.fears if f[1] == "pending" and f[0] == detail}
            person.fears = (person.fears - ended) | {(c, "negative", day) for c, _, _ in ended}
            for claim in self.claims.values():
                if (
                    claim.case_id == case_id
                    and claim.country == detail
                    and claim.outcome == "pending"
                ):
                    claim.outcome, claim.decided = "negative", day

    def assessed(self, step: int, day: dt.date, case_id: str, actor: str) -> None:
        """An individual assessment (S8) was recorded: it counts when a supervisor made it."""
        if not self._supervisor(actor):
            self._flag_act(step, "R", "assess", day, None, f"{actor} assessed {case_id}")
            return
        person = self.people[case_id]
        person.assessed = min(person.assessed or day, day)
        person.changed = self.now

    def _touch(self, case_id: str) -> None:
        if case_id in self.people:
            self.people[case_id].changed = self.now

    def _supervisor(self, actor: str) -> bool:
        role, party = self.users.get(actor, ("unknown", None))
        return role == "supervisor" and (party is None or party in self.senders)

    def noticed(
        self,
        step: int,
        day: dt.date,
        item_id: int,
        case_id: str,
        recipient: str,
        language: str,
        signed: bool,
        *,
        read_in: str | None = None,
    ) -> None:
        """A notice was recorded. Valid service: signed, in a language the person is recorded
        as understanding (the notice's own, or the one an interpreter read it in); counsel is
        served on delivery. A notice to a person in a language they do not understand must be
        refused, not recorded (S6). A record dated before the item's last move breaks time's
        order."""
        item = self.items[item_id]
        person = self.people[case_id]
        heard = read_in or language
        valid = (recipient == "counsel" and person.counsel) or (
            recipient == "person" and signed and heard in person.languages
        )
        item.notices.append(Notice(case_id, recipient, day, valid))
        if recipient == "person" and heard not in person.languages:
            self._flag(
                step,
                "S6",
                "notice",
                day,
                item,
                f"notice to {case_id} recorded in {heard!r}, which they are not recorded as"
                f" understanding ({', '.join(sorted(person.languages)) or 'none'})",
            )
        if day < item.last_day:
            self._flag(
                step,
                "T",
                "notice",
                day,
                item,
                f"notice to {case_id} ({recipient}) dated {day}, before the item's last move"
                f" on {item.last_day}",
            )

    def status_changed(self, step: int, day: dt.date, agreement: str, new: str, actor: str) -> None:
        """An agreement status change went through. Only a supervisor of the sender may make
        one; a move into suspension counts whoever made it, and nothing but a lift act ends
        a suspension."""
        terms = self.terms[agreement]
        lawful = self._sender_staff(actor, terms, supervisor=True)
        if not lawful:
            self._flag_act(step, "R", "status", day, agreement, f"{actor} changed status to {new}")
        if new == "suspended":
            terms.suspended = True
        if lawful or new in ("suspended", "expired", "terminated"):
            terms.status = new

    def incident(self, agreement: str, kind: str) -> None:
        terms = self.terms[agreement]
        if kind in ("onward_removal", "ill_treatment"):
            terms.suspended = True
            if terms.status == "in_force":
                terms.status = "suspended"

    def lifted(self, step: int, day: dt.date, agreement: str, actor: str) -> None:
        terms = self.terms[agreement]
        if not self._sender_staff(actor, terms, supervisor=True):
            self._flag_act(step, "R", "lift", day, agreement, f"{actor} lifted the suspension")
            return
        terms.suspended = False
        terms.status = "in_force"

    # --- after every step --------------------------------------------------------------------

    def observe(self, step: int, day: dt.date) -> list[Violation]:
        """Read what the step wrote, judge each move, and return the violations found."""
        self._read_claims(step, day)
        rows = self.db.execute(
            "SELECT id, item_id, action, to_state, day, at, actor FROM item_events"
            " WHERE id > ? ORDER BY id",
            (self.last_event,),
        ).fetchall()
        for event_id, item_id, action, to_state, when, at, actor in rows:
            self.last_event = event_id
            self._judge(step, day, item_id, action, to_state, _date(when) or day, actor)
            if to_state in NEEDS:
                self._judge_moment(step, day, self.items[item_id], action, _moment(at))
        found, self._found = self._found, []
        return found

    def _read_claims(self, step: int, day: dt.date) -> None:
        rows = self.db.execute(
            "SELECT id, item_id, case_id, receiver, asserted_on, interview_at,"
            " interview_notice_at, outcome, decided_on FROM fear_claims"
        ).fetchall()
        for (
            claim_id,
            item_id,
            case_id,
            receiver,
            asserted,
            interview,
            noticed,
            outcome,
            decided,
        ) in rows:
            known = self.claims.get(claim_id)
            interview_at = _moment(interview)
            if known is None:
                known = self.claims[claim_id] = Claim(
                    item_id, case_id, receiver, _date(asserted) or day
                )
                self._touch(case_id)
            item = self.items.get(item_id)
            if interview_at is not None and interview_at != known.interview_at:
                known.interview_at = interview_at
                noticed_on = (_moment(noticed) or interview_at).date()
                if item is not None and noticed_on < item.last_day:
                    self._flag(
                        step,
                        "T",
                        "interview",
                        day,
                        item,
                        f"interview of {case_id}'s claim"
                        f" booked on {noticed_on}, before the item's last move on {item.last_day}",
                    )
                if interview_at.date() < known.asserted:
                    self._flag(
                        step,
                        "T",
                        "interview",
                        day,
                        item,
                        f"interview of {case_id} on"
                        f" {interview_at.date()}, before the claim of {known.asserted}",
                    )
            decided_on = _date(decided) or day
            if outcome == "positive" and known.outcome != "positive":
                known.outcome, known.decided = outcome, decided_on  # upheld: for good
            elif outcome == "negative" and known.outcome == "pending":
                known.outcome, known.decided = outcome, decided_on
            else:
                continue
            self._touch(case_id)
            if item is not None and (
                known.interview_at is None or known.interview_at.date() > decided_on
            ):
                self._flag(
                    step,
                    "T",
                    "decide_fear",
                    day,
                    item,
                    f"{case_id}'s claim decided"
                    f" on {decided_on} before its interview ({known.interview_at})",
                )

    def _judge(
        self, step: int, day: dt.date, item_id: int, action: str, to: str, when: dt.date, actor: str
    ) -> None:
        item = self.items.get(item_id)
        if item is None:
            agreement, family = self.db.execute(
                "SELECT agreement_id, family_id FROM proposal_items WHERE id = ?", (item_id,)
            ).fetchone()
            members = frozenset(self.families.get(family, set()))
            item = self.items[item_id] = Item(item_id, agreement, family, members, state="")
        terms = self.terms[item.agreement]
        if when != day:
            self._flag(step, "T", action, day, item, f"{action} dated {when}, the clock said {day}")
        if when < item.last_day:
            self._flag(
                step,
                "T",
                action,
                day,
                item,
                f"{action} on {when}, before the item's last move on {item.last_day}",
            )
        self._judge_author(step, day, item, terms, action, actor)
        if to in COMES_FROM and item.state not in COMES_FROM[to]:
            self._flag(step, "W", action, day, item, f"{item.state} -> {to} is not a move of §3")
        before = item.state
        item.state, item.last_day = to, max(item.last_day, when)
        places = self.places[item.agreement]
        if to == "accepted":
            item.accepted_on = day
            places[item.id] = Place(len(item.members), day)
        elif before in HOLDING and to in ("cancelled", "revoked", "blocked_protection"):
            if item.id in places:
                places[item.id].held = False
        elif to == "transferred" and item.id in places:
            places[item.id].present = True
        elif to in LEFT_RECEIVER and item.id in places:
            places[item.id].present = False
        if to in NEEDS:
            self._judge_move(step, day, item, terms, to)

    def _judge_moment(
        self, step: int, day: dt.date, item: Item, action: str, at: dt.datetime | None
    ) -> None:
        """A move is never dated before the facts it is judged on: the members' records."""
        changes = [
            (person.changed, person.case_id)
            for case_id in self.families.get(item.family, set())
            if (person := self.people[case_id]).changed is not None
        ]
        if at is None or not changes:
            return
        latest, case_id = max(changes)
        if at < latest:
            self._flag(
                step,
                "T",
                action,
                day,
                item,
                f"{action} at {at:%Y-%m-%d %H:%M}, before {case_id}'s record changed"
                f" at {latest:%Y-%m-%d %H:%M}",
            )

    def _judge_author(
        self, step: int, day: dt.date, item: Item, terms: Terms, action: str, actor: str
    ) -> None:
        role, party = self.users.get(actor, ("unknown", None))
        if action in RECEIVER_MOVES:
            if role != "reviewer" or party != terms.receiver:
                self._flag(
                    step,
                    "R",
                    action,
                    day,
                    item,
                    f"{actor} ({role} of {party}) is not a reviewer of {terms.receiver}",
                )
        elif action in SUPERVISOR_MOVES:
            if not self._sender_staff(actor, terms, supervisor=True):
                self._flag(
                    step,
                    "S14",
                    action,
                    day,
                    item,
                    f"cleared by {actor} ({role} of {party}), not a supervisor of {terms.sender}",
                )
        elif not self._sender_staff(actor, terms, supervisor=False):
            self._flag(
                step,
                "R",
                action,
                day,
                item,
                f"{actor} ({role} of {party}) is not staff of {terms.sender}",
            )

    def _sender_staff(self, actor: str, terms: Terms, *, supervisor: bool) -> bool:
        role, party = self.users.get(actor, ("unknown", None))
        roles = ("supervisor",) if supervisor else ("officer", "supervisor")
        return role in roles and party in (None, terms.sender)

    # --- the safeguards of one move ------------------------------------------------------------

    def _judge_move(self, step: int, day: dt.date, item: Item, terms: Terms, to: str) -> None:
        members = sorted(self.families.get(item.family, set()))
        people = [self.people[c] for c in members]
        needs = NEEDS[to]
        if "S9" in needs and frozenset(members) != item.members:
            gone = sorted(item.members - set(members))
            new = sorted(set(members) - item.members)
            self._flag(
                step, "S9", to, day, item, f"not the family proposed: without {gone}, with {new}"
            )
        if "screening" in needs:
            blocked: dict[str, list[str]] = {}
            for person in people:
                for rule, reason in self._screen(person, people, terms, day):
                    blocked.setdefault(rule, []).append(f"{person.case_id}: {reason}")
            for rule, reasons in sorted(blocked.items(), key=lambda r: int(r[0][1:])):
                self._flag(step, rule, to, day, item, "; ".join(reasons))
        if "S12" in needs:
            reasons = self._closed(terms, day)
            if reasons:
                self._flag(step, "S12", to, day, item, "; ".join(reasons))
        if "S10" in needs:
            unfit = [p.case_id for p in people if p.fit is not True or p.ever_unfit]
            if unfit:
                self._flag(step, "S10", to, day, item, f"not fit to travel: {', '.join(unfit)}")
        if "served" in needs or "S6" in needs:
            reason = self._notice(item, people, terms, day, period="S6" in needs)
            if reason:
                self._flag(step, "S6", to, day, item, reason)
        if "S13" in needs:
            reasons = self._over_cap(terms, day)
            if reasons:
                self._flag(step, "S13", to, day, item, "; ".join(reasons))

    def _screen(
        self, person: Person, family: list[Person], terms: Terms, day: dt.date
    ) -> list[tuple[str, str]]:
        blocks: list[tuple[str, str]] = []
        nationalities = person.nationalities
        if person.sender_status in ("citizen", "lpr") or terms.sender in nationalities:
            blocks.append(("S1", f"{person.sender_status}, nationalities {sorted(nationalities)}"))
        if terms.kind in REMOVAL_KINDS and person.removal != "final":
            blocks.append(("S2", f"removal order {person.removal}"))
        pending = [p for p in person.protection if p[1] == "pending"]
        if pending or person.appeal or person.stay:
            blocks.append(
                ("S3", f"pending {sorted(pending)}, appeal {person.appeal}, stay {person.stay}")
            )
        for kind, status, against in sorted(person.protection):
            if status not in ("granted", "pending"):
                continue
            if against == terms.receiver:
                blocks.append(("S4", f"{kind} {status} against the receiver {against}"))
            elif terms.onward_return and against in nationalities:
                blocks.append(("S4", f"{kind} {status} against {against}, an onward destination"))
            elif not terms.no_onward_removal:
                blocks.append(
                    ("S4", f"{kind} {status} against {against}; no no-onward-removal clause")
                )
        fears = set(person.fears) | {
            (c.country, c.outcome, c.decided)
            for c in self.claims.values()
            if c.case_id == person.case_id
        }
        for country, outcome, decided in sorted(fears, key=str):
            about = country == terms.receiver or (terms.onward_return and country in nationalities)
            if not about:
                continue
            if outcome in ("pending", "positive"):
                blocks.append(("S5", f"fear claim about {country} {outcome}"))
            elif decided is None or day < decided + dt.timedelta(days=REOPENING_DAYS):
                blocks.append(
                    ("S5", f"fear claim about {country} refused on {decided}: window open")
                )
        if person.minor(day) and not any(
            m.relationship in ("head", "spouse") and not m.minor(day) for m in family
        ):
            blocks.append(
                ("S7", f"a minor (born {person.birth}, disputed {person.age_disputed}) alone")
            )
        if person.vulnerable and (person.assessed is None or person.assessed > day):
            blocks.append(
                (
                    "S8",
                    f"vulnerable ({', '.join(sorted(person.vulnerable))}), no supervisor's assessment",
                )
            )
        scope = []
        if terms.include is not None and not nationalities & terms.include:
            scope.append(f"{sorted(nationalities)} outside {sorted(terms.include)}")
        if terms.exclude is not None and nationalities & terms.exclude:
            scope.append(f"{sorted(nationalities & terms.exclude)} excluded")
        if terms.kind == "third_country_transfer" and terms.receiver in nationalities:
            scope.append(f"a national of the receiver {terms.receiver}")
        if terms.kind == "own_nationals_return" and terms.receiver not in nationalities:
            scope.append(f"not a national of the receiver {terms.receiver}")
        if terms.onward_return and not nationalities:
            scope.append("stateless, under onward return")
        if scope:
            blocks.append(("S11", "; ".join(scope)))
        return blocks

    def _closed(self, terms: Terms, day: dt.date) -> list[str]:
        reasons = []
        if terms.status != "in_force":
            reasons.append(f"{terms.status}, not in force")
        if terms.suspended:
            reasons.append("a suspension no supervisor has lifted")
        if (terms.start and day < terms.start) or (terms.end and day > terms.end):
            reasons.append(f"outside the term {terms.start} to {terms.end}")
        if terms.missing:
            reasons.append(f"the instrument lacks {', '.join(terms.missing)}")
        if terms.assessed is None or add_months(terms.assessed, SAFETY_MONTHS) < day:
            reasons.append(f"safety assessment of {terms.assessed} is not within 12 months")
        return reasons

    def _notice(
        self, item: Item, people: list[Person], terms: Terms, day: dt.date, *, period: bool
    ) -> str | None:
        required = [(p.case_id, "person") for p in people if not p.minor(day)]
        required += [(p.case_id, "counsel") for p in people if p.counsel]
        served: dict[tuple[str, str], dt.date] = {}
        for notice in item.notices:
            if not notice.valid or item.accepted_on is None:
                continue
            if item.accepted_on <= notice.day <= day:
                key = (notice.case_id, notice.recipient)
                served[key] = min(served.get(key, notice.day), notice.day)
        missing = [f"{c} ({r})" for c, r in required if (c, r) not in served]
        if missing:
            return f"no valid notice after acceptance ({item.accepted_on}) on {', '.join(missing)}"
        if period and required:
            last = max(served[key] for key in required)
            # The day of service does not count: the days to raise a fear run to the end of
            # service + notice_days (at least 10), and nothing moves before that day is over.
            deadline = last + dt.timedelta(days=max(10, terms.notice_days))
            if day <= deadline:
                return f"last valid service on {last}; the days to raise a fear run to {deadline}"
        return None

    def _over_cap(self, terms: Terms, day: dt.date) -> list[str]:
        places = self.places[terms.id].values()
        reasons = []
        for cap in terms.caps:
            limit = cap.get("limit")
            if limit is None:
                continue
            if cap["kind"] == "present_at_once":
                count = sum(p.persons for p in places if p.present)
            else:
                start, end = period_of(cap, terms.start, day)
                held = [p for p in places if p.held and start <= p.reserved_on < end]
                count = (
                    len(held)
                    if cap["kind"] == "families_per_period"
                    else sum(p.persons for p in held)
                )
            if count > limit:
                reasons.append(f"{cap['kind']} cap of {limit} holds {count}")
        return reasons

    # --- recording ---------------------------------------------------------------------------

    def _flag(
        self, step: int, rule: str, move: str, day: dt.date, item: Item | None, detail: str
    ) -> None:
        self._found.append(
            Violation(
                step,
                rule,
                move,
                day,
                item.id if item else None,
                item.family if item else None,
                item.agreement if item else None,
                detail,
            )
        )

    def _flag_act(
        self, step: int, rule: str, move: str, day: dt.date, agreement: str, detail: str
    ) -> None:
        self._found.append(Violation(step, rule, move, day, None, None, agreement, detail))
