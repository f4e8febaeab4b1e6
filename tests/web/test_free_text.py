"""Free text is refused at input when it carries a NUL or another control character, or a
character that reorders the text after it (bidi overrides and isolates): a 422 naming the
field, on the API and on the pages alike, and nothing is stored (`accord.records.text.FreeText`)."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from accord.records.text import FreeText
from tests.support import person
from tests.web.pages_support import signed_in
from tests.web.support import World

REFUSED = ["\x00", "\u202e", "\u202a", "\u2066", "\u2069", "\x1b", "\x7f", "\x85", "\r"]
TAKEN = ["tab\there", "two\nlines", "CR LF\r\nline", "Ünïcødé ٣ 名前", "שלום (Hebrew)"]


@pytest.mark.parametrize("char", REFUSED)
def test_a_control_or_direction_character_is_refused_naming_it(char: str) -> None:
    with pytest.raises(ValidationError) as refused:
        TypeAdapter(FreeText).validate_python(f"Ann{char}Lee")
    [error] = refused.value.errors()
    assert error["type"] == "control_character"
    assert f"U+{ord(char):04X}" in error["msg"] and "at position 4" in error["msg"]


@pytest.mark.parametrize("text", TAKEN)
def test_tabs_newlines_and_any_script_are_text(text: str) -> None:
    assert TypeAdapter(FreeText).validate_python(text) == text.replace("\r\n", "\n")


def test_the_api_refuses_it_in_a_body_naming_the_field(world: World) -> None:
    item = world.items["F-A3"]
    for char in ("\x00", "\u202e"):
        answer = world.post(
            f"/items/{item}/reject", "rita", {"reason_code": "other", "reason_text": f"x{char}y"}
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["title"] == "Malformed request"
        [problem] = answer.json()["problems"]
        assert problem["place"] == "body.reason_text"
        assert "control and text-direction characters are not accepted" in problem["message"]
    assert world.get(f"/items/{item}", "rita").json()["state"] == "proposed"
    incident = world.post(
        "/agreements/demo-xk-year/incidents",
        "mona",
        {"kind": "other", "text": "seen \u2066x", "audience": "shared"},
    )
    assert incident.status_code == 422
    assert incident.json()["problems"][0]["place"] == "body.text"


def test_the_api_refuses_it_in_an_imported_name(world: World) -> None:
    record = person("N1", "F-N1", given_name="Ann\u202eeL")
    answer = world.post("/people", "olga", {"source": "test", "records": [record]})
    assert answer.status_code == 422
    assert answer.json()["problems"][0]["place"] == "body.records.0.given_name"
    assert world.get("/people/N1", "olga").status_code == 404


def test_the_api_refuses_it_in_a_query(world: World) -> None:
    answer = world.get("/audit", "sam", params={"actor": "a\x00b"})
    assert answer.status_code == 422
    assert answer.json()["problems"][0]["place"] == "query.actor"


def test_a_page_form_refuses_it_naming_the_field(world: World) -> None:
    rita, item = signed_in(world, "rita"), world.items["F-A1"]
    answer = rita.post(
        f"/items/{item}/revoke", {"reason_code": "other", "reason_text": "ok\u202eko"}
    )
    assert answer.status_code == 422
    assert "reason_text" in answer.text and "U+202E" in answer.text
    assert world.get(f"/items/{item}", "rita").json()["state"] == "accepted"
    mona = signed_in(world, "mona")
    report = mona.post(
        "/monitoring/incidents",
        {"agreement_id": "demo-xk-year", "kind": "other", "text": "a\x00b", "audience": "shared"},
    )
    assert report.status_code == 422 and "text" in report.text
    sam = signed_in(world, "sam")
    pinned = sam.post(
        "/pools/new/send",
        {
            "agreement_id": "demo-xk-year",
            "leave_out": "F-A3",
            "reason_F-A3": "left \u2067out",
        },
    )
    assert pinned.status_code == 422 and "reason_F-A3" in pinned.text


def test_a_line_break_from_a_text_area_is_a_newline(world: World) -> None:
    mona = signed_in(world, "mona")
    report = mona.post(
        "/monitoring/incidents",
        {
            "agreement_id": "demo-xk-year",
            "kind": "other",
            "text": "first line\r\nsecond line",
            "audience": "shared",
        },
    )
    assert report.status_code == 303, report.text
    incidents = world.get("/agreements/demo-xk-year/incidents", "mona").json()["items"]
    assert incidents[-1]["text"] == "first line\nsecond line"


def test_the_document_says_which_characters_free_text_refuses(world: World) -> None:
    document = world.client.get("/api/v1/openapi.json").json()
    text = document["components"]["schemas"]["IncidentIn"]["properties"]["text"]
    assert text["pattern"].startswith("^[^\\u0000-\\u0008")
