"""A year of the workflow under the synthetic Kosovo-style agreement `demo-xk-year`.

The script plays each party through the service functions (never the CLI), each party a real
account it adds to the database and acts as (`sign_up_cast`), on a set clock from 2026-01-12
to 2026-12-31: the sender's officer proposes pools of 1.5× the places left, the receiver's
reviewer accepts some families and rejects others with reasons, notices are served (one not in
a language the person understands, one refused), two fear claims are decided (one positive,
one negative), supervisors clear each family on its own, families are transferred within the
present-at-once cap, onward outcomes and check-ins follow, a court stay cancels one transfer,
and a monitor's incident suspends the agreement for three weeks. Every choice comes from a
seeded random generator, so the same seed gives the same year. Refusals by a safeguard are
part of the story: they are collected and printed in their month.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import random
import re
import secrets
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, TypeVar

from rich.console import Console
from rich.markup import escape
from sqlalchemy.orm import Session, sessionmaker

from accord.access import Actor
from accord.accounts.service import add_user, issue_token, token_principal
from accord.cases.service import stored_people
from accord.clock import Clock, SetClock, today
from accord.db import unit_of_work
from accord.documents import service as templates
from accord.errors import AccordError
from accord.monitoring.service import lift_suspension, record_check_in, report_incident
from accord.proposals import repository, views
from accord.proposals.batch import Decision, review_batch
from accord.proposals.case_facts import record_case_change
from accord.proposals.fear_claims import claim_fear, decide_fear, schedule_interview
from accord.proposals.movement import clear, confirm_arrival, record_onward, schedule
from accord.proposals.notices import record_notice
from accord.proposals.pools import propose_pool
from accord.proposals.render import (
    caps_table,
    item_renderable,
    ledger_totals,
    month_lines,
)
from accord.proposals.service import move, withdraw
from accord.records.countries import country_name
from accord.records.person import PersonRecord
from accord.records.vocabulary import OnwardOutcome
from accord.safeguards.predicates import REOPENING_DAYS, is_minor
from accord.transparency.payments import record_payment
from accord.workflow.audience import Audience
from accord.workflow.guards import MONITORING_DAYS, last_service, notice_recipients
from accord.workflow.quota import present
from accord.workflow.transitions import Role

AGREEMENT = "demo-xk-year"
START = dt.date(2026, 1, 12)
END = dt.date(2026, 12, 31)
INCIDENT_DAY = dt.date(2026, 6, 15)
LIFT_DAY = dt.date(2026, 7, 6)
ROUNDS = (
    START,
    dt.date(2026, 4, 6),
    dt.date(2026, 6, 22),  # refused: the agreement is suspended (S12)
    dt.date(2026, 7, 13),
    dt.date(2026, 10, 5),
)
"""Mondays on which the officer proposes a pool of 1.5× the places left."""
SCRIPT = "demo"
"""Who adds the script's accounts when no admin is given: the demo seeding its own database."""
SIGN_IN = dt.timedelta(hours=1)
"""How long the script's tokens live: each is used once, when the year starts."""

CAST_USERS: tuple[tuple[str, Role, str | None], ...] = (
    ("o.reyes", "officer", "US"),
    ("s.chen", "supervisor", "US"),
    ("s.okafor", "supervisor", "US"),
    ("r.krasniqi", "reviewer", "XK"),
    ("m.berisha", "monitor", "MON-XK"),
)
"""The accounts that play the year: the sender's officer and two supervisors, the receiver's
reviewer, and the monitor named in the agreement."""


@dataclass(frozen=True)
class Cast:
    """Who plays each part, as the workflow's actors built from the accounts' principals."""

    officer: Actor
    supervisors: tuple[Actor, Actor]
    reviewer: Actor
    monitor: Actor


def sign_up_cast(sessions: sessionmaker[Session], clock: Clock, *, by: str) -> Cast:
    """Add the script's users through the accounts service (`by` is the admin who adds them;
    each password is made up and forgotten) and sign each in once with a short-lived token:
    every move of the year is made as the principal that token stands for, as the command line
    and the API make theirs."""
    actors: dict[str, Actor] = {}
    with unit_of_work(sessions) as session:
        for username, role, party in CAST_USERS:
            add_user(session, username, secrets.token_urlsafe(18), role, party, clock, actor=by)
            token = issue_token(
                session, username, "demo script", ["read", "write"], SIGN_IN, clock, actor=by
            )
            principal = token_principal(session, token, clock)
            if principal is None:
                raise RuntimeError(f"the demo's token for {username} signs no one in")
            actors[username] = principal.actor
    return Cast(
        officer=actors["o.reyes"],
        supervisors=(actors["s.chen"], actors["s.okafor"]),
        reviewer=actors["r.krasniqi"],
        monitor=actors["m.berisha"],
    )


