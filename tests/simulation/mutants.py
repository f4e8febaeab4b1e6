"""Mutants: each puts one fault of issue 13 (or a plain hole in who may act) back into the
running services, in this process only and undone afterwards, so that a run shows whether the
simulation reaches it and the oracle names it. A mutant the oracle does not find is a blind
spot of the simulation, not a pass.

They patch internals by name, so they follow the code: one that no longer applies says so.
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from types import MappingProxyType
from typing import Any


@contextmanager
def _patched(module_name: str, attribute: str, value: Any) -> Iterator[None]:
    module = importlib.import_module(module_name)
    if not hasattr(module, attribute):
        raise LookupError(f"{module_name}.{attribute} is gone: the mutant no longer applies")
    old = getattr(module, attribute)
    setattr(module, attribute, value)
    try:
        yield
    finally:
        setattr(module, attribute, old)


@contextmanager
def _everywhere(module_name: str, attribute: str, value: Any) -> Iterator[None]:
    """Replace an object in its module and in every loaded module of Accord that imported it."""
    original = getattr(importlib.import_module(module_name), attribute)
    holders = [
        m
        for name, m in list(sys.modules.items())
        if name.startswith("accord") and getattr(m, attribute, None) is original
    ]
    for module in holders:
        setattr(module, attribute, value)
    try:
        yield
    finally:
        for module in holders:
            setattr(module, attribute, original)


def _without_guard(actions: tuple[str, ...], guard: str) -> Callable[[], Any]:
    def patch() -> Any:
        transitions = importlib.import_module("accord.workflow.transitions")
        table = dict(transitions.BY_ACTION)
        for action in actions:
            row = table[action]
            table[action] = dataclasses.replace(
                row, guards=tuple(g for g in row.guards if g != guard)
            )
        return _everywhere("accord.workflow.transitions", "BY_ACTION", MappingProxyType(table))

    return patch


def _with_role(action: str, role: str, *, dropping: str) -> Callable[[], Any]:
    """Let another role make a move, and drop the guard that would stop it there."""

    def patch() -> Any:
        transitions = importlib.import_module("accord.workflow.transitions")
        table = dict(transitions.BY_ACTION)
        row = table[action]
        table[action] = dataclasses.replace(
            row,
            roles=row.roles | {role},
            guards=tuple(g for g in row.guards if g != dropping),
        )
        return _everywhere("accord.workflow.transitions", "BY_ACTION", MappingProxyType(table))

    return patch


def _count_family() -> Any:
    """S9 by count again: a swap of two children between families of one size goes through."""
    guards = importlib.import_module("accord.workflow.guards")

    def by_count(facts: Any) -> list[str]:
        then = len(getattr(facts, "proposed", ()) or facts.members)
        return [] if len(facts.members) == then else ["the family's size changed"]

    @contextmanager
    def patch() -> Iterator[None]:
        old = guards.GUARDS["S9"]
        guards.GUARDS["S9"] = by_count
        try:
            yield
        finally:
            guards.GUARDS["S9"] = old

    return patch()


def _reviewer_of_any_state() -> Any:
    """Who may move is checked by role only: a reviewer of any state accepts, any sender's
    staff clears."""
    forbidden = importlib.import_module("accord.errors").Forbidden

    def authorize(actor: Any, row: Any, agreement: Any) -> None:
        if actor.role not in row.roles:
            raise forbidden(f"{actor.name} ({actor.role}) may not {row.action}")

    return _patched("accord.proposals.service", "_authorize", authorize)


def _time_backwards() -> Any:
    """No move is refused for being dated before the item's last one."""

    def forward(session: Any, item: Any, now: Any) -> None:
        item.last_at = now

    return _patched("accord.proposals.service", "_forward", forward)


def _notice_in_any_language() -> Any:
    """Serving notice does not read the person's languages: a notice in one they do not
    understand is recorded (as no service) instead of refused."""
    notices = importlib.import_module("accord.proposals.notices")
    original = notices._template_for

    def any_language(
        session: Any,
        person: Any,
        recipient: Any,
        language: str,
        interpreter: Any,
        read_in: Any,
        clock: Any,
    ) -> Any:
        heard = [language, *([read_in] if read_in else [])]
        everyone = person.model_copy(update={"languages": [*person.languages, *heard]})
        return original(session, everyone, recipient, language, interpreter, read_in, clock)

    return _patched("accord.proposals.notices", "_template_for", any_language)


MUTANTS: dict[str, tuple[str, Callable[[], Any]]] = {
    "reimport-erases": (
        "a re-import overwrites the stored record: protective facts the file omits are gone",
        lambda: _patched("accord.cases.service", "keep_protective", lambda s, i: (i, [])),
    ),
    "fitness-at-clearance-only": (
        "S10 is checked at clearance only, not at schedule and transfer",
        _without_guard(("schedule", "transfer"), "S10"),
    ),
    "family-by-count": ("S9 compares the family's size, not its members", _count_family),
    "status-lifts-suspension": (
        "a status change suspended -> in_force ends a suspension",
        lambda: _patched("accord.agreements.service", "LIFTED_ONLY_BY_ITS_ACT", frozenset()),
    ),
    "s5-receiver-only": (
        "S5 reads fear claims about the receiver only, not the onward return destinations",
        lambda: _patched(
            "accord.safeguards.predicates",
            "feared_destinations",
            lambda person, terms: frozenset({terms.receiver}),
        ),
    ),
    "time-backwards": ("moves dated before the item's last move go through", _time_backwards),
    "file-assessments": (
        "anyone's import brings S8 assessments, whoever the file says made them",
        lambda: _patched("accord.cases.service", "_refuse_unassessed", lambda *a, **k: None),
    ),
    "clear-by-officer": (
        "an officer may clear, without a supervisor's sign-off",
        _with_role("clear", "officer", dropping="S14"),
    ),
    "any-party": ("who may move is checked by role, not by party", _reviewer_of_any_state),
    "no-notice-period": (
        "clearance does not wait for the notice period",
        _without_guard(("clear", "schedule", "transfer"), "S6"),
    ),
    "notice-any-language": (
        "a notice in a language the person does not understand is recorded, not refused",
        _notice_in_any_language,
    ),
}
"""Each mutant: what it breaks, and a function returning the context manager that breaks it."""

EXPECTED = {
    "reimport-erases": ("S3", "S4", "S5", "S7", "S8", "S10"),
    "fitness-at-clearance-only": ("S10",),
    "family-by-count": ("S9",),
    "status-lifts-suspension": ("S12",),
    "s5-receiver-only": ("S5",),
    "time-backwards": ("T",),
    "file-assessments": ("S8",),
    "clear-by-officer": ("S14",),
    "any-party": ("R", "S14"),
    "no-notice-period": ("S6",),
    "notice-any-language": ("S6",),
}
"""The rules the oracle should name for each mutant (any one of them is enough)."""


@contextmanager
def mutated(names: list[str]) -> Iterator[None]:
    with ExitStack() as stack:
        for name in names:
            stack.enter_context(MUTANTS[name][1]())
        yield
