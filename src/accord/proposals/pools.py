"""Pools proposed by the matcher for agreements in force, stored as proposals.

The matcher chooses among the families eligible on the day that are in no open item and were
never transferred, up to floor(pool_factor × places left), where the places left come from the
quota ledger (what is reserved or used in the current period). Each pool is then stored by
`create_pool`, which screens every family again and refuses the whole pool if one fails.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accord.access import Actor, acts_for_sender, may_make
from accord.agreements.service import stored_agreement
from accord.audit.personal import Personal, family_subject
from accord.audit.service import Entry, record_many
from accord.cases.repository import family_changed_at
from accord.cases.service import stored_people
from accord.clock import Clock, today
from accord.errors import Conflict, Forbidden, NotFound
from accord.matching.proposal import (
    Balance,
    PoolLimit,
    Progress,
    Proposal,
    ProposedPool,
    Used,
    gap_text,
    pool_limit,
    propose,
)
from accord.matching.scoring import Scorer
from accord.matching.transparent import TransparentScorer
from accord.models import (
    ItemEvent,
    ProposalItem,
)
from accord.models import Proposal as StoredProposal
from accord.proposals import repository
from accord.proposals.service import GuardFailed, _agreement, _authorize, agreement_problems
from accord.records.agreement import AgreementIn
from accord.records.person import PersonRecord
from accord.screening.batch import screen_population
from accord.screening.results import ScreeningResult
from accord.screening.single import Screen
from accord.workflow.guards import (
    family_eligible,
)
from accord.workflow.quota import held
from accord.workflow.transitions import (
    ONWARD,
    PROPOSE,
    State,
)


@dataclass(frozen=True)
class MatchedPool:
    proposal: StoredProposal
    pool: ProposedPool
    limit_note: str
    """How the pool limit was reached, e.g. `persons: 1.5 × 43 left of 50`."""
    quality: str
    """The matcher's certified distance from optimal, in words."""


def used_places(session: Session, agreement: AgreementIn, day: dt.date) -> Used:
    """What the current period of each per-period cap holds (reserved or used), per the ledger."""
    holding = held(agreement, repository.ledger(session, agreement.id), day)
    persons = sum(h.held for h in holding if h.cap.kind == "persons_per_period")
    families = sum(h.held for h in holding if h.cap.kind == "families_per_period")
    return Used(persons=persons, families=families)


@dataclass(frozen=True)
class MatcherInput:
    """What the matcher works on, read from the store in one transaction: a long solve then
    runs outside it (on SQLite a transaction holds the one write lock)."""

    agreements: tuple[AgreementIn, ...]
    day: dt.date
    records: tuple[PersonRecord, ...]
    results: tuple[ScreeningResult, ...]
    used: dict[str, Used]

    @property
    def pairs(self) -> int:
        """Eligible (person, agreement) pairs: what a solve's time grows with."""
        return sum(1 for r in self.results if r.eligible)


def matcher_input(
    session: Session, agreements: Sequence[AgreementIn], day: dt.date
) -> MatcherInput:
    """Agreements open on the day (S12), each limited by what its ledger leaves in the current
    period, over the families in no open item and never transferred, screened on the day."""
    problems = [
        f"{a.id}: S12: {reason}"
        for a in agreements
        for reason in agreement_problems(session, a, day)
    ]
    if problems:
        raise GuardFailed("cannot propose: " + "; ".join(problems))
    used = {a.id: used_places(session, a, day) for a in agreements}
    taken = repository.open_families(session) | set(transferred_families(session))
    records = [r for r in stored_people(session) if r.family_id not in taken]
    results = screen_population(records, [Screen.of(a) for a in agreements], day)
    return MatcherInput(tuple(agreements), day, tuple(records), tuple(results), used)


def match(
    given: MatcherInput,
    *,
    scorer: Scorer | None = None,
    pinned_in: Sequence[tuple[str, str]] = (),
    pinned_out: Sequence[tuple[str, str]] = (),
    balance: Balance = Balance(),
    time_limit: float = 20.0,
    progress: Progress | None = None,
) -> Proposal:
    """The matcher's pools on what was read; touches no store."""
    return propose(
        given.agreements,
        given.records,
        given.results,
        given.day,
        scorer or TransparentScorer(),
        used=given.used,
        balance=balance,
        pinned_in=pinned_in,
        pinned_out=pinned_out,
        time_limit=time_limit,
        progress=progress,
    )


