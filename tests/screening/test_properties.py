"""Invariants of screening over generated people and agreements (Hypothesis)."""

from __future__ import annotations

from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from accord.records.agreement import AgreementIn
from accord.records.person import PersonRecord
from accord.screening.batch import screen_population
from accord.screening.single import Screen, screen_family
from tests.strategies import ON, agreements, families


@settings(max_examples=150, deadline=None)
@given(
    people=families(),
    terms=st.lists(agreements(), min_size=1, max_size=2, unique_by=lambda a: a.id),
)
def test_batch_and_reference_paths_agree_and_the_invariants_hold(
    people: list[PersonRecord], terms: list[AgreementIn]
) -> None:
    screens = [Screen.of(t) for t in terms]
    batch = screen_population(people, screens, ON)

    by_family: dict[str, list[PersonRecord]] = defaultdict(list)
    for person in people:
        by_family[person.family_id].append(person)
    reference = sorted(
        (
            r
            for screen in screens
            for family in by_family.values()
            for r in screen_family(family, screen, ON)
        ),
        key=lambda r: (r.agreement_id, r.case_id),
    )
    assert batch == reference

    pending = {
        p.case_id
        for p in people
        if p.appeal_pending or p.stay_of_removal or any(e.status == "pending" for e in p.protection)
    }
    for result in batch:
        if result.case_id in pending:
            assert not result.eligible, "nobody with a pending claim, stay or appeal is eligible"
    outcome: dict[tuple[str, str], set[bool]] = defaultdict(set)
    for result in batch:
        outcome[(result.agreement_id, result.family_id)].add(result.eligible)
    assert all(len(seen) == 1 for seen in outcome.values()), "no family is ever partly eligible"
