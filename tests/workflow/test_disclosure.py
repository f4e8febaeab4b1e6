"""What a receiver or monitor sees of the workflow: a function of the neutral facts only."""

from __future__ import annotations

import pytest

from accord.workflow.disclosure import (
    CALLED_OFF,
    SCHEDULED,
    SEEN_STATE,
    WITHDRAWN,
    offered_moves,
    seen_move,
    seen_state,
)
from accord.workflow.transitions import BY_ACTION, TRANSITIONS, State


def test_every_state_has_one_seen_state() -> None:
    assert set(SEEN_STATE) == set(State)


@pytest.mark.parametrize("role", ["officer", "supervisor"])
def test_the_senders_staff_see_the_real_state(role: str) -> None:
    for state in State:
        assert seen_state(state, role) == state.value  # type: ignore[arg-type]


def test_every_sender_side_hold_reads_as_accepted_and_every_end_as_withdrawn() -> None:
    """Issue 14, finding 2: three labels, each telling its cause (a pending or refused claim, a
    granted one, a stay or an appeal). Now one state for the holds, one label for the ends."""
    for state in (State.NOTIFIED, State.FEAR_CLAIMED, State.REOPENING, State.CLEARED):
        assert seen_state(state, "reviewer") == "accepted"
        assert seen_state(state, "monitor") == "accepted"
    assert seen_state(State.CANCELLED, "reviewer") == WITHDRAWN
    assert seen_state(State.BLOCKED_PROTECTION, "reviewer") == WITHDRAWN


def test_a_senders_move_shows_only_when_it_changes_what_the_receiver_sees() -> None:
    assert seen_move("notify", "accepted", "notified") is None
    assert seen_move("claim_fear", "notified", "fear_claimed") is None
    assert seen_move("fear_negative", "fear_claimed", "reopening") is None
    assert seen_move("clear", "reopening", "cleared") is None
    assert seen_move("schedule", "cleared", "scheduled") == SCHEDULED
    assert seen_move("claim_fear", "scheduled", "fear_claimed") == CALLED_OFF
    assert seen_move("cancel", "scheduled", "cancelled") == WITHDRAWN
    assert seen_move("fear_positive", "fear_claimed", "blocked_protection") == WITHDRAWN
    assert seen_move("cancel", "proposed", "cancelled") == WITHDRAWN


def test_the_receivers_own_moves_read_as_they_are() -> None:
    assert seen_move("accept", "proposed", "accepted") == "accept: proposed → accepted"
    assert seen_move("revoke", "fear_claimed", "revoked") == "revoke: accepted → revoked"
    assert seen_move("transfer", "scheduled", "transferred") == (
        "transfer: scheduled → transferred"
    )


def test_the_moves_offered_never_tell_hidden_states_apart() -> None:
    """Revoking was refused while a claim was pending and allowed while its window ran, with a
    refusal naming "reopening": the offer itself told the claim's outcome."""
    assert offered_moves("accepted", "reviewer") == ["revoke"]
    assert offered_moves("proposed", "reviewer") == ["accept", "reject"]
    assert offered_moves("scheduled", "reviewer") == ["revoke", "transfer"]
    for state in (State.ACCEPTED, State.NOTIFIED, State.FEAR_CLAIMED, State.REOPENING):
        assert state in BY_ACTION["revoke"].sources


def test_every_real_state_behind_a_seen_state_allows_the_same_receiver_moves() -> None:
    for seen in set(SEEN_STATE.values()):
        behind = [s for s, shown in SEEN_STATE.items() if shown == seen]
        allowed = [
            {row.action for row in TRANSITIONS if "reviewer" in row.roles and s in row.sources}
            for s in behind
        ]
        assert all(a == allowed[0] for a in allowed), seen
