"""The transition table (DESIGN §3), from the failing case: every move is legal exactly from
the states its row names and an error, naming the state and the move, from every other."""

from __future__ import annotations

import itertools
from typing import get_args

import pytest

from accord.errors import IllegalTransition
from accord.workflow.transitions import (
    BEFORE_TRANSFER,
    BY_ACTION,
    HOLDS_RESERVATION,
    LEFT_RECEIVER,
    ONWARD,
    OPEN,
    PROPOSE,
    TRANSITIONS,
    Guard,
    State,
    moves_from,
    releases_on,
    transition,
)

TERMINAL = {
    State.REJECTED,
    State.REVOKED,
    State.BLOCKED_PROTECTION,
    State.CLOSED,
    State.CANCELLED,
}
ACTIONS = sorted(BY_ACTION)


@pytest.mark.parametrize(
    ("action", "state"), list(itertools.product(ACTIONS, State)), ids=lambda v: str(v)
)
def test_a_move_is_legal_from_its_sources_and_illegal_from_every_other_state(
    action: str, state: State
) -> None:
    """An illegal move is an error (never a warning) that says what was tried, and from where."""
    row = BY_ACTION[action]
    if state in row.sources:
        assert transition(action, state) is row
        return
    with pytest.raises(IllegalTransition) as refused:
        transition(action, state)
    assert f"cannot {action} an item that is {state.value}" in refused.value.detail
    for source in row.sources:
        assert source.value in refused.value.detail


def test_an_unknown_move_is_an_error_listing_the_moves() -> None:
    with pytest.raises(IllegalTransition, match=r"no such move 'teleport'; moves: accept, cancel"):
        transition("teleport", State.PROPOSED)


def test_each_action_has_exactly_one_row() -> None:
    """A second row for one action would be silently shadowed in BY_ACTION."""
    actions = [row.action for row in TRANSITIONS]
    assert len(actions) == len(set(actions))
    assert set(BY_ACTION) == {*actions, "propose"}


def test_propose_creates_an_item_and_is_never_a_move() -> None:
    assert PROPOSE.target == State.PROPOSED
    assert PROPOSE.sources == frozenset()
    assert PROPOSE.guards == ("S12", "screening")
    for state in State:
        with pytest.raises(IllegalTransition, match=r"none \(it creates an item\)"):
            transition("propose", state)


@pytest.mark.parametrize("state", sorted(TERMINAL))
def test_terminal_states_have_no_moves(state: State) -> None:
    assert moves_from(state) == []
    for action in ACTIONS:
        with pytest.raises(IllegalTransition):
            transition(action, state)


@pytest.mark.parametrize("state", sorted(set(State) - TERMINAL))
def test_every_other_state_has_a_way_on(state: State) -> None:
    """No item can be stranded: every non-terminal state has at least one move."""
    assert moves_from(state)


def test_every_state_is_reachable_from_proposed() -> None:
    reached, frontier = {State.PROPOSED}, [State.PROPOSED]
    while frontier:
        current = frontier.pop()
        for row in TRANSITIONS:
            if current in row.sources and row.target not in reached:
                reached.add(row.target)
                frontier.append(row.target)
    assert reached == set(State)


def test_the_main_line_in_order() -> None:
    """proposed → accepted → notified → cleared → scheduled → transferred → remained → closed."""
    state = State.PROPOSED
    for action, expected in [
        ("accept", State.ACCEPTED),
        ("notify", State.NOTIFIED),
        ("clear", State.CLEARED),
        ("schedule", State.SCHEDULED),
        ("transfer", State.TRANSFERRED),
        ("onward_remained", State.REMAINED),
        ("close", State.CLOSED),
    ]:
        state = transition(action, state).target
        assert state == expected


@pytest.mark.parametrize(
    ("action", "state"),
    [
        ("clear", State.ACCEPTED),  # no notice served yet (S6)
        ("clear", State.FEAR_CLAIMED),  # the fear claim is undecided (S5)
        ("transfer", State.CLEARED),  # never scheduled
        ("transfer", State.ACCEPTED),
        ("schedule", State.NOTIFIED),  # never cleared (S14)
        ("close", State.TRANSFERRED),  # no onward outcome recorded
        ("accept", State.REJECTED),  # a rejection is final
        ("fear_positive", State.NOTIFIED),  # no claim to decide
        ("claim_fear", State.PROPOSED),  # nothing to fear before acceptance
        ("revoke", State.REJECTED),  # nothing is held to give back
    ],
)
def test_shortcuts_past_a_safeguard_are_illegal(action: str, state: State) -> None:
    with pytest.raises(IllegalTransition, match=f"cannot {action} an item that is {state.value}"):
        transition(action, state)


