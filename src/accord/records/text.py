"""Text a person typed, as Accord accepts it: every free-text field of the API's bodies, the
exchange formats and the page forms is a `FreeText`.

A NUL or another control character, or a character that reorders what follows it (the bidi
overrides and isolates), is refused where it comes in, naming the field: stored, it would be
rendered to the next reader, where a right-to-left override makes a name or a reason read
other than it is written. Tab and newline are text, and so is a line break written CR LF (as a
browser sends a text area's), which is read as a newline.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

_REFUSED_RANGES = r"\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069"
"""C0 and C1 controls but tab and newline; the bidi embeddings, overrides and isolates."""
_REFUSED = re.compile(f"[{_REFUSED_RANGES}]")


def refused_character(text: str) -> str | None:
    """The first character `FreeText` refuses, described by code point and name; None if none."""
    found = _REFUSED.search(text)
    if found is None:
        return None
    char = found.group()
    name = unicodedata.name(char, "a control character")
    return f"U+{ord(char):04X} ({name}) at position {found.start() + 1}"


def _newlines(value: object) -> object:
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


def _plain(text: str) -> str:
    described = refused_character(text)
    if described is not None:
        raise PydanticCustomError(
            "control_character",
            "{character}: control and text-direction characters are not accepted",
            {"character": described},
        )
    return text


class _Documented:
    """Says in the JSON schema (and so in the OpenAPI document) which characters are refused."""

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema: dict[str, Any] = handler(core_schema)
        schema["pattern"] = f"^[^{_REFUSED_RANGES}]*$"
        return schema


FreeText = Annotated[str, BeforeValidator(_newlines), AfterValidator(_plain), _Documented()]
"""A string without control characters (tab and newline aside) or bidi overrides and isolates."""
