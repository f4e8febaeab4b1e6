"""The workflow driven at random (Hypothesis stateful testing) on SQLite: whatever moves users
try, in whatever order, on whichever item, by whoever, the safeguards of DESIGN §3–§4 hold.

Each example starts from a fresh database (a copy of one migrated with the demo agreement,
its caps tightened to 5 people a year and 3 present at once) and two to five families of one
to three members. The rules try every move of the workflow; most pick an item the move applies
to, so that the walk gets deep, and some pick any item, so that moves from the wrong state are
tried too. A move the workflow refuses (a safeguard, an illegal transition, a role or party
that may not make it, a conflict with the current state) is allowed, and must leave no trace.
After every step:

- the ledger never holds more than a cap, in any period, and each item's ledger rows agree
  with its state (a place held from acceptance until released; present from arrival until an
  onward move out of the receiving state);
- a family blocked by a positive fear claim about the receiver is never in a later open item,
  nor transferred;
- no family is split: an item's size is its family's member count, and every ledger row
  counts the whole family;
- every transferred family was cleared by a supervisor's sign-off exactly once since its last
  fear claim, then scheduled, then transferred;
- the audit chain verifies, with one entry per move.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.access import Actor
from accord.agreements import repository as agreements
from accord.agreements.service import to_schema
from accord.audit.repository import iter_links
from accord.audit.service import verify
from accord.cases.service import stored_people
from accord.clock import SetClock
from accord.config import Settings
from accord.db import unit_of_work
from accord.errors import Conflict, Forbidden, IllegalTransition
from accord.models import AuditEvent, ItemEvent, LedgerEntry, NoticeRecord
from accord.proposals import repository
from accord.proposals.case_facts import record_case_change
from accord.proposals.fear_claims import claim_fear, decide_fear, schedule_interview
from accord.proposals.movement import clear, confirm_arrival, record_onward, schedule
from accord.proposals.notices import Served, record_notice
from accord.proposals.pools import PoolFamily, create_pool
from accord.proposals.service import GuardFailed, Moved, move
from accord.records.agreement import CapIn
from accord.records.vocabulary import OnwardOutcome
from accord.store import Store, open_store
from accord.workflow.disclosure import SEEN_STATE
from accord.workflow.quota import held, present
from accord.workflow.transitions import BY_ACTION, HOLDS_RESERVATION, ONWARD, OPEN, State
from tests.proposals.support import (
    AGREEMENT,
    OFFICER,
    OTHER_REVIEWER,
    REVIEWER,
    START,
    SUPERVISOR,
    import_records,
    load_agreement,
)
from tests.support import approve_notice_templates, person

CAPS = [
    CapIn(kind="persons_per_period", limit=5, period="P1Y", anchor="term_start"),
    CapIn(kind="present_at_once", limit=3),
]
LAST_DAY = dt.date(2026, 11, 1)
"""The clock stays within the agreement's term and its safety assessment."""
REFUSED = (Conflict, Forbidden)  # GuardFailed and IllegalTransition are Conflicts
ARRIVED = frozenset({State.TRANSFERRED, *ONWARD, State.CLOSED})
FORWARD = frozenset(
    {
        State.PROPOSED,
        State.ACCEPTED,
        State.NOTIFIED,
        State.REOPENING,
        State.CLEARED,
        State.SCHEDULED,
        State.TRANSFERRED,
    }
)
"""States with a next step on the ordinary way."""
TEMPLATE: dict[str, Path] = {}

index = st.integers(min_value=0, max_value=63)
sometimes_anywhere = st.sampled_from([False, False, False, True])
reviewers = st.sampled_from([REVIEWER, REVIEWER, REVIEWER, OTHER_REVIEWER])
senders = st.sampled_from([SUPERVISOR, OFFICER])
onward_outcomes = st.sampled_from(sorted(s.value for s in ONWARD))
Serving = Literal["understood", "not_understood", "interpreted"]
servings: st.SearchStrategy[Serving] = st.sampled_from(
    ["understood", "understood", "not_understood", "interpreted"]
)
family_shapes = st.lists(
    st.lists(st.sampled_from(["spouse", "child"]), max_size=2), min_size=2, max_size=5
)


