"""Each move on an item is declared once (`accord.workflow.moves`), and everything else is built
from that declaration: the moves cover the workflow table exactly, each is bound to one command,
and the access rules, the page routes' rules and the command line's commands are exactly the
declared set, under the declared names. (The API's routes and the pages' routes: tests/web.)"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from typer.core import TyperGroup

from accord.access import PAGES, RULES
from accord.cli import command_tree
from accord.monitoring.moves import BINDINGS
from accord.workflow.moves import BY_NAME, MOVES, OF_ACTION, Move
from accord.workflow.transitions import BY_ACTION, TRANSITIONS


def test_every_action_of_the_workflow_table_has_exactly_one_move() -> None:
    made = Counter(action for move in MOVES for action in move.actions)
    assert set(made) == {row.action for row in TRANSITIONS}
    assert [action for action, times in made.items() if times > 1] == []
    assert set(OF_ACTION) == {row.action for row in TRANSITIONS}


def test_each_move_has_one_name_and_it_is_used_everywhere() -> None:
    assert len({m.name for m in MOVES}) == len(MOVES) == len(BY_NAME)
    for move in MOVES:
        assert move.rule == f"items.{move.name}"
        assert move.page == f"pages.items.{move.name}"
        assert move.verb == move.name.replace("_", "-")
        assert move.path(7) == f"/items/7/{move.verb}"
        if len(move.actions) == 1:  # a move of one row is named as the row
            assert move.actions == (move.name,)


@pytest.mark.parametrize("move", MOVES, ids=lambda m: m.name)
def test_who_may_make_a_move_and_its_guards_are_the_tables(move: Move) -> None:
    rows = [BY_ACTION[a] for a in move.actions] or (
        [BY_ACTION[move.acts_as]] if move.acts_as else []
    )
    if rows:
        assert {frozenset(r.roles) for r in rows} == {move.roles}
    else:
        assert move.roles == move.others != frozenset()
    assert set(move.guards) == {g for r in (BY_ACTION[a] for a in move.actions) for g in r.guards}


@pytest.mark.parametrize("move", MOVES, ids=lambda m: m.name)
def test_a_moves_form_and_command_fill_its_whole_body(move: Move) -> None:
    fields = set(move.body.model_fields) if move.body is not None else set()
    assert [f.field for f in move.form if f.field not in fields] == []
    assert [p.field for p in move.cli if p.field not in fields] == []
    assert {f.field for f in move.form} == fields, "a body field no page form fills"
    assert {p.field for p in move.cli} == fields, "a body field no command fills"


def test_every_move_is_bound_to_one_command() -> None:
    assert list(BINDINGS) == [m.name for m in MOVES]
    assert all(binding.move is BY_NAME[name] for name, binding in BINDINGS.items())


def test_the_access_rules_of_items_are_exactly_the_moves() -> None:
    reads = {"items.get", "items.notice_document"}  # an item, and a served notice's document
    moves = {name for name in RULES if name.startswith("items.")} - reads
    assert moves == {m.rule for m in MOVES}
    assert all(RULES[name].scope == "read" for name in reads)
    for move in MOVES:
        assert RULES[move.rule].roles == move.roles
        assert RULES[move.rule].scope == "write"
    pages = {name for name in PAGES if name.startswith("pages.items.")}
    assert pages == {m.page for m in MOVES}
    assert all(PAGES[m.page] == m.rule for m in MOVES)


def test_the_item_commands_are_exactly_the_moves() -> None:
    item = command_tree().commands["item"]
    assert isinstance(item, TyperGroup)
    reads = {"show", "notice-copy"}  # an item, and a served notice typeset again
    assert not reads & {m.verb for m in MOVES}
    assert set(item.commands) - reads == {m.verb for m in MOVES}
    for move in MOVES:
        command: Any = item.commands[move.verb]
        assert command.help.startswith(move.help.split("\n")[0][:40])
        options = {o for p in command.params for o in getattr(p, "opts", ())}
        assert {p.flag for p in move.cli if p.flag} <= options
        assert ("--request-id" in options) == BINDINGS[move.name].retries