ONWARD: tuple[tuple[OnwardOutcome, float, str], ...] = (
    ("returned_home", 0.55, "assisted return to the country of nationality"),
    ("remained", 0.30, "temporary residence permit"),
    ("moved_on", 0.10, "left for a third country on a visa"),
    ("absconded", 0.05, "left the reception centre; whereabouts unknown"),
)
CHECK_IN_NOTES: tuple[tuple[str, Audience], ...] = (
    ("seen in person; no concerns", Audience.SHARED),
    ("reached by phone; access to a lawyer confirmed", Audience.SHARED),
    ("seen with counsel; housing adequate", Audience.SHARED),
    ("seen in person; medical follow-up arranged", Audience.SENDER),
)
"""The monitor's notes, each with who may read it: a note that tells of a person's health is
for the sender's staff only."""

T = TypeVar("T")


@dataclass(order=True)
class _Task:
    at: dt.datetime
    seq: int
    run: Callable[[], object] = field(compare=False)


@dataclass(frozen=True)
class _Item:
    id: int
    family_id: str
    size: int
    state: str
    proposal_id: int
    scheduled_for: dt.date | None


PAYMENTS = (
    (dt.date(2026, 4, 15), Decimal("150000.00")),
    (dt.date(2026, 10, 15), Decimal("100000.00")),
)
"""Lump sums the sender pays under the demo agreement (never a price times a count, which
would publish the count)."""

DEMO_APPROVAL = "synthetic approval for the demo: no certified translator has reviewed these drafts"


