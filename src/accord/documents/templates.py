"""Notice templates as data: one file per language and version, its text with named
placeholders, and its status (a draft, or approved by a named person with a note).

A template is checked whole when it is read: every placeholder it uses must be one Accord
fills and one the template declares, every placeholder it declares must be used, and each
section must use the ones it exists for. A fault names its place (file, line, column), so the
translator can find it; nothing half-checked is ever stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from accord.errors import InvalidInput, Problem

TemplateStatus = Literal["draft", "approved"]

PLACEHOLDERS: dict[str, str] = {
    "name": "the person's full name",
    "case_id": "the person's case id",
    "receiver": "the receiving country, named in the template's language",
    "agreement": "the agreement's title",
    "served_on": "the day of service, written in the template's language",
    "last_day": "the last day to raise a fear of harm, in the template's language",
    "notice_days": "how many days the person has to raise it (never fewer than 10)",
    "officer": "the officer who serves the notice",
    "counsel_name": "counsel's name (the counsel section only)",
    "counsel_contact": "counsel's contact (the counsel section only)",
    "interpreter": "the interpreter who read the notice (the interpreter section only)",
    "read_in": "the language it was read in, named in the template's language",
}
"""Every placeholder Accord fills, with what it is filled with."""

REQUIRED: dict[str, frozenset[str]] = {
    "body": frozenset({"receiver", "last_day", "notice_days", "officer"}),
    "counsel": frozenset({"counsel_name", "counsel_contact"}),
    "interpreter": frozenset({"interpreter", "read_in"}),
}
"""What each section must say: the body names the receiver, the last day, the period and who
to tell; the counsel section names counsel; the interpreter section names who read it, in
which language."""

SECTION_ONLY: dict[str, str] = {
    "counsel_name": "counsel",
    "counsel_contact": "counsel",
    "interpreter": "interpreter",
    "read_in": "interpreter",
}
"""Placeholders that only have a value in their own section."""

Label = Literal["name", "case_id", "receiver", "agreement", "served_on", "last_day"]
LABELS: tuple[Label, ...] = get_args(Label)
"""The facts printed as a table at the top of every notice, each with its translated label."""

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where PyYAML was built with it: the same documents, much faster."""

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


class Approval(BaseModel):
    model_config = ConfigDict(extra="forbid")

    by: str = Field(min_length=1, max_length=128)
    date: dt.date
    note: str = Field(min_length=1, max_length=2000)


class DateWords(BaseModel):
    """How to write a day where the language's calendar data is not available."""

    model_config = ConfigDict(extra="forbid")

    months: list[str] = Field(min_length=12, max_length=12)
    pattern: str = Field(description="With {day}, {month} and {year}.")


class NoticeText(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1)
    labels: dict[Label, str]
    body: list[str] = Field(min_length=1)
    counsel: list[str] = Field(min_length=1)
    interpreter: list[str] = Field(min_length=1)
    counsel_copy: str = Field(min_length=1, description="The heading of counsel's copy.")
    signature: str = Field(min_length=1, description="The line the person signs on.")


class TemplateFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["notice"]
    language: str = Field(min_length=2, max_length=8, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]+)?$")
    version: int = Field(ge=1)
    status: TemplateStatus
    approval: Approval | None = None
    review_note: str | None = None
    placeholders: list[str]
    country_names: dict[str, str] = Field(default_factory=dict)
    """Country names by ISO code, where the language's data has none (or a better one)."""
    language_names: dict[str, str] = Field(default_factory=dict)
    """Language names by code, for `read_in`, where the language's data has none."""
    dates: DateWords | None = None
    text: NoticeText


@dataclass(frozen=True)
class NoticeTemplate:
    """A checked template: its parsed file and the exact text it came from."""

    spec: TemplateFile
    source: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.source.encode()).hexdigest()

    @property
    def key(self) -> str:
        return f"{self.spec.language} v{self.spec.version}"


def placeholders_in(text: str) -> list[tuple[int, str | None]]:
    """(offset, name) of every placeholder in `text`; name None for a lone brace."""
    found: list[tuple[int, str | None]] = []
    for match in _PLACEHOLDER.finditer(text):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        found.append(
            (match.start(), match.group(1) if token.startswith("{") and len(token) > 1 else None)
        )
    return found


def fill(text: str, values: dict[str, str]) -> str:
    """The text with its placeholders replaced (`{{` and `}}` are literal braces)."""

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        return values[match.group(1)]

    return _PLACEHOLDER.sub(replace, text)


def _fault(name: str, where: str, message: str) -> InvalidInput:
    return InvalidInput(name, [Problem(where, message)])


def _scalar_marks(source: str) -> dict[tuple[str | int, ...], yaml.Mark]:
    """Where each scalar of the file starts, by its path (for error positions)."""
    marks: dict[tuple[str | int, ...], yaml.Mark] = {}

    def walk(node: yaml.Node, path: tuple[str | int, ...]) -> None:
        marks[path] = node.start_mark
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                walk(value, (*path, str(key.value)))
        elif isinstance(node, yaml.SequenceNode):
            for index, value in enumerate(node.value):
                walk(value, (*path, index))

    root = yaml.compose(source, Loader=_LOADER)
    if root is not None:
        walk(root, ())
    return marks


