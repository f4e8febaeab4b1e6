"""A pool proposed by the matcher for one agreement in force, stored as a proposal.

The matcher chooses among the families eligible on the day that are in no open item and were
never transferred, up to
floor(pool_factor × places left), where the places left come from the quota ledger (what is
reserved or used in the current period). The pool is then stored by `create_pool`, which
screens every family again and refuses the whole pool if one fails.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy.orm import Session

from accord.agreements.schemas import AgreementIn
from accord.cases.service import stored_people
from accord.clock import Clock, today
from accord.errors import Conflict, Forbidden
from accord.matching.proposal import ProposedPool, Used, gap_text, pool_limit, propose
from accord.matching.scoring import Scorer, TransparentScorer
from accord.models import Proposal
from accord.proposals import repository
from accord.proposals.service import (
    Actor,
    GuardFailed,
    PoolFamily,
    create_pool,
    transferred_families,
)
from accord.screening.batch import screen_population
from accord.screening.service import stored_agreement
from accord.screening.single import Screen
from accord.workflow.guards import agreement_open
from accord.workflow.quota import held
from accord.workflow.transitions import PROPOSE


@dataclass(frozen=True)
class MatchedPool:
    proposal: Proposal
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
    """Screen the stored people on the day, let the matcher choose, store the pool.

    `pinned_out` names families a person decided to leave out of this pool (e.g. families the
    receiver turned down before); the matcher keeps that decision.
    """
    if actor.role not in PROPOSE.roles:  # before the work; create_pool checks party too
        raise Forbidden(f"{actor.name} ({actor.role}) may not propose a pool")
    agreement = stored_agreement(session, agreement_id)
    day = today(clock)
    problems = agreement_open(agreement, day)
    if problems:
        raise GuardFailed(f"cannot propose to {agreement_id}: S12: " + "; S12: ".join(problems))
    used = used_places(session, agreement, day)
    limit = pool_limit(agreement, day, used)
    if limit.persons is None:
        raise Conflict(f"cannot propose to {agreement_id}: {limit.note}")
    if limit.persons == 0:
        raise Conflict(f"cannot propose to {agreement_id}: no places left ({limit.note})")
    taken = repository.open_families(session) | set(transferred_families(session))
    records = [r for r in stored_people(session) if r.family_id not in taken]
    results = screen_population(records, [Screen.of(agreement)], day)
    matched = propose(
        [agreement],
        records,
        results,
        day,
        scorer or TransparentScorer(),
        used={agreement.id: used},
        pinned_out=[(family_id, agreement.id) for family_id in sorted(set(pinned_out))],
        time_limit=time_limit,
    )
    pool = next((p for p in matched.pools if p.agreement_id == agreement.id), None)
    if pool is None or not pool.families:
        raise Conflict(
            f"cannot propose to {agreement_id}: no eligible family on {day} fits the pool limit"
            f" of {limit.persons} ({limit.note}) outside open items and families left out"
        )
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
    return MatchedPool(proposal, pool, limit.note, gap_text(matched.solution))