class Year:
    """The agenda of one year: tasks run in time order, the clock moved to each in turn."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: SetClock,
        seed: int,
        cast: Cast,
        *,
        until: dt.date | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.cast = cast
        self.last_day = END if until is None else min(until, END)
        """Nothing after this day is played: a server can then open on a year half told."""
        self.rng = random.Random(seed)
        self.agenda: list[_Task] = []
        self.counter = itertools.count()
        self.notes: list[tuple[dt.date, str, str]] = []
        self.pools: list[int] = []
        self.fear_items: dict[str, int] = {}
        self.supervisor = itertools.cycle(self.cast.supervisors)

    # --- Machinery ----------------------------------------------------------------------

    def at(self, day: dt.date, hour: int, task: Callable[[], object]) -> None:
        if day <= self.last_day:
            when = dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)
            heapq.heappush(self.agenda, _Task(when, next(self.counter), task))

    def run(self) -> None:
        while self.agenda:
            task = heapq.heappop(self.agenda)
            if task.at > self.clock.now():
                self.clock.at = task.at
            task.run()
        end = dt.datetime.combine(self.last_day, dt.time(18), tzinfo=dt.UTC)
        self.clock.at = max(self.clock.at, end)

    def note(self, label: str, text: str) -> None:
        self.notes.append((today(self.clock), label, text))

    def call(self, service: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """One service call in its own transaction; a refusal is noted, not raised."""
        try:
            with unit_of_work(self.sessions) as session:
                return service(session, *args, **kwargs)
        except AccordError as exc:
            self.note("refused", exc.detail)
            return None

    def items(self, *states: str, proposal_id: int | None = None) -> list[_Item]:
        with unit_of_work(self.sessions) as session:
            return [
                _Item(i.id, i.family_id, i.size, i.state, i.proposal_id, i.scheduled_for)
                for i in repository.items(
                    session,
                    agreement_id=AGREEMENT,
                    proposal_id=proposal_id,
                    states=list(states) or None,
                )
            ]

    def members(self, family_id: str) -> list[PersonRecord]:
        with unit_of_work(self.sessions) as session:
            return stored_people(session, family_id=family_id)

    def adults(self, family_id: str) -> list[PersonRecord]:
        return [m for m in self.members(family_id) if not is_minor(m, today(self.clock))]

    # --- The year -------------------------------------------------------------------------

    def plan(self) -> None:
        self.approve_templates()
        for day in ROUNDS:
            self.at(day, 8, self.propose)
        monday = START + dt.timedelta(days=21)  # the first clearances fall due in February
        while monday <= END:
            self.at(monday, 9, self.weekly)
            monday += dt.timedelta(days=7)
        self.at(INCIDENT_DAY, 11, self.incident)
        self.at(LIFT_DAY, 10, self.lift)
        for day, amount in PAYMENTS:
            self.at(day, 11, self._pay_on(day, amount))

    def approve_templates(self) -> None:
        """Every draft notice template approved by a supervisor, with a note that says plainly
        it is no certified review: the demo serves notices in the languages its people read."""
        supervisor = self.cast.supervisors[0]
        with unit_of_work(self.sessions) as session:
            drafts = [
                (row.language, row.version)
                for row in templates.list_templates(session, supervisor, self.clock)
                if row.status == "draft"
            ]
            for language, version in drafts:
                templates.approve_template(
                    session, language, version, DEMO_APPROVAL, supervisor, self.clock
                )
        self.note(
            "templates",
            f"{len(drafts)} draft notice templates approved by {supervisor.name}: {DEMO_APPROVAL}",
        )

    def _pay_on(self, day: dt.date, amount: Decimal) -> Callable[[], None]:
        return lambda: self.pay(day, amount)

    def pay(self, day: dt.date, amount: Decimal) -> None:
        """The sender pays the receiver a lump sum under the agreement (synthetic)."""
        self.call(
            record_payment,
            AGREEMENT,
            amount,
            "USD",
            day,
            f"DEMO-{day:%Y-%m}",
            self.cast.supervisors[0],
            self.clock,
            note="synthetic payment for the demo",
        )
        self.note("payment", f"USD {amount:,} paid to XK (synthetic)")

    def left_out(self) -> set[str]:
        """Families the officer leaves out of a new pool: those the receiver turned down for
        cause, those withdrawn, cancelled or blocked before, and those known unfit to travel."""
        left_out = set()
        with unit_of_work(self.sessions) as session:
            for item in repository.items(session, agreement_id=AGREEMENT):
                last = repository.events(session, item.id)[-1]
                if not (item.state == "rejected" and last.reason_code == "capacity"):
                    left_out.add(item.family_id)
            left_out |= {p.family_id for p in stored_people(session) if p.medical_fit is False}
        return left_out

    def propose(self) -> None:
        """A pool of 1.5× the places left, chosen by the matcher."""
        matched = self.call(
            propose_pool, AGREEMENT, self.cast.officer, self.clock, pinned_out=self.left_out()
        )
        if matched is None:
            return
        pool_id = matched.proposal.id
        self.pools.append(pool_id)
        first = len(self.pools) == 1
        day = today(self.clock)
        self.at(day + dt.timedelta(days=7), 10, lambda: self.review(pool_id, first))
        self.at(day + dt.timedelta(days=8), 9, lambda: self.serve_notices(pool_id, first))
        if first:
            self.at(day + dt.timedelta(days=11), 11, lambda: self.fear_claim("positive"))
            self.at(day + dt.timedelta(days=14), 11, lambda: self.fear_claim("negative"))
            self.at(day + dt.timedelta(days=16), 10, self.early_clearance)
            self.at(day + dt.timedelta(days=23), 10, self.court_stay)
        elif len(self.pools) == 2:
            self.at(day + dt.timedelta(days=14), 10, self.revocation)

    def review(self, pool_id: int, first: bool) -> None:
        """The receiver's review: public order and documents decide some rejections; the rest
        are accepted in the pool's order until the cap refuses (S13), then declined."""
        decisions = []
        day = today(self.clock)
        for item in self.items("proposed", proposal_id=pool_id):
            members = self.members(item.family_id)
            convicted = [(m, c) for m in members for c in m.convictions if c.final]
            documented = [
                m for m in members if m.travel_document and m.travel_document.expires > day
            ]
            if not documented and self.rng.random() < 0.3:
                decisions.append(
                    Decision(
                        item.id,
                        "reject",
                        "documents",
                        "no member holds a valid travel document; identity not established",
                    )
                )
            elif convicted and self.rng.random() < 0.4:
                person, conviction = convicted[0]
                decisions.append(
                    Decision(
                        item.id,
                        "reject",
                        "public_order",
                        f"final {conviction.category} conviction of {person.case_id}"
                        f" ({conviction.date.year}) weighed under public order",
                    )
                )
            else:
                decisions.append(Decision(item.id, "accept"))
        outcomes = review_batch(self.sessions, decisions, self.cast.reviewer, self.clock)
        over = [o for o in outcomes if not o.done]
        if over:
            self.note("refused", over[0].refusal or "")
            if len(over) > 1:
                self.note("refused", f"{len(over) - 1} more acceptances over the cap (S13)")
            review_batch(
                self.sessions,
                [
                    Decision(o.item_id, "reject", "capacity", "this year's places are taken")
                    for o in over
                ],
                self.cast.reviewer,
                self.clock,
            )
        if first:
            again = review_batch(self.sessions, decisions, self.cast.reviewer, self.clock)
            repeated = sum(o.repeated for o in again)
            self.note(
                "retry",
                f"the review file of pool {pool_id} sent twice: {repeated} decisions already"
                " applied, nothing changed",
            )

    def serve_notices(self, pool_id: int, first: bool) -> None:
        """Written notice naming XK to every adult in their own language, and to counsel."""
        day = today(self.clock)
        beats = ["language", "refusal"] if first else []
        for item in self.items("accepted", proposal_id=pool_id):
            members = self.members(item.family_id)
            by_case = {m.case_id: m for m in members}
            for case_id, recipient in notice_recipients(members, day):
                person = by_case[case_id]
                if recipient == "counsel":
                    self.call(
                        record_notice,
                        item.id,
                        case_id,
                        "counsel",
                        "en",
                        True,
                        self.cast.officer,
                        self.clock,
                    )
                    continue
                language = person.languages[0] if person.languages else "en"
                if beats and beats[0] == "language" and "en" not in person.languages:
                    beats.pop(0)
                    self._notice(item.id, person, "en", True)  # not understood: not service
                    self.at(day + dt.timedelta(days=1), 9, self._serve_later(item.id, person))
                elif beats and beats[0] == "refusal":
                    beats.pop(0)
                    self._notice(item.id, person, language, False)  # refused: not service
                    self.at(day + dt.timedelta(days=2), 9, self._serve_later(item.id, person))
                else:
                    self._notice(item.id, person, language, True)

    def _notice(self, item_id: int, person: PersonRecord, language: str, signed: bool) -> None:
        self.call(
            record_notice,
            item_id,
            person.case_id,
            "person",
            language,
            signed,
            self.cast.officer,
            self.clock,
        )

    def _serve_later(self, item_id: int, person: PersonRecord) -> Callable[[], object]:
        language = person.languages[0] if person.languages else "en"
        return lambda: self._notice(item_id, person, language, True)

    def fear_claim(self, outcome: Literal["positive", "negative"]) -> None:
        """A member fears XK: the interview with 72 hours' notice, then the decision."""
        candidates = [
            i
            for i in self.items("notified")
            if i.id not in self.fear_items.values()
            and all(m.medical_fit for m in self.members(i.family_id))
        ]
        if not candidates:
            return
        with_counsel = [i for i in candidates if any(m.counsel for m in self.members(i.family_id))]
        item = self.rng.choice(with_counsel or candidates)
        claimant = self.adults(item.family_id)[0]
        if self.call(claim_fear, item.id, claimant.case_id, self.cast.officer, self.clock) is None:
            return
        self.fear_items[outcome] = item.id
        interview = self.clock.now() + dt.timedelta(days=4)
        interview = interview.replace(hour=10)
        self.call(schedule_interview, item.id, interview, self.cast.officer, self.clock)
        self.at(interview.date(), 15, lambda: self._decide(item.id, outcome))

    def _decide(self, item_id: int, outcome: Literal["positive", "negative"]) -> None:
        self.call(decide_fear, item_id, outcome, self.cast.supervisors[0], self.clock)
        if outcome == "negative":
            early = today(self.clock) + dt.timedelta(days=REOPENING_DAYS - 4)
            self.at(early, 10, lambda: self._clear(item_id))  # refused: the window is open

    def early_clearance(self) -> None:
        """A supervisor tries to clear before the ten days to raise fear have run (S6)."""
        fit = [
            i
            for i in self.items("notified")
            if all(m.medical_fit for m in self.members(i.family_id))
        ]
        if fit:
            self._clear(fit[0].id)

    def _clear(self, item_id: int) -> bool:
        item = next(i for i in self.items() if i.id == item_id)
        fit = all(m.medical_fit is True for m in self.members(item.family_id))
        moved = self.call(clear, item_id, next(self.supervisor), self.clock, medical_confirmed=fit)
        return moved is not None

    def court_stay(self) -> None:
        """A court stays one family's removal: its item is cancelled and its place released."""
        open_items = self.items("cleared", "scheduled", "notified")
        if open_items:
            item = self.rng.choice(open_items)
            head = self.adults(item.family_id)[0]
            self.call(record_case_change, head.case_id, "stay", self.cast.officer, self.clock)

    def revocation(self) -> None:
        accepted = self.items("accepted", "notified", proposal_id=self.pools[-1])
        if accepted:
            item = self.rng.choice(accepted)
            self.call(
                move,
                item.id,
                "revoke",
                self.cast.reviewer,
                self.clock,
                reason_code="documents",
                reason_text="the travel document was reported stolen; identity to be re-established",
            )

    def weekly(self) -> None:
        """Mondays: arrivals of the day, clearances due, transfers scheduled within the
        present-at-once cap for the next Monday."""
        day = today(self.clock)
        for item in self.items("scheduled"):
            if item.scheduled_for and item.scheduled_for <= day:
                if self.call(confirm_arrival, item.id, self.cast.reviewer, self.clock) is None:
                    break  # the same refusal would stop every arrival of the day
                self.after_arrival(item.id, day)
        for item in self.items("notified", "reopening"):
            if self._due_for_clearance(item, day) and not self._clear(item.id):
                if self.notes and "S12:" in self.notes[-1][2]:
                    break
                self.at(day + dt.timedelta(days=1), 10, self._withdraw_after_refusal(item.id))
        room = self._room()
        for item in self.items("cleared"):
            if item.size > room:
                continue
            moved = self.call(
                schedule, item.id, day + dt.timedelta(days=7), self.cast.officer, self.clock
            )
            if moved is None:
                break
            room -= item.size

    def _due_for_clearance(self, item: _Item, day: dt.date) -> bool:
        with unit_of_work(self.sessions) as session:
            if item.state == "reopening":
                claims = repository.fear_claims(session, item.id)
                return all(c.reopening_until is None or c.reopening_until <= day for c in claims)
            members = stored_people(session, family_id=item.family_id)
            served = last_service(members, repository.notices(session, item.id), day)
        return served is not None and served + dt.timedelta(days=10) <= day

    def _withdraw_after_refusal(self, item_id: int) -> Callable[[], object]:
        reason = "not cleared: " + self.notes[-1][2].split(": ", 1)[-1][:120]
        return lambda: self.call(withdraw, item_id, reason, self.cast.officer, self.clock)

    def _room(self) -> int:
        """Places under the present-at-once cap not taken by people present or scheduled."""
        with unit_of_work(self.sessions) as session:
            here = present(repository.ledger(session, AGREEMENT))
        coming = sum(i.size for i in self.items("scheduled"))
        return 40 - here - coming

    def after_arrival(self, item_id: int, day: dt.date) -> None:
        """The onward outcome some weeks later; check-ins at 30, 90 and 180 days; closing."""
        outcome, detail = self._onward()
        onward_day = day + dt.timedelta(days=self.rng.randint(10, 75))
        self.at(
            onward_day,
            14,
            lambda: (
                self.call(
                    record_onward, item_id, outcome, self.cast.reviewer, self.clock, detail=detail
                )
                and None
            ),
        )
        for days in MONITORING_DAYS:
            note, audience = self.rng.choice(CHECK_IN_NOTES)
            self.at(
                day + dt.timedelta(days=days),
                11,
                self._check_in(item_id, days, note, audience),
            )
        self.at(
            day + dt.timedelta(days=MONITORING_DAYS[-1]),
            15,
            lambda: self.call(move, item_id, "close", self.cast.officer, self.clock),
        )

    def _check_in(
        self, item_id: int, days: int, note: str, audience: Audience
    ) -> Callable[[], object]:
        return lambda: self.call(
            record_check_in, item_id, days, note, self.cast.monitor, self.clock, audience=audience
        )

    def _onward(self) -> tuple[OnwardOutcome, str]:
        draw = self.rng.random()
        for outcome, weight, detail in ONWARD:
            if draw < weight:
                return outcome, detail
            draw -= weight
        return ONWARD[0][0], ONWARD[0][2]

    def incident(self) -> None:
        self.call(
            report_incident,
            AGREEMENT,
            "ill_treatment",
            "at a check-in, a transferred person reports being beaten by a guard at the"
            " reception centre",
            self.cast.monitor,
            self.clock,
            audience=Audience.SHARED,
        )

    def lift(self) -> None:
        self.call(
            lift_suspension,
            AGREEMENT,
            "the monitor's follow-up visit found the guard removed and the complaint with the"
            " prosecutor; monitoring visits doubled",
            self.cast.supervisors[1],
            self.clock,
        )


