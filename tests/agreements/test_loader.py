"""The agreements loader: every malformed file names the file, line, path and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.agreements.loader import load_registry_file, parse_registry
from accord.errors import InvalidInput
from accord.scenarios import arrangements_path

VALID = """\
parties:
  - {code: US, name: United States}
  - {code: XK, name: Kosovo}
agreements:
  - id: us-xk
    sender: US
    receiver: XK
    kind: third_country_transfer
    status: in_force
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        parse_registry(text, "a.yaml")
    assert "nothing was written" in caught.value.detail
    return [str(p) for p in caught.value.problems]


def test_minimal_file_gets_the_documented_defaults() -> None:
    registry = parse_registry(VALID, "a.yaml")
    agreement = registry.agreements[0]
    assert agreement.onward_return is False
    assert agreement.notice_days == 10
    assert agreement.selection.pool_factor == 1
    assert agreement.selection.reason_required is True
    assert agreement.instrument.no_onward_removal is False
    assert agreement.instrument.safety_assessment_date is None
    assert agreement.nationality_scope is None
    assert agreement.money_per_person is None
    assert agreement.caps == [] and agreement.criteria == [] and agreement.status_history == []


MALFORMED = [
    pytest.param(
        VALID + "    kind2: custody\n",
        ["a.yaml:10: agreements[0].kind2: unknown key"],
        id="unknown-key",
    ),
    pytest.param(
        VALID.replace("    kind: third_country_transfer\n", ""),
        ["a.yaml:5: agreements[0].kind: required, but missing"],
        id="missing-required",
    ),
    pytest.param(
        VALID.replace("third_country_transfer", "deportation"),
        ["a.yaml:8: agreements[0].kind: Input should be 'third_country_transfer'"],
        id="bad-kind",
    ),
    pytest.param(
        VALID + "    term: {start: 2025-13-01}\n",
        ["a.yaml:10: agreements[0].term.start: Input should be a valid date"],
        id="bad-date",
    ),
    pytest.param(
        VALID + "    status: signed\n",
        ["a.yaml:10: agreements[0].status: duplicate key"],
        id="duplicate-key",
    ),
    pytest.param(
        VALID.replace("receiver: XK", "receiver: RW"),
        ["a.yaml:7: agreements[0].receiver: unknown party 'RW'"],
        id="unknown-party",
    ),
    pytest.param(
        VALID.replace(
            "status: in_force",
            "status: in_force\n    status_history:\n"
            "      - {status: terminated, date: 2025-01-01}\n"
            "      - {status: in_force, date: 2025-02-01}",
        ),
        ["a.yaml:12: agreements[0].status_history[1].status: in_force cannot follow terminated"],
        id="illegal-history",
    ),
    pytest.param(
        VALID.replace(
            "status: in_force",
            "status: in_force\n    status_history:\n      - {status: signed, date: 2025-01-01}",
        ),
        ["a.yaml:9: agreements[0].status: is in_force but the history ends at signed"],
        id="status-disagrees-with-history",
    ),
    pytest.param(
        VALID
        + "    caps:\n      - {kind: persons_per_period, limit: 50, period: P1Y, source: reuters}\n",
        ["a.yaml:11: agreements[0].caps[0].source: source 'reuters' is not defined"],
        id="undefined-source",
    ),
    pytest.param(
        VALID + "    notice_days: 7\n",
        [
            "a.yaml:10: agreements[0].notice_days: Input should be greater than or equal to 10 (got 7)"
        ],
        id="notice-below-ten",
    ),
    pytest.param(
        VALID + "    caps:\n      - {kind: persons_per_period, limit: null, period: P1Y}\n",
        ["a.yaml:11: agreements[0].caps[0]: a cap with an unknown limit (null) needs a note"],
        id="unknown-cap-without-note",
    ),
    pytest.param(
        VALID + "    caps:\n      - {kind: persons_per_period, limit: fifty, period: P1Y}\n",
        ["a.yaml:11: agreements[0].caps[0].limit: Input should be a valid integer"],
        id="cap-not-a-number",
    ),
    pytest.param(
        VALID.replace("{code: XK, name: Kosovo}", "{code: XKX, name: Kosovo}"),
        ["a.yaml:3: parties[1]: a state's code is its ISO 3166-1 alpha-2 code, got 'XKX'"],
        id="state-code-not-iso",
    ),
    pytest.param(
        VALID + "    nationality_scope: {include: [VE], exclude: [CU]}\n",
        ["a.yaml:10: agreements[0].nationality_scope: give exactly one of include or exclude"],
        id="scope-both-ways",
    ),
    pytest.param(
        VALID.replace("receiver: XK", "receiver: US"),
        ["a.yaml:7: agreements[0].receiver: the receiver must differ from the sender"],
        id="receiver-is-sender",
    ),
    pytest.param(
        VALID + VALID.split("agreements:\n")[1],
        ["a.yaml:10: agreements[1].id: agreement us-xk is listed twice"],
        id="duplicate-agreement",
    ),
    pytest.param(
        VALID + "    criteria:\n      - {id: c1, text: Adults, expr: 'age >= \"x\"'}\n",
        [
            "a.yaml:11: agreements[0].criteria[0].expr: 1:8 in the expression: cannot compare int with string"
        ],
        id="criterion-type-error",
    ),
    pytest.param(
        VALID + "    criteria:\n      - {id: c1, text: No claims, expr: no protection}\n",
        [
            "a.yaml:11: agreements[0].criteria[0].expr: 1:4 in the expression:"
            " field 'protection' is not visible to the receiver"
        ],
        id="criterion-reads-protected-field",
    ),
    pytest.param(
        "agreements: [\n  {id: x\n",
        ["a.yaml:3:1: not valid YAML"],
        id="not-yaml",
    ),
    pytest.param(
        "- just\n- a list\n",
        ["a.yaml:1: expected a mapping with parties: and agreements:"],
        id="not-a-mapping",
    ),
]


