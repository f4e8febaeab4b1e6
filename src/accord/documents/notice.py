"""A notice's content: the facts of one service, written in the template's language.

Pure: a template and the facts in, the document's inputs out (plain JSON data the typesetter
shows as text). The inputs are stored with the notice, so the same document can be typeset
again years later and its hash compared.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from accord.documents.templates import LABELS, NoticeTemplate, fill
from accord.documents.typeset import is_right_to_left
from accord.errors import Conflict


@dataclass(frozen=True)
class NoticeFacts:
    """What one notice states, as recorded on the day of service."""

    name: str
    case_id: str
    receiver: str
    """ISO 3166 code of the receiving country."""
    agreement: str
    served_on: dt.date
    last_day: dt.date
    notice_days: int
    officer: str
    counsel: tuple[str, str | None] | None = None
    """Counsel's name and contact, when the person has counsel on record."""
    interpreter: str | None = None
    read_in: str | None = None
    """The language an interpreter read the notice in, when it was read."""
    for_counsel: bool = False


def _locale(language: str) -> Any:
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        return None


def country_name(template: NoticeTemplate, code: str) -> str:
    """The country's name in the template's language: the template's own word first, then the
    language's locale data; a template that has neither cannot name it, and is refused."""
    spec = template.spec
    if code in spec.country_names:
        return spec.country_names[code]
    locale = _locale(spec.language)
    name = locale.territories.get(code) if locale is not None else None
    if not name:
        raise Conflict(
            f"template {template.key} cannot name {code} in its language: add it to the"
            " template's country_names"
        )
    return str(name)


def language_name(template: NoticeTemplate, code: str) -> str:
    spec = template.spec
    if code in spec.language_names:
        return spec.language_names[code]
    locale = _locale(spec.language)
    name = locale.languages.get(code) if locale is not None else None
    return str(name) if name else code


def written_day(template: NoticeTemplate, day: dt.date) -> str:
    """The day in the template's language, with the ISO date beside it (never ambiguous)."""
    spec = template.spec
    if spec.dates is not None:
        words = spec.dates.pattern.format(
            day=day.day, month=spec.dates.months[day.month - 1], year=day.year
        )
    else:
        from babel.dates import format_date

        words = format_date(day, format="long", locale=_locale(spec.language) or "en")
    iso = f"({day.isoformat()})"
    if is_right_to_left(spec.language):
        iso = f"\u2066{iso}\u2069"  # isolated left to right: shown as (2026-12-15), not reordered
    return f"{words} {iso}"


def notice_inputs(template: NoticeTemplate, facts: NoticeFacts) -> dict[str, Any]:
    """The document's inputs: title, the table of facts, the paragraphs, in the template's
    language; the counsel paragraph when there is counsel, the interpreter's when it was read."""
    spec = template.spec
    text = spec.text
    values = {
        "name": facts.name,
        "case_id": facts.case_id,
        "receiver": country_name(template, facts.receiver),
        "agreement": facts.agreement,
        "served_on": written_day(template, facts.served_on),
        "last_day": written_day(template, facts.last_day),
        "notice_days": str(facts.notice_days),
        "officer": facts.officer,
    }
    paragraphs = [fill(p, values) for p in text.body]
    if facts.counsel is not None:
        counsel = {"counsel_name": facts.counsel[0], "counsel_contact": facts.counsel[1] or "—"}
        paragraphs += [fill(p, values | counsel) for p in text.counsel]
    if facts.interpreter is not None and facts.read_in is not None:
        read = {"interpreter": facts.interpreter, "read_in": language_name(template, facts.read_in)}
        paragraphs += [fill(p, values | read) for p in text.interpreter]
    return {
        "kind": "notice",
        "lang": spec.language,
        "rtl": is_right_to_left(spec.language),
        "title": fill(text.title, values),
        "copy": (
            f"{fill(text.counsel_copy, values)}: {facts.counsel[0]}"
            if facts.for_counsel and facts.counsel is not None
            else None
        ),
        "facts": [[fill(text.labels[key], values), values[key]] for key in LABELS],
        "paragraphs": paragraphs,
        "signature": fill(text.signature, values),
        "footer": f"{facts.case_id} · {spec.language} v{spec.version} · {template.sha256[:12]}",
    }