_GUARD = re.compile(
    r"\b(S\d+|screening|served|reason|interview|schedule_day|check_ins|notice \(S6\)):"
)


def _grouped(notes: Sequence[tuple[dt.date, str, str]]) -> dict[str, list[tuple[str, str]]]:
    """Per month, each kind of refusal once (the first, in full) with how many more like it."""
    firsts: dict[tuple[str, str, tuple[str, ...]], list[Any]] = {}
    for day, label, text in notes:
        key = (f"{day:%Y-%m}", label, tuple(sorted(set(_GUARD.findall(text)))))
        if key in firsts:
            firsts[key][1] += 1
        else:
            firsts[key] = [f"{day}: {text}", 0]
    grouped: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for (month, label, _), (text, more) in firsts.items():
        grouped[month].append((label, text + (f" (and {more} more like it)" if more else "")))
    return grouped


def play_year(
    sessions: sessionmaker[Session],
    clock: SetClock,
    *,
    seed: int,
    until: dt.date | None = None,
    cast: Cast | None = None,
) -> Year:
    """Play the year from the clock's day (2026-01-12) to its end, or to `until` (the last day
    played: rounds and events after it are not); nothing is printed. Without a cast, the
    script's accounts are added first (by `SCRIPT`)."""
    if cast is None:
        cast = sign_up_cast(sessions, clock, by=SCRIPT)
    year = Year(sessions, clock, seed, cast, until=until)
    year.plan()
    year.run()
    return year