def members_of(family: int, shape: list[str]) -> list[dict[str, object]]:
    """A head, then a spouse or children (born 2015: minors, with their adult head)."""
    born = {"head": "1990-04-02", "spouse": "1992-07-15", "child": "2015-09-01"}
    return [
        person(
            f"P{family}-{n}",
            f"F{family}",
            relationship=relationship,
            birth_date=born[relationship],
            medical_fit=True,
            languages=["es"],
        )
        for n, relationship in enumerate(["head", *shape])
    ]


def counts(session: Session) -> tuple[int, ...]:
    """What a move writes: events, ledger rows, notices and audit entries."""
    return tuple(
        session.execute(select(func.count()).select_from(model)).scalar_one()
        for model in (ItemEvent, LedgerEntry, NoticeRecord, AuditEvent)
    )


class Workflow(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="accord-stateful-"))
        shutil.copy(TEMPLATE["db"], self.dir / "accord.db")
        url = f"sqlite:///{self.dir / 'accord.db'}"
        self.store: Store = open_store(Settings(database_url=url, auto_migrate=False))
        self.clock = SetClock.on(START)
        self.families: dict[str, list[str]] = {}
        self.adults: dict[str, list[str]] = {}
        self.state: dict[int, State] = {}
        """Every item's state, read again after each call: it steers the rules' choices."""
        self.family_of: dict[int, str] = {}
        self.blocked: set[str] = set()
        """Families the rules saw blocked by a positive fear claim about the receiver."""

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- helpers -----------------------------------------------------------------------------

    def ready(self, sources: frozenset[State] | set[State]) -> bool:
        return any(state in sources for state in self.state.values())

    def pick(self, n: int, sources: frozenset[State] | set[State], anywhere: bool) -> int:
        """An item in one of the move's source states; or, `anywhere` (or when there is none),
        any item."""
        ready = sorted(i for i, state in self.state.items() if state in sources)
        pool = sorted(self.state) if anywhere or not ready else ready
        return pool[n % len(pool)]

    def refresh(self) -> None:
        with unit_of_work(self.store.sessions) as session:
            for item in repository.items(session, agreement_id=AGREEMENT):
                self.state[item.id] = State(item.state)
                self.family_of[item.id] = item.family_id

    def attempt(self, call: Callable[[Session], Any]) -> Any:
        """One call in its own transaction; a refusal is allowed and must leave no trace."""
        with unit_of_work(self.store.sessions) as session:
            before = counts(session)
        try:
            with unit_of_work(self.store.sessions) as session:
                result = call(session)
        except REFUSED as exc:
            result = exc
        if isinstance(result, Exception):
            with unit_of_work(self.store.sessions) as session:
                assert counts(session) == before, f"a refused call wrote something: {result}"
        self.refresh()
        return result

    def moved(
        self, item: int, action: str, call: Callable[[Session], Moved], *, direct: bool = False
    ) -> object:
        """A move through the service. Where it goes through, it follows the table; where the
        item's state is not a source of the move, it is refused (or it is a retry of the move
        just made, which changes nothing). A `direct` call of `move` is refused as an illegal
        transition; the services around it may refuse first, as a conflict with the state."""
        row = BY_ACTION[action]
        before = self.state[item]
        result = self.attempt(call)
        if isinstance(result, Moved):
            assert result.action == action
            if result.repeated:
                assert before == row.target
            else:
                assert before in row.sources, (action, before)
                # a receiver reads the state it sees, which tells none of the sender's steps
                assert result.from_state in (before.value, SEEN_STATE[before])
                assert result.to_state == row.target.value
            assert self.state[item] == row.target
        else:
            assert self.state[item] == before
            if before not in row.sources:
                refusals = (IllegalTransition, Forbidden) if direct else REFUSED
                assert isinstance(result, refusals), result
            else:
                assert not isinstance(result, IllegalTransition), result
        return result

    # --- the moves, on a chosen item ---------------------------------------------------------

    def do_accept(self, item: int, actor: Actor) -> None:
        result = self.moved(
            item, "accept", lambda s: move(s, item, "accept", actor, self.clock), direct=True
        )
        if actor.party != "XK":
            assert isinstance(result, Forbidden | IllegalTransition), result

    def do_serve_notice(self, item: int, way: Serving) -> None:
        """Notice on every adult of the family: in Spanish, which they read; in French, which
        they do not (refused, nothing written); or the English template read to them in Spanish
        by a named interpreter. Once every adult is validly served, an accepted item is
        notified. Notice may be served while the item holds its place; it moves nothing there."""
        before = self.state[item]
        understood = way != "not_understood"
        language = {"understood": "es", "not_understood": "fr", "interpreted": "en"}[way]
        read_by = {"interpreter": "K. Haddad", "read_in": "es"} if way == "interpreted" else {}
        for case_id in self.adults[self.family_of[item]]:

            def serve(session: Session, case_id: str = case_id) -> Served:
                return record_notice(
                    session, item, case_id, "person", language, True, OFFICER, self.clock, **read_by
                )

            result = self.attempt(serve)  # a refusal is checked to have written nothing
            if before in HOLDS_RESERVATION and understood:
                assert isinstance(result, Served), result
                assert result.outcome == "served"
            elif before in HOLDS_RESERVATION:
                assert isinstance(result, Conflict), result
                assert f"{case_id} is not recorded as understanding 'fr'" in result.detail
            else:
                assert isinstance(result, Conflict), result
        if understood and before == State.ACCEPTED:
            assert self.state[item] == State.NOTIFIED
        else:
            assert self.state[item] == before  # a notice not understood is no service

    def do_claim_fear(self, item: int, member: int) -> None:
        members = self.families[self.family_of[item]]
        case_id = members[member % len(members)]
        self.moved(item, "claim_fear", lambda s: claim_fear(s, item, case_id, OFFICER, self.clock))

    def do_decide_fear(self, item: int, positive: bool, member: int = 0) -> None:
        """One member's pending claim: its interview, with 72 hours' notice, is held; then its
        outcome is recorded. A refusal while another claim is pending keeps the item stopped."""
        with unit_of_work(self.store.sessions) as session:
            pending = [c.case_id for c in repository.pending_fear_claims(session, item)]
        case_id = pending[member % len(pending)] if pending else None
        at = self.clock.now() + dt.timedelta(hours=72)
        booked = self.attempt(
            lambda s: schedule_interview(s, item, at, OFFICER, self.clock, case_id=case_id)
        )
        if not isinstance(booked, Exception):
            self.clock.advance(hours=72)
        outcome: Literal["positive", "negative"] = "positive" if positive else "negative"
        action = (
            "fear_negative_others_pending"
            if not positive and len(pending) > 1
            else f"fear_{outcome}"
        )
        before = self.state[item]
        result = self.moved(
            item,
            action,
            lambda s: decide_fear(s, item, outcome, OFFICER, self.clock, case_id=case_id),
        )
        if before != State.BLOCKED_PROTECTION and self.state[item] == State.BLOCKED_PROTECTION:
            assert isinstance(result, Moved)
            self.blocked.add(self.family_of[item])

    def do_clear(self, item: int, actor: Actor) -> None:
        result = self.moved(
            item, "clear", lambda s: clear(s, item, actor, self.clock, medical_confirmed=True)
        )
        if actor.role != "supervisor":
            assert isinstance(result, Forbidden | IllegalTransition), result

    def do_schedule(self, item: int, later: int) -> None:
        on = self.clock.now().date() + dt.timedelta(days=later)
        self.moved(item, "schedule", lambda s: schedule(s, item, on, OFFICER, self.clock))

    def do_confirm_arrival(self, item: int, actor: Actor) -> None:
        result = self.moved(item, "transfer", lambda s: confirm_arrival(s, item, actor, self.clock))
        if isinstance(result, Moved) and not result.repeated:
            assert self.family_of[item] not in self.blocked

    def do_onward(self, item: int, outcome: OnwardOutcome) -> None:
        self.moved(
            item,
            f"onward_{outcome}",
            lambda s: record_onward(s, item, outcome, REVIEWER, self.clock),
        )

    # --- rules -------------------------------------------------------------------------------

    @initialize(shapes=family_shapes)
    def families_on_record(self, shapes: list[list[str]]) -> None:
        records = [r for n, shape in enumerate(shapes) for r in members_of(n, shape)]
        import_records(self.store, self.dir, records)
        for record in records:
            family, case_id = str(record["family_id"]), str(record["case_id"])
            self.families.setdefault(family, []).append(case_id)
            if record["relationship"] != "child":
                self.adults.setdefault(family, []).append(case_id)

    @rule(n=index, anywhere=sometimes_anywhere)
    def propose(self, n: int, anywhere: bool) -> None:
        """A pool of one family: one not in an open item, or at times any family."""
        taken = {self.family_of[i] for i, state in self.state.items() if state in OPEN}
        free = sorted(set(self.families) - taken)
        families = sorted(self.families) if anywhere or not free else free
        family = families[n % len(families)]

        def pool(session: Session) -> None:
            create_pool(
                session,
                AGREEMENT,
                [PoolFamily(family)],
                OFFICER,
                self.clock,
                method="screening",
                pool_limit=20,
            )

        was_open = any(
            self.family_of[i] == family and state in OPEN for i, state in self.state.items()
        )
        result = self.attempt(pool)
        if was_open:  # a family is in one open item at most
            assert isinstance(result, Conflict), result
        if family in self.blocked:  # S5: a positive fear claim blocks that receiver for good
            assert isinstance(result, GuardFailed), result
            assert "S5" in result.detail

    @precondition(lambda self: self.ready({State.PROPOSED}))
    @rule(n=index, actor=reviewers, anywhere=sometimes_anywhere)
    def accept(self, n: int, actor: Actor, anywhere: bool) -> None:
        self.do_accept(self.pick(n, {State.PROPOSED}, anywhere), actor)

    @precondition(lambda self: self.ready({State.PROPOSED}))
    @rule(n=index, actor=reviewers, anywhere=sometimes_anywhere)
    def reject(self, n: int, actor: Actor, anywhere: bool) -> None:
        item = self.pick(n, {State.PROPOSED}, anywhere)
        self.moved(
            item,
            "reject",
            lambda s: move(
                s, item, "reject", actor, self.clock, reason_code="criteria", reason_text="rule 1"
            ),
            direct=True,
        )

    @precondition(lambda self: self.ready(BY_ACTION["revoke"].sources))
    @rule(n=index, anywhere=sometimes_anywhere)
    def revoke(self, n: int, anywhere: bool) -> None:
        item = self.pick(n, BY_ACTION["revoke"].sources, anywhere)
        self.moved(
            item,
            "revoke",
            lambda s: move(
                s, item, "revoke", REVIEWER, self.clock, reason_code="public_order", reason_text="x"
            ),
            direct=True,
        )

    @precondition(lambda self: self.ready(HOLDS_RESERVATION))
    @rule(n=index, way=servings, anywhere=sometimes_anywhere)
    def serve_notice(self, n: int, way: Serving, anywhere: bool) -> None:
        self.do_serve_notice(self.pick(n, HOLDS_RESERVATION, anywhere), way)

    @precondition(lambda self: self.ready(BY_ACTION["claim_fear"].sources))
    @rule(n=index, member=index, anywhere=sometimes_anywhere)
    def claim_fear(self, n: int, member: int, anywhere: bool) -> None:
        self.do_claim_fear(self.pick(n, BY_ACTION["claim_fear"].sources, anywhere), member)

    @precondition(lambda self: self.ready({State.FEAR_CLAIMED}))
    @rule(n=index, positive=st.booleans(), member=index, anywhere=sometimes_anywhere)
    def decide_fear(self, n: int, positive: bool, member: int, anywhere: bool) -> None:
        self.do_decide_fear(self.pick(n, {State.FEAR_CLAIMED}, anywhere), positive, member)

    @precondition(lambda self: self.ready(BY_ACTION["clear"].sources))
    @rule(n=index, actor=senders, anywhere=sometimes_anywhere)
    def clear(self, n: int, actor: Actor, anywhere: bool) -> None:
        self.do_clear(self.pick(n, BY_ACTION["clear"].sources, anywhere), actor)

    @precondition(lambda self: self.ready({State.CLEARED}))
    @rule(n=index, later=st.integers(min_value=0, max_value=3), anywhere=sometimes_anywhere)
    def schedule(self, n: int, later: int, anywhere: bool) -> None:
        self.do_schedule(self.pick(n, {State.CLEARED}, anywhere), later)

    @precondition(lambda self: self.ready({State.SCHEDULED}))
    @rule(n=index, actor=reviewers, anywhere=sometimes_anywhere)
    def confirm_arrival(self, n: int, actor: Actor, anywhere: bool) -> None:
        self.do_confirm_arrival(self.pick(n, {State.SCHEDULED}, anywhere), actor)

    @precondition(lambda self: self.ready({State.TRANSFERRED}))
    @rule(n=index, outcome=onward_outcomes, anywhere=sometimes_anywhere)
    def onward(self, n: int, outcome: OnwardOutcome, anywhere: bool) -> None:
        self.do_onward(self.pick(n, {State.TRANSFERRED}, anywhere), outcome)

    @precondition(lambda self: self.ready(HOLDS_RESERVATION))
    @rule(n=index, member=index)
    def stay(self, n: int, member: int) -> None:
        """A court stay for one member of a family whose item holds a place: the item is
        cancelled and its place released."""
        item = self.pick(n, HOLDS_RESERVATION, anywhere=False)
        family = self.family_of[item]
        case_id = self.families[family][member % len(self.families[family])]
        before = self.state[item]
        result = self.attempt(lambda s: record_case_change(s, case_id, "stay", OFFICER, self.clock))
        assert [(m.item_id, m.from_state, m.to_state) for m in result] == [
            (item, before.value, "cancelled")
        ]

    @rule(action=st.sampled_from(sorted(a for a in BY_ACTION if a != "propose")), n=index)
    def move_from_the_wrong_state(self, action: str, n: int) -> None:
        """Any move of the table, by someone who may make it, on an item in a state the move
        does not apply to."""
        row = BY_ACTION[action]
        wrong = sorted(i for i, state in self.state.items() if state not in row.sources)
        if not wrong:
            return
        item = wrong[n % len(wrong)]
        actor = next(a for a in (REVIEWER, SUPERVISOR, OFFICER) if a.role in row.roles)
        self.moved(
            item,
            action,
            lambda s: move(
                s,
                item,
                action,
                actor,
                self.clock,
                reason_code="withdrawal" if action == "cancel" else "criteria",
                reason_text="tried from the wrong state",
                medical_confirmed=True,
            ),
            direct=True,
        )

    @precondition(lambda self: self.ready(FORWARD) and self.clock.now().date() < LAST_DAY)
    @rule(
        n=index,
        steps=st.integers(min_value=1, max_value=8),
        fear=st.sampled_from([None, None, "negative", "positive"]),
        fear_at=st.integers(min_value=1, max_value=5),
        outcome=onward_outcomes,
    )
    def follow_the_workflow(
        self,
        n: int,
        steps: int,
        fear: Literal["negative", "positive"] | None,
        fear_at: int,
        outcome: OnwardOutcome,
    ) -> None:
        """The next steps of the ordinary way for one item, each after waiting as long as the
        law requires: until the ten days to raise a fear after notice have ended, the day of
        service not counted (S6), fifteen after a negative fear decision (S5), until the
        scheduled day. On the way, at step `fear_at`, a member may claim fear of the
        receiver, and the claim is decided."""
        item = self.pick(n, FORWARD, anywhere=False)
        for step in range(1, steps + 1):
            state = self.state[item]
            if fear and step >= fear_at and state in BY_ACTION["claim_fear"].sources:
                self.do_claim_fear(item, member=step)
                self.do_decide_fear(item, positive=fear == "positive")
                fear = None
                continue
            if state not in FORWARD:
                return
            self.wait_for(item)
            if state == State.PROPOSED:
                self.do_accept(item, REVIEWER)
            elif state == State.ACCEPTED:
                self.do_serve_notice(item, way="understood")
            elif state in (State.NOTIFIED, State.REOPENING):
                self.do_clear(item, SUPERVISOR)
            elif state == State.CLEARED:
                self.do_schedule(item, later=0)
            elif state == State.SCHEDULED:
                self.do_confirm_arrival(item, REVIEWER)
            else:
                self.do_onward(item, outcome)
            if self.state[item] == state:
                return  # refused (a cap, a safeguard): the ordinary way stops here

    def wait_for(self, item: int) -> None:
        with unit_of_work(self.store.sessions) as session:
            served = [n.served_on for n in repository.notices(session, item)]
            claims = repository.fear_claims(session, item)
            stored = repository.get_item(session, item)
            assert stored is not None
            waits = [
                max(served) + dt.timedelta(days=11) if served else None,
                *(c.reopening_until for c in claims),
                stored.scheduled_for,
            ]
        today = self.clock.now().date()
        wait = max(((day - today).days for day in waits if day is not None), default=0)
        if wait > 0:
            self.clock.advance(days=wait)

    @precondition(lambda self: self.clock.now().date() < LAST_DAY)
    @rule(days=st.sampled_from([1, 5, 10, 16]))
    def advance(self, days: int) -> None:
        self.clock.advance(days=days)

    # --- invariants --------------------------------------------------------------------------

    @invariant()
    def the_ledger_never_holds_more_than_a_cap(self) -> None:
        with unit_of_work(self.store.sessions) as session:
            stored = agreements.get_agreement(session, AGREEMENT)
            assert stored is not None
            agreement = to_schema(stored)
            rows = repository.ledger(session, AGREEMENT)
            days = {r.reserved_on for r in rows} | {r.day for r in rows} | {self.clock.now().date()}
            for day in days:
                for h in held(agreement, rows, day):
                    assert h.cap.limit is not None
                    assert h.held <= h.cap.limit, (day, h)
            assert 0 <= present(rows) <= 3
            for item in repository.items(session, agreement_id=AGREEMENT):
                mine = [r for r in rows if r.item_id == str(item.id)]
                net = sum(
                    r.persons if r.kind == "reserve" else -r.persons
                    for r in mine
                    if r.kind in ("reserve", "release")
                )
                state = State(item.state)
                holds = state in HOLDS_RESERVATION or state in ARRIVED
                assert net == (item.size if holds else 0), (item.id, state, mine)
                actions = [e.action for e in repository.events(session, item.id)]
                stays = state in (State.TRANSFERRED, State.REMAINED) or (
                    state == State.CLOSED and "onward_remained" in actions
                )
                assert present(mine) == (item.size if stays else 0), (item.id, state, mine)

    @invariant()
    def a_family_blocked_for_the_receiver_never_moves_to_it(self) -> None:
        with unit_of_work(self.store.sessions) as session:
            everything = repository.items(session, agreement_id=AGREEMENT)
            blocked = [i for i in everything if i.state == State.BLOCKED_PROTECTION.value]
            assert {i.family_id for i in blocked} == self.blocked
            for item in blocked:
                later = [i for i in everything if i.family_id == item.family_id and i.id > item.id]
                assert not [i for i in later if State(i.state) in OPEN | ARRIVED], later
                assert any(
                    claim.country == "XK" and claim.outcome == "positive"
                    for member in stored_people(session, family_id=item.family_id)
                    for claim in member.fear_claims
                )

    @invariant()
    def no_family_is_split(self) -> None:
        with unit_of_work(self.store.sessions) as session:
            rows = repository.ledger_entries(session, AGREEMENT)
            for item in repository.items(session, agreement_id=AGREEMENT):
                assert item.size == len(self.families[item.family_id])
                assert item.size == len(stored_people(session, family_id=item.family_id))
                assert {e.persons for e in rows if e.item_id == item.id} <= {item.size}
                assert item.open_family == (item.family_id if State(item.state) in OPEN else None)

    @invariant()
    def every_transfer_follows_one_supervisors_clearance(self) -> None:
        with unit_of_work(self.store.sessions) as session:
            for item in repository.items(session, agreement_id=AGREEMENT):
                events = repository.events(session, item.id)
                assert all(e.role == "supervisor" for e in events if e.action == "clear")
                actions = [e.action for e in events]
                if State(item.state) not in ARRIVED:
                    assert "transfer" not in actions
                    continue
                assert actions.count("transfer") == 1
                assert "fear_positive" not in actions
                before = actions[: actions.index("transfer")]
                last_claim = max(
                    (n for n, a in enumerate(before) if a == "fear_negative"), default=-1
                )
                since = before[last_claim + 1 :]
                assert since.count("clear") == 1, actions
                assert since[since.index("clear") + 1 :] == ["schedule"], actions
            clearances = [
                link.data["role"] for link in iter_links(session) if link.action == "item.clear"
            ]
            assert set(clearances) <= {"supervisor"}

    @invariant()
    def the_audit_chain_verifies_with_an_entry_per_move(self) -> None:
        with unit_of_work(self.store.sessions) as session:
            check = verify(session)
            assert check.ok, check.broken
            moves = session.execute(
                select(func.count()).select_from(ItemEvent).where(ItemEvent.action != "propose")
            ).scalar_one()
            logged = [
                link.action for link in iter_links(session) if link.action.startswith("item.")
            ]
            assert len(logged) == moves


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database holding the tightened agreement and the approved notice templates,
    copied for each example."""
    path = tmp_path_factory.mktemp("template") / "accord.db"
    store = open_store(Settings(database_url=f"sqlite:///{path}"))
    try:
        approve_notice_templates(store, keep_drafts=frozenset({"ar"}))
        load_agreement(store, caps=CAPS)
    finally:
        store.close()
    return path


def test_the_workflow_keeps_its_safeguards_under_any_sequence_of_moves(template: Path) -> None:
    TEMPLATE["db"] = template
    run_state_machine_as_test(
        Workflow,
        settings=settings(
            max_examples=30,
            stateful_step_count=50,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
