"""A page form read as the body the API would take: the same model, the same refusals.

`body_of` checks a form's fields with a body model (422 naming each field that does not parse,
as the API refuses the same body); `move_body` first reads a move's form as its declaration says
(`accord.workflow.moves.FormField`)."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from accord.errors import MalformedInput, Problem
from accord.web.pages import form_text
from accord.workflow.moves import FormField, Move

M = TypeVar("M", bound=BaseModel)


def body_of(model: type[M], form: FormData, fields: dict[str, Any]) -> M:
    """A form's fields as the API's body model; a field that does not parse is named, and the
    form is refused as the API refuses the same body (422)."""
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        problems = [
            Problem(".".join(str(p) for p in e["loc"]) or "form", e["msg"]) for e in exc.errors()
        ]
        raise MalformedInput("the form", problems) from None


def whole_number(form: FormData, name: str) -> int | str | None:
    """A number typed in a form: an int when it is written in ASCII digits, else the text as it
    came, for the body model to refuse by name (`int()` would read '²' and fail, or '٣')."""
    text = form_text(form, name)
    return int(text) if text is not None and text.isascii() and text.isdigit() else text


def _value(form: FormData, field: FormField) -> object:
    if field.kind == "checked":
        return form.get(field.name) == "on"
    if field.kind == "unchecked":
        return form.get(field.name) != "on"
    if field.kind == "number":
        return whole_number(form, field.name)
    text = form_text(form, field.name)
    return field.default if text is None and field.default is not None else text


def move_body(move: Move, form: FormData) -> BaseModel | None:
    """The move's body from its page form, or None for a move that takes none."""
    if move.body is None:
        return None
    return body_of(move.body, form, {f.field: _value(form, f) for f in move.form})