def print_year(year: Year, console: Console) -> None:
    """The year month by month, one family's way, and the ledger on the last day."""
    sessions, clock = year.sessions, year.clock
    notes = _grouped(year.notes)
    with unit_of_work(sessions) as session:
        months = views.months(session, AGREEMENT, year.cast.officer)
        ledger = views.ledger_view(session, AGREEMENT, today(clock), year.cast.officer)
        states = Counter(i.state for i in repository.items(session, agreement_id=AGREEMENT))
        example = year.fear_items.get("negative")
        family = views.item_view(session, example, year.cast.officer) if example else None
        family_view = item_renderable(family) if family else None
    console.rule(f"[bold]A year of {AGREEMENT}, {START} to {END} (synthetic)")
    parties = ledger.agreement
    console.print(
        "A made-up Kosovo-style agreement,"
        f" {country_name(parties.sender)} → {country_name(parties.receiver)}, with a complete"
        " instrument: 50 people per year, 40 present at once, pools of 1.5× the places left;"
        " each party played by the script.",
        soft_wrap=True,
    )
    by_key = {m.month: m for m in months}
    for number in range(START.month, END.month + 1):
        key = f"{START.year}-{number:02d}"
        console.print(f"[bold]{key}[/]")
        lines = month_lines(by_key.get(key, views.Month(key)), notes.get(key, ()))
        for line in lines or ["nothing recorded"]:
            console.print(f"  {line}", soft_wrap=True)
    if family_view is not None:
        console.print(f"[bold]One family's way[/] (a negative fear claim, item {example}):")
        console.print(family_view)
    console.print(caps_table(ledger))
    console.print(ledger_totals(ledger))
    console.print(
        "items at the end of the year: "
        + escape(", ".join(f"{state} {count}" for state, count in states.most_common())),
        soft_wrap=True,
    )


def run_year(
    sessions: sessionmaker[Session],
    clock: SetClock,
    console: Console,
    *,
    seed: int,
    cast: Cast | None = None,
) -> Year:
    """Play the year, then print it."""
    year = play_year(sessions, clock, seed=seed, cast=cast)
    print_year(year, console)
    return year