def match_stored(
    session: Session,
    agreements: Sequence[AgreementIn],
    day: dt.date,
    *,
    scorer: Scorer | None = None,
    pinned_in: Sequence[tuple[str, str]] = (),
    pinned_out: Sequence[tuple[str, str]] = (),
    balance: Balance = Balance(),
    time_limit: float = 20.0,
    progress: Progress | None = None,
) -> Proposal:
    """The matcher on the store (`matcher_input`, then `match`). Chooses; stores nothing."""
    return match(
        matcher_input(session, agreements, day),
        scorer=scorer,
        pinned_in=pinned_in,
        pinned_out=pinned_out,
        balance=balance,
        time_limit=time_limit,
        progress=progress,
    )


def store_pools(
    session: Session,
    matched: Proposal,
    actor: Actor,
    clock: Clock,
    *,
    used: Mapping[str, Used],
    balance: Balance = Balance(),
) -> list[MatchedPool]:
    """Each non-empty pool of the matcher's proposal, created through the workflow (every
    family screened again; a pool is stored whole or refused)."""
    stored = []
    for pool in matched.pools:
        if not pool.families:
            continue
        agreement = stored_agreement(session, pool.agreement_id)
        limit = pool_limit(agreement, today(clock), used[agreement.id], balance)
        proposal = create_pool(
            session,
            agreement.id,
            [PoolFamily(f.family_id, f.score, f.why) for f in pool.families],
            actor,
            clock,
            method="matcher",
            pool_limit=pool.pool_limit,
            objective=matched.objective,
            gap=matched.solution.gap,
        )
        stored.append(MatchedPool(proposal, pool, limit.note, gap_text(matched.solution)))
    return stored


def propose_pools(
    session: Session,
    agreement_ids: Sequence[str],
    actor: Actor,
    clock: Clock,
    *,
    scorer: Scorer | None = None,
    pinned_in: Sequence[tuple[str, str]] = (),
    pinned_out: Sequence[tuple[str, str]] = (),
    balance: Balance = Balance(),
    time_limit: float = 20.0,
    progress: Progress | None = None,
) -> tuple[Proposal, list[MatchedPool]]:
    """The matcher's pools for several agreements at once (a family goes to one pool at most),
    each stored as a proposal through the workflow."""
    if not may_make(actor.role, PROPOSE):  # before the work; create_pool checks party too
        raise Forbidden(f"{actor.name} ({actor.role}) may not propose a pool")
    agreements = [stored_agreement(session, a) for a in agreement_ids]
    day = today(clock)
    matched = match_stored(
        session,
        agreements,
        day,
        scorer=scorer,
        pinned_in=pinned_in,
        pinned_out=pinned_out,
        balance=balance,
        time_limit=time_limit,
        progress=progress,
    )
    used = {a.id: used_places(session, a, day) for a in agreements}
    return matched, store_pools(session, matched, actor, clock, used=used, balance=balance)


def proposable(session: Session, agreement: AgreementIn, actor: Actor, day: dt.date) -> PoolLimit:
    """The pool limit, refused with the reason when no pool can be formed today (the actor may
    not propose, S12, an unknown cap, no place left): checked before any matcher work."""
    if not may_make(actor.role, PROPOSE):
        raise Forbidden(f"{actor.name} ({actor.role}) may not propose a pool")
    problems = agreement_problems(session, agreement, day)
    if problems:
        raise GuardFailed(f"cannot propose to {agreement.id}: S12: " + "; S12: ".join(problems))
    limit = pool_limit(agreement, day, used_places(session, agreement, day))
    if limit.persons is None:
        raise Conflict(f"cannot propose to {agreement.id}: {limit.note}")
    if limit.persons == 0:
        raise Conflict(f"cannot propose to {agreement.id}: no places left ({limit.note})")
    return limit