def _position(source: str, mark: yaml.Mark | None, offset: int = 0) -> str:
    """`line L, column C` of the character `offset` into the scalar starting at `mark`: exact
    for one-line scalars and for block scalars (`|`, `>`), whose lines are walked."""
    if mark is None:
        return "line 1, column 1"
    lines = source.splitlines()
    raw = lines[mark.line] if mark.line < len(lines) else ""
    rest = raw[mark.column :]
    if rest[:1] in ("|", ">"):
        remaining = offset
        for number in range(mark.line + 1, len(lines)):
            content = lines[number].lstrip(" ")
            indent = len(lines[number]) - len(content)
            if remaining <= len(content):
                return f"line {number + 1}, column {indent + remaining + 1}"
            remaining -= len(content) + 1  # the line break, folded into a space or kept
        return f"line {mark.line + 1}, column {mark.column + 1}"
    quoted = 1 if rest[:1] in ('"', "'") else 0
    return f"line {mark.line + 1}, column {mark.column + 1 + quoted + offset}"


def parse(source: str, *, name: str = "template") -> NoticeTemplate:
    """Read and check a template file; InvalidInput names the place of the first fault."""
    try:
        marks = _scalar_marks(source)
        data = yaml.load(source, Loader=_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = _position(source, mark) if mark is not None else "its start"
        raise _fault(name, where, f"not readable YAML ({error})") from None
    if not isinstance(data, dict):
        raise _fault(name, "line 1, column 1", "a template is a mapping of fields")
    try:
        spec = TemplateFile.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        path = tuple(str(p) if isinstance(p, str) else p for p in first["loc"])
        where = _position(source, marks.get(path) or marks.get(path[:-1]))
        field = ".".join(str(p) for p in first["loc"])
        raise _fault(name, f"{where}, field {field}", str(first["msg"])) from None
    if spec.status == "approved" and spec.approval is None:
        raise _fault(
            name,
            _position(source, marks.get(("status",))),
            "an approved template names who approved it, when and why (approval)",
        )
    _check_placeholders(spec, source, marks, name)
    return NoticeTemplate(spec, source)


def _texts(spec: TemplateFile) -> list[tuple[str, tuple[str | int, ...], str]]:
    """(section, path in the file, text) of every text that may hold placeholders."""
    text = spec.text
    out: list[tuple[str, tuple[str | int, ...], str]] = [
        ("body", ("text", "title"), text.title),
        ("body", ("text", "counsel_copy"), text.counsel_copy),
        ("body", ("text", "signature"), text.signature),
    ]
    out += [("body", ("text", "labels", key), value) for key, value in text.labels.items()]
    for section in ("body", "counsel", "interpreter"):
        out += [
            (section, ("text", section, i), paragraph)
            for i, paragraph in enumerate(getattr(text, section))
        ]
    return out


def _check_placeholders(
    spec: TemplateFile, source: str, marks: dict[tuple[str | int, ...], yaml.Mark], name: str
) -> None:
    declared = set(spec.placeholders)
    for index, placeholder in enumerate(spec.placeholders):
        if placeholder not in PLACEHOLDERS:
            where = _position(source, marks.get(("placeholders", index)))
            raise _fault(
                name,
                where,
                f"unknown placeholder {{{placeholder}}} declared; Accord fills"
                f" {', '.join('{' + p + '}' for p in PLACEHOLDERS)}",
            )
    used: dict[str, set[str]] = {section: set() for section in REQUIRED}
    for section, path, text in _texts(spec):
        for offset, found in placeholders_in(text):
            place = f"{_position(source, marks.get(path), offset)} ({'.'.join(map(str, path))})"
            if found is None:
                raise _fault(
                    name,
                    place,
                    "a lone brace; write {{ or }} for a brace, {name} for a placeholder",
                )
            placeholder = found
            if placeholder not in PLACEHOLDERS:
                raise _fault(name, place, f"unknown placeholder {{{placeholder}}}")
            if placeholder not in declared:
                raise _fault(name, place, f"placeholder {{{placeholder}}} is used but not declared")
            own = SECTION_ONLY.get(placeholder)
            if own is not None and own != section:
                raise _fault(
                    name, place, f"{{{placeholder}}} has a value only in the {own} section"
                )
            used[section].add(placeholder)
    everywhere = set().union(*used.values())
    for index, placeholder in enumerate(spec.placeholders):
        if placeholder not in everywhere:
            where = _position(source, marks.get(("placeholders", index)))
            raise _fault(
                name, where, f"placeholder {{{placeholder}}} is declared but the text never uses it"
            )
    for section, required in REQUIRED.items():
        missing = sorted(required - used[section])
        if missing:
            where = f"{_position(source, marks.get(('text', section)))} (text.{section})"
            raise _fault(
                name,
                where,
                "missing placeholder"
                f" {', '.join('{' + p + '}' for p in missing)}: the {section} must state"
                f" {'; '.join(PLACEHOLDERS[p] for p in missing)}",
            )