def test_a_fear_claim_stops_any_step_after_acceptance_and_before_transfer() -> None:
    """A clearance or schedule already given is void: the claim takes the item back."""
    for state in (State.ACCEPTED, State.NOTIFIED, State.CLEARED, State.SCHEDULED):
        assert transition("claim_fear", state).target == State.FEAR_CLAIMED
    assert transition("fear_positive", State.FEAR_CLAIMED).target == State.BLOCKED_PROTECTION
    assert transition("fear_negative", State.FEAR_CLAIMED).target == State.REOPENING
    assert transition("clear", State.REOPENING).target == State.CLEARED
    for state in (State.TRANSFERRED, *ONWARD, State.CLOSED):
        with pytest.raises(IllegalTransition):
            transition("claim_fear", state)


def test_cancel_only_before_transfer() -> None:
    cancel = BY_ACTION["cancel"]
    assert cancel.sources == BEFORE_TRANSFER
    assert cancel.target == State.CANCELLED
    assert cancel.guards == ("reason",)
    for state in (State.TRANSFERRED, *ONWARD, *TERMINAL):
        with pytest.raises(IllegalTransition, match=f"cannot cancel an item that is {state}"):
            transition("cancel", state)


def test_open_states_are_the_states_before_transfer() -> None:
    """An open item keeps its family out of every other pool."""
    assert OPEN == BEFORE_TRANSFER
    assert State.TRANSFERRED not in OPEN
    assert State.PROPOSED not in HOLDS_RESERVATION
    assert {State.PROPOSED} | HOLDS_RESERVATION == BEFORE_TRANSFER


def test_who_may_make_each_move() -> None:
    """The receiver decides and reports arrival and onward outcomes; the sender does the rest;
    clearance is a supervisor's alone (S14)."""
    receiver = {"accept", "reject", "revoke", "transfer", *(f"onward_{s}" for s in ONWARD)}
    for row in TRANSITIONS:
        if row.action == "clear":
            assert row.roles == {"supervisor"}
        elif row.action in receiver:
            assert row.roles == {"reviewer"}, row.action
        else:
            assert row.roles == {"officer", "supervisor"}, row.action
        assert "admin" not in row.roles
        assert "monitor" not in row.roles


@pytest.mark.parametrize(
    ("action", "guards"),
    [
        ("accept", ("S9", "S12", "screening", "S13")),
        ("reject", ("reason",)),
        ("revoke", ("reason",)),
        ("notify", ("S9", "S12", "screening", "served")),
        ("claim_fear", ()),
        ("fear_positive", ("interview",)),
        ("fear_negative", ("interview",)),
        ("fear_negative_others_pending", ("interview",)),
        ("clear", ("S9", "S12", "screening", "S6", "S10", "fit_confirmed", "S14")),
        ("schedule", ("S9", "S12", "screening", "S6", "S10", "S13")),
        ("transfer", ("S9", "S12", "screening", "S6", "S10", "schedule_day", "S13")),
        ("close", ("check_ins",)),
        ("cancel", ("reason",)),
    ],
)
def test_the_guards_of_each_move(action: str, guards: tuple[Guard, ...]) -> None:
    assert BY_ACTION[action].guards == guards


def test_every_guard_is_checked_somewhere() -> None:
    used = {guard for row in (PROPOSE, *TRANSITIONS) for guard in row.guards}
    assert used == set(get_args(Guard))


def test_ledger_effects() -> None:
    """Reserve on acceptance, consume on arrival, release when the place is given back, depart
    when the person leaves the receiver; no other move touches the ledger."""
    effects = {row.action: row.ledger for row in TRANSITIONS if row.ledger}
    assert effects == {
        "accept": "reserve",
        "revoke": "release",
        "fear_positive": "release",
        "cancel": "release",
        "transfer": "consume",
        **{f"onward_{s.value}": "depart" for s in LEFT_RECEIVER},
    }
    assert "onward_remained" not in effects


@pytest.mark.parametrize("state", sorted(BEFORE_TRANSFER))
def test_cancel_releases_only_a_held_reservation(state: State) -> None:
    """A proposed item holds no place, so cancelling it writes no release row."""
    cancel = transition("cancel", state)
    assert releases_on(cancel, state) == (state != State.PROPOSED)


def test_revoke_and_a_positive_fear_claim_release_the_place() -> None:
    for state in BY_ACTION["revoke"].sources:
        assert releases_on(BY_ACTION["revoke"], state)
    assert releases_on(BY_ACTION["fear_positive"], State.FEAR_CLAIMED)


def test_moves_that_do_not_release_never_do() -> None:
    for row in TRANSITIONS:
        if row.ledger != "release":
            assert not any(releases_on(row, state) for state in State), row.action