def propose_pool(
    session: Session,
    agreement_id: str,
    actor: Actor,
    clock: Clock,
    *,
    scorer: Scorer | None = None,
    pinned_out: Collection[str] = (),
    time_limit: float = 20.0,
) -> MatchedPool:
    """One agreement's pool, refused with the reason when no pool can be formed.

    `pinned_out` names families a person decided to leave out of this pool (e.g. families the
    receiver turned down before); the matcher keeps that decision.
    """
    agreement = stored_agreement(session, agreement_id)
    day = today(clock)
    limit = proposable(session, agreement, actor, day)
    _, stored = propose_pools(
        session,
        [agreement_id],
        actor,
        clock,
        scorer=scorer,
        pinned_out=[(family_id, agreement_id) for family_id in sorted(set(pinned_out))],
        time_limit=time_limit,
    )
    if not stored:
        raise Conflict(
            f"cannot propose to {agreement_id}: no eligible family on {day} fits the pool limit"
            f" of {limit.persons} ({limit.note}) outside open items and families left out"
        )
    return stored[0]


def record_pins(
    session: Session,
    actor: str,
    proposal_id: int,
    pinned_in: Sequence[tuple[str, str]],
    pinned_out: Sequence[tuple[str, str]],
) -> None:
    """Each family a person added to a stored pool or left out of it, with its reason (a
    personal value of the family's: an erasure removes it)."""
    record_many(
        session,
        actor,
        [
            Entry(
                "proposal.pinned",
                "proposal",
                str(proposal_id),
                {
                    "family_id": family,
                    "pin": kind,
                    "reason": Personal(family_subject(family), reason),
                },
            )
            for kind, pins in (("in", pinned_in), ("out", pinned_out))
            for family, reason in pins
        ],
    )


def record_computed(session: Session, actor: str, proposal: Proposal, day: dt.date) -> None:
    """A matcher run that stored nothing (a preview, a dry run) is still audited: who asked,
    on which day, and what it would have proposed for each agreement."""
    record_many(
        session,
        actor,
        [
            Entry(
                "proposal.computed",
                "agreement",
                pool.agreement_id,
                {
                    "on": day.isoformat(),
                    "pool_limit": pool.pool_limit,
                    "families": [f.family_id for f in pool.families],
                    "pinned_in": [f.family_id for f in pool.families if f.pinned],
                    "objective": proposal.objective,
                    "gap": proposal.solution.gap,
                },
            )
            for pool in proposal.pools
        ],
    )


def agreements_to_propose(
    session: Session, agreement_ids: Sequence[str], actor: Actor, day: dt.date
) -> list[AgreementIn]:
    """The agreements asked for, when pools may be proposed to every one of them on the day;
    else refused with every reason of every agreement at once (unknown, another sender's, not
    open under S12), so one run tells all that stands in the way."""
    asked = list(dict.fromkeys(agreement_ids))
    found: list[AgreementIn] = []
    refusals: dict[str, list[str]] = {}
    for agreement_id in asked:
        try:
            agreement = stored_agreement(session, agreement_id)
        except NotFound as exc:
            refusals[agreement_id] = [exc.detail]
            continue
        found.append(agreement)
        reasons = [f"S12: {reason}" for reason in agreement_problems(session, agreement, day)]
        if not acts_for_sender(actor.role, actor.party, agreement):
            reasons.insert(
                0, f"{actor.name} acts for {actor.party}, not for its sender {agreement.sender}"
            )
        if reasons:
            refusals[agreement_id] = reasons
    if refusals:
        lines = [f"{a}: {reason}" for a, reasons in refusals.items() for reason in reasons]
        raise GuardFailed(
            f"cannot propose to {len(refusals)} of the {len(asked)} agreements asked for"
            " (nothing was computed; `accord match` works on files for what-if work):\n  "
            + "\n  ".join(lines)
        )
    return found


AFTER_TRANSFER = frozenset({State.TRANSFERRED, *ONWARD, State.CLOSED})


