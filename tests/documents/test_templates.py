"""Notice templates as data: every shipped template is checked, and a faulty one is refused
with its file, line and column (nothing stored)."""

from __future__ import annotations

from importlib.resources import files

import pytest

from accord.documents.service import shipped_templates
from accord.documents.templates import PLACEHOLDERS, REQUIRED, fill, parse, placeholders_in
from accord.errors import InvalidInput

ENGLISH = files("accord.documents").joinpath("shipped", "notice-en-1.yaml").read_text("utf-8")


def fault(source: str) -> str:
    with pytest.raises(InvalidInput) as info:
        parse(source, name="bad.yaml")
    assert info.value.source == "bad.yaml"
    [problem] = info.value.problems
    return str(problem)


def test_the_shipped_templates_cover_every_language_of_the_population_and_arabic_and_russian() -> (
    None
):
    from accord.scenarios.people_mix import ORIGINS, SECOND_NATIONALITIES

    spoken = {lang for o in ORIGINS for lang in o.languages} | {s[2] for s in SECOND_NATIONALITIES}
    shipped = {t.spec.language: t for t in shipped_templates()}
    assert spoken | {"ar", "ru"} <= set(shipped)
    assert shipped["en"].spec.status == "approved" and shipped["en"].spec.approval is not None
    drafts = [t for lang, t in shipped.items() if lang != "en"]
    assert drafts and all(t.spec.status == "draft" and t.spec.approval is None for t in drafts)
    assert all("certified" in (t.spec.review_note or "") for t in drafts)


def test_an_unknown_placeholder_is_refused_at_its_line_and_column() -> None:
    source = ENGLISH.replace("serious harm in {receiver}", "serious harm in {reciever}", 1)
    line_no = next(i for i, line in enumerate(source.splitlines(), 1) if "{reciever}" in line)
    column = source.splitlines()[line_no - 1].index("{reciever}") + 1
    assert fault(source) == (
        f"line {line_no}, column {column} (text.body.1): unknown placeholder {{reciever}}"
    )


def test_a_placeholder_the_text_needs_but_lacks_is_refused_naming_the_section() -> None:
    source = ENGLISH.replace("until the end of {last_day}", "until the end of the period")
    source = source.replace("receiver, last_day,", "receiver,")
    message = fault(source)
    assert "(text.body): missing placeholder {last_day}" in message
    assert "the last day to raise a fear of harm" in message


def test_a_declared_placeholder_never_used_is_refused_at_its_declaration() -> None:
    source = ENGLISH.replace("[name, receiver,", "[name, case_id, receiver,")
    assert "placeholder {case_id} is declared but the text never uses it" in fault(source)
    assert fault(source).startswith("line 13, column")


def test_a_placeholder_used_but_not_declared_or_out_of_its_section_is_refused() -> None:
    undeclared = ENGLISH.replace("Case number", "Case number {agreement}")
    assert "{agreement} is used but not declared" in fault(undeclared)
    outside = ENGLISH.replace("Served on", "Served on, with {counsel_name}")
    assert "{counsel_name} has a value only in the counsel section" in fault(outside)


def test_a_lone_brace_and_bad_fields_are_refused_with_their_place() -> None:
    assert "a lone brace" in fault(ENGLISH.replace("Agreement\n", "Agreement {\n", 1))
    assert "field version" in fault(ENGLISH.replace("version: 1", "version: one"))
    assert "line 8, column 3, field approved: Extra inputs" in fault(
        ENGLISH.replace("approval:", "approved:", 1)
    )
    assert "not readable YAML" in fault("kind: [notice")


def test_a_loaded_template_claiming_approval_without_an_approval_is_refused() -> None:
    start = ENGLISH.index("approval:")
    end = ENGLISH.index("placeholders:")
    assert "names who approved it" in fault(ENGLISH[:start] + ENGLISH[end:])


def test_every_required_placeholder_is_one_accord_fills() -> None:
    assert set().union(*REQUIRED.values()) <= set(PLACEHOLDERS)


def test_literal_braces_survive_filling() -> None:
    assert placeholders_in("a {{b}} {c}") == [(8, "c")]
    assert fill("{{x}} {name}", {"name": "Ana"}) == "{x} Ana"