@pytest.mark.parametrize(("text", "expected"), MALFORMED)
def test_malformed_registry_is_refused_with_the_place(text: str, expected: list[str]) -> None:
    problems = problems_of(text)
    for message in expected:
        assert any(p.startswith(message) for p in problems), (message, problems)


def test_every_problem_is_listed_not_just_the_first() -> None:
    text = (
        VALID.replace("third_country_transfer", "deportation")
        + "    notice_days: 3\n    extra: 1\n"
    )
    problems = problems_of(text)
    assert len(problems) == 3
    assert [p.split(": ")[1] for p in problems] == [
        "agreements[0].kind",
        "agreements[0].notice_days",
        "agreements[0].extra",
    ]


def test_a_party_already_in_the_registry_may_be_referenced(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text(VALID.replace("receiver: XK", "receiver: RW"))
    with pytest.raises(InvalidInput):
        load_registry_file(path)
    registry = load_registry_file(path, known_parties={"RW"})
    assert registry.agreements[0].receiver == "RW"


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read"):
        load_registry_file(tmp_path / "absent.yaml")


def test_reported_history_may_skip_unreported_stages() -> None:
    text = VALID.replace(
        "status: in_force",
        "status: in_force\n    status_history:\n"
        "      - {status: exploratory, date: 2025-05-01, precision: month}\n"
        "      - {status: in_force, date: 2025-01-01, precision: year}",
    )
    history = parse_registry(text, "a.yaml").agreements[0].status_history
    assert [e.status.value for e in history] == ["exploratory", "in_force"]


def test_a_month_date_must_be_written_as_the_first_day() -> None:
    text = VALID.replace(
        "status: in_force",
        "status: in_force\n    status_history:\n"
        "      - {status: in_force, date: 2025-05-17, precision: month}",
    )
    assert any("written as its first day" in p for p in problems_of(text))


def test_the_built_in_scenario_sources_every_reported_fact() -> None:
    registry = load_registry_file(arrangements_path())
    ids = {a.id for a in registry.agreements}
    assert {"us-xk-2025", "us-rw-2025", "us-uz-2025", "it-al-2023", "gb-rw-2023"} <= ids
    for agreement in registry.agreements:
        assert agreement.status_history, agreement.id
        facts = [*agreement.status_history, *agreement.caps, *agreement.criteria]
        for fact in facts:
            assert fact.source in agreement.sources, (agreement.id, fact)
        if agreement.money_per_person:
            assert agreement.money_per_person.source in agreement.sources
    kosovo = next(a for a in registry.agreements if a.id == "us-xk-2025")
    assert kosovo.caps[0].limit == 50 and kosovo.caps[0].period == "P1Y"
    assert kosovo.onward_return is True
    assert kosovo.status.value == "in_force"
    uzbekistan = next(a for a in registry.agreements if a.id == "us-uz-2025")
    assert uzbekistan.caps[0].lower_bound is True and uzbekistan.caps[0].limit == 100