def transferred_families(session: Session) -> dict[str, str]:
    """Families already moved to a receiver: never proposed again (they are no longer here)."""
    return {
        item.family_id: f"item {item.id} under {item.agreement_id} on {item.transferred_on}"
        for item in repository.items(session, states=[s.value for s in AFTER_TRANSFER])
    }


@dataclass(frozen=True, slots=True)
class PoolFamily:
    family_id: str
    score: float | None = None
    why: str = ""


def create_pool(
    session: Session,
    agreement_id: str,
    families: Sequence[PoolFamily],
    actor: Actor,
    clock: Clock,
    *,
    method: Literal["matcher", "planner", "screening"],
    pool_limit: int,
    objective: float | None = None,
    gap: float | None = None,
) -> StoredProposal:
    """A pool for an agreement in force; every family re-screened today, whole, and in no
    other open item. All or nothing: one family that fails refuses the pool, naming each."""
    agreement = _agreement(session, agreement_id, lock=True)
    _authorize(actor, PROPOSE, agreement)
    now = clock.now()
    day = now.date()
    problems = [f"S12: {reason}" for reason in agreement_problems(session, agreement, day)]
    taken = repository.open_families(session)
    gone = transferred_families(session)
    members_of: dict[str, list[PersonRecord]] = {}
    for family in families:
        members = stored_people(session, family_id=family.family_id)
        if not members:
            problems.append(f"{family.family_id}: no such family")
            continue
        if family.family_id in taken:
            problems.append(f"{family.family_id}: already in an open proposal item")
        if family.family_id in gone:
            problems.append(f"{family.family_id}: already transferred ({gone[family.family_id]})")
        changed = family_changed_at(session, family.family_id)
        if changed is not None and now < changed:
            problems.append(
                f"{family.family_id}: its records changed at {changed:%Y-%m-%d %H:%M}"
                f" UTC; nothing can be decided on them at {now:%Y-%m-%d %H:%M}, before they"
                " existed (time runs forward)"
            )
        problems += [f"{family.family_id}: {r}" for r in family_eligible(agreement, members, day)]
        members_of[family.family_id] = members
    size = sum(len(m) for m in members_of.values())
    if size > pool_limit:
        problems.append(f"the pool holds {size} people, over its limit of {pool_limit}")
    if len({f.family_id for f in families}) != len(families):
        problems.append("a family appears twice in the pool")
    if problems:
        raise GuardFailed(f"cannot propose to {agreement_id}: " + "; ".join(problems))
    proposal = StoredProposal(
        agreement_id=agreement_id,
        proposed_on=day,
        proposed_by=actor.name,
        method=method,
        pool_limit=pool_limit,
        objective=objective,
        gap=gap,
    )
    session.add(proposal)
    session.flush()
    created = []
    for family in families:
        item = ProposalItem(
            proposal_id=proposal.id,
            agreement_id=agreement_id,
            family_id=family.family_id,
            open_family=family.family_id,
            size=len(members_of[family.family_id]),
            members=sorted(m.case_id for m in members_of[family.family_id]),
            last_at=now,
            score=family.score,
            why=family.why,
            state=State.PROPOSED.value,
            state_since=day,
            seen_since=day,
        )
        created.append(item)
    session.add_all(created)
    try:
        session.flush()
    except IntegrityError as exc:  # another pool took one of these families meanwhile
        raise Conflict(
            f"cannot propose to {agreement_id}: a family was proposed elsewhere"
        ) from exc
    session.add_all(
        ItemEvent(
            item_id=item.id,
            action="propose",
            from_state=None,
            to_state=State.PROPOSED.value,
            day=day,
            at=now,
            actor=actor.name,
            role=actor.role,
            data={"proposal": proposal.id},
        )
        for item in created
    )
    record_many(
        session,
        actor.name,
        [
            Entry(
                "proposal.created",
                "proposal",
                str(proposal.id),
                {
                    "agreement": agreement_id,
                    "day": day.isoformat(),
                    "method": method,
                    "pool_limit": pool_limit,
                    "families": [f.family_id for f in families],
                    "objective": objective,
                    "gap": gap,
                },
            )
        ],
        at=now,
    )
    session.flush()
    return proposal
