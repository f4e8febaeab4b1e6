"""Reading an agreements YAML file into validated models, with errors that name the place.

Every problem names the file, the line, the path inside the document and what was expected.
Duplicate keys are errors (YAML would otherwise keep the last one silently).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from accord.errors import InvalidInput, Problem
from accord.records.agreement import AgreementIn, RegistryFile
from accord.rules import RuleError, compile_rule
from accord.workflow.lifecycle import is_reachable

Path_ = tuple[str | int, ...]

MAX_REGISTRY_BYTES = 10 * 1024 * 1024
"""The largest agreements file read: a registry of every agreement ever reported is a few
hundred kilobytes, and YAML is parsed in memory."""


class _Loader(yaml.SafeLoader):
    """Safe YAML with dates left as text, so a bad date is reported at its place, not raised."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def dotted(path: Iterable[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


class _Document:
    """The composed YAML node tree: finds the line of any path, and duplicate keys."""

    def __init__(self, root: yaml.Node | None) -> None:
        self.root = root

    def line_of(self, path: Path_) -> int:
        node = self.root
        if node is None:
            return 1
        line = node.start_mark.line + 1
        for part in path:
            child = self._child(node, part)
            if child is None:
                break
            node, line = child, child.start_mark.line + 1
        return line

    @staticmethod
    def _child(node: yaml.Node, part: str | int) -> yaml.Node | None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    return value  # type: ignore[no-any-return]
        if (
            isinstance(node, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(node.value)
        ):
            return node.value[part]  # type: ignore[no-any-return]
        return None

    def duplicate_keys(self) -> list[tuple[Path_, int, str]]:
        found: list[tuple[Path_, int, str]] = []

        walked: set[int] = set()

        def walk(node: yaml.Node, path: Path_) -> None:
            if id(node) in walked:  # an alias: walked where its anchor is ("billion laughs")
                return
            walked.add(id(node))
            if isinstance(node, yaml.MappingNode):
                seen: set[Any] = set()
                for key, value in node.value:
                    if key.value in seen:
                        found.append((path, key.start_mark.line + 1, str(key.value)))
                    seen.add(key.value)
                    walk(value, (*path, key.value))
            elif isinstance(node, yaml.SequenceNode):
                for index, item in enumerate(node.value):
                    walk(item, (*path, index))

        if self.root is not None:
            walk(self.root, ())
        return found


def _describe(error: ErrorDetails) -> str:
    message = str(error["msg"])
    if error["type"] == "extra_forbidden":
        return "unknown key (a typo? unknown keys are refused so no field is silently dropped)"
    if error["type"] == "missing":
        return "required, but missing"
    message = message.removeprefix("Value error, ")
    value = error.get("input")
    if error["type"] not in {"model_type", "dict_type", "list_type"} and not isinstance(
        value, dict | list
    ):
        message += f" (got {_shown(value)})"
    return message


def _shown(value: object, most: int = 80) -> str:
    """The repr of a value in a message, shortened: a line may hold megabytes."""
    text = repr(value)
    return text if len(text) <= most else f"{text[:most]}... ({len(text)} characters)"


def parse_registry(text: str, source: str, known_parties: Iterable[str] = ()) -> RegistryFile:
    """Validate a registry document; raise InvalidInput listing every problem found.

    Parties may be listed in the file or already be in the registry (`known_parties`).
    """
    try:
        return _parse_registry(text, source, known_parties)
    except RecursionError:
        raise InvalidInput(source, [Problem(source, "not valid YAML: nested too deeply")]) from None


def _parse_registry(text: str, source: str, known_parties: Iterable[str]) -> RegistryFile:
    try:
        root = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 (_Loader is a SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        if isinstance(exc, yaml.reader.ReaderError):  # a character YAML refuses, e.g. NUL
            where = f"{source}:{text.count(chr(10), 0, exc.position) + 1}"
        problem = getattr(exc, "problem", None) or str(exc)
        raise InvalidInput(source, [Problem(where, f"not valid YAML: {problem}")]) from exc
    document = _Document(root)
    problems = [
        Problem(f"{source}:{line}", f"{dotted(path) + '.' if path else ''}{key}: duplicate key")
        for path, line, key in document.duplicate_keys()
    ]
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidInput(
            source, [Problem(f"{source}:1", "expected a mapping with parties: and agreements:")]
        )
    try:
        registry = RegistryFile.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            path = tuple(error["loc"])
            problems.append(
                Problem(f"{source}:{document.line_of(path)}", f"{dotted(path)}: {_describe(error)}")
            )
        raise InvalidInput(source, problems) from exc
    for path, message in cross_check(registry) + unknown_parties(registry, set(known_parties)):
        problems.append(Problem(f"{source}:{document.line_of(path)}", f"{dotted(path)}: {message}"))
    if problems:
        raise InvalidInput(source, problems)
    return registry


def load_registry_file(path: Path, known_parties: Iterable[str] = ()) -> RegistryFile:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_REGISTRY_BYTES + 1)
    except OSError as exc:
        raise InvalidInput(str(path), [Problem(str(path), f"cannot read: {exc.strerror}")]) from exc
    if len(data) > MAX_REGISTRY_BYTES:
        raise InvalidInput(
            str(path),
            [Problem(str(path), f"larger than {MAX_REGISTRY_BYTES} bytes: not an agreements file")],
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InvalidInput(str(path), [Problem(f"{path}:{line}", "not UTF-8 text")]) from None
    return parse_registry(text, str(path), known_parties)


def unknown_parties(registry: RegistryFile, known: set[str]) -> list[tuple[Path_, str]]:
    """References to parties neither in the file nor already in the registry."""
    codes = known | {party.code for party in registry.parties}
    problems: list[tuple[Path_, str]] = []
    for index, agreement in enumerate(registry.agreements):
        refs: list[tuple[Path_, str]] = [
            (("agreements", index, "sender"), agreement.sender),
            (("agreements", index, "receiver"), agreement.receiver),
        ]
        refs += [
            (("agreements", index, "monitors", m), code)
            for m, code in enumerate(agreement.monitors)
        ]
        for where, code in refs:
            if code not in codes:
                problems.append((where, f"unknown party {code!r}: list it under parties:"))
    return problems


def cross_check(registry: RegistryFile) -> list[tuple[Path_, str]]:
    """Checks across fields that a single field's type cannot express."""
    problems: list[tuple[Path_, str]] = []
    seen_parties: set[str] = set()
    for index, party in enumerate(registry.parties):
        if party.code in seen_parties:
            problems.append((("parties", index, "code"), f"party {party.code} is listed twice"))
        seen_parties.add(party.code)
    seen_ids: set[str] = set()
    for index, agreement in enumerate(registry.agreements):
        if agreement.id in seen_ids:
            problems.append(
                (("agreements", index, "id"), f"agreement {agreement.id} is listed twice")
            )
        seen_ids.add(agreement.id)
        problems += [
            (("agreements", index, *where), message)
            for where, message in check_agreement(agreement)
        ]
    return problems


def check_agreement(agreement: AgreementIn) -> list[tuple[Path_, str]]:
    problems: list[tuple[Path_, str]] = []
    if agreement.sender == agreement.receiver:
        problems.append((("receiver",), "the receiver must differ from the sender"))
    problems += _check_history(agreement)
    for where, key in _source_refs(agreement):
        if key not in agreement.sources:
            problems.append(
                (where, f"source {key!r} is not defined under this agreement's sources:")
            )
    seen_rules: set[str] = set()
    for index, criterion in enumerate(agreement.criteria):
        if criterion.id in seen_rules:
            problems.append(
                (("criteria", index, "id"), f"criterion id {criterion.id} is used twice")
            )
        seen_rules.add(criterion.id)
        try:
            compile_rule(criterion.expr, criterion.id)
        except RuleError as exc:
            problems.append(
                (
                    ("criteria", index, "expr"),
                    f"{exc.line}:{exc.column} in the expression: {exc.message}",
                )
            )
    seen_caps: set[tuple[str, str | None]] = set()
    for index, cap in enumerate(agreement.caps):
        if (cap.kind, cap.period) in seen_caps:
            problems.append((("caps", index), f"a second {cap.kind} cap for period {cap.period}"))
        seen_caps.add((cap.kind, cap.period))
    return problems


def _check_history(agreement: AgreementIn) -> list[tuple[Path_, str]]:
    history = agreement.status_history
    if not history:
        return []
    problems: list[tuple[Path_, str]] = []
    for index in range(1, len(history)):
        before, after = history[index - 1], history[index]
        where: Path_ = ("status_history", index)
        if not is_reachable(before.status, after.status):
            problems.append(((*where, "status"), f"{after.status} cannot follow {before.status}"))
        if not not_before(after.date, after.precision, before.date, before.precision):
            problems.append(((*where, "date"), f"{after.date} is before the previous event"))
    if history[-1].status != agreement.status:
        problems.append(
            (("status",), f"is {agreement.status} but the history ends at {history[-1].status}")
        )
    return problems


def not_before(date: dt.date, precision: str, earlier: dt.date, earlier_precision: str) -> bool:
    """Whether `date` can be on or after `earlier`, compared at the coarser of the precisions.

    "2025" (year) is not before "May 2025" (month): at the year, they are the same.
    """
    coarse = max(precision, earlier_precision, key=PRECISION_ORDER.index)
    return _truncate(date, coarse) >= _truncate(earlier, coarse)


PRECISION_ORDER = ("day", "month", "year")


def _truncate(date: dt.date, precision: str) -> tuple[int, ...]:
    return {"day": (date.year, date.month, date.day), "month": (date.year, date.month)}.get(
        precision, (date.year,)
    )


def _source_refs(agreement: AgreementIn) -> list[tuple[Path_, str]]:
    refs: list[tuple[Path_, str | None]] = [
        (("status_history", i, "source"), e.source) for i, e in enumerate(agreement.status_history)
    ]
    refs += [(("caps", i, "source"), c.source) for i, c in enumerate(agreement.caps)]
    refs += [(("criteria", i, "source"), c.source) for i, c in enumerate(agreement.criteria)]
    refs += [(("assurances", i, "source"), a.source) for i, a in enumerate(agreement.assurances)]
    refs.append((("instrument", "source"), agreement.instrument.source))
    if agreement.term:
        refs.append((("term", "source"), agreement.term.source))
    if agreement.money_per_person:
        refs.append((("money_per_person", "source"), agreement.money_per_person.source))
    return [(where, key) for where, key in refs if key is not None]
