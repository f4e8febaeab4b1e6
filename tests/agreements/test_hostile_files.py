"""Hostile agreements files: whatever the bytes, loading raises InvalidInput naming the file and
the line (never another exception, never a hang on an alias bomb), and nothing is written."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from accord.agreements.loader import MAX_REGISTRY_BYTES, load_registry_file
from accord.db import unit_of_work
from accord.errors import InvalidInput
from accord.models import Agreement, AuditEvent, Party
from accord.store import Store
from tests.agreements.test_loader import VALID
from tests.support import Cli

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def refused(path: Path) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        load_registry_file(path)
    error = caught.value
    assert str(path) in error.detail and "nothing was written" in error.detail
    assert all(problem.place.startswith(str(path)) for problem in error.problems)
    assert len(error.detail) < 200_000
    return error


def read_or_refuse(path: Path) -> InvalidInput | None:
    try:
        load_registry_file(path)
    except InvalidInput:
        return refused(path)
    return None


@FUZZ
@given(data=st.binary(max_size=3000))
def test_random_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "a.yaml"
    path.write_bytes(data)
    read_or_refuse(path)


@FUZZ
@given(
    data=st.text(alphabet=st.sampled_from("ab:-[]{}&*!?|>'\"# \n\t,.%@`\x00\u202e"), max_size=300)
)
def test_random_yaml_punctuation(tmp_path: Path, data: str) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(data, encoding="utf-8")
    read_or_refuse(path)


VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.sampled_from(
        [".nan", "-.inf", "!!python/object:os.system {}", "!!binary aGk=", "*nowhere", "[" * 300]
    ),
)


@FUZZ
@given(
    key=st.sampled_from(
        ["sender", "receiver", "kind", "status", "caps", "notice_days", "sources", "id", "x"]
    ),
    value=VALUES,
    cut=st.integers(min_value=0, max_value=len(VALID)),
    truncate=st.booleans(),
)
def test_one_key_mutated_or_the_file_truncated(
    tmp_path: Path, key: str, value: object, cut: int, truncate: bool
) -> None:
    rendered = (
        value
        if isinstance(value, str) and value[:1] in "!.-*["
        else yaml.safe_dump(value, default_flow_style=True, width=10**9)
        .removesuffix("\n...\n")
        .strip()
    )
    text = VALID[:cut] if truncate else VALID + f"    {key}: {rendered}\n"
    path = tmp_path / "a.yaml"
    path.write_text(text, encoding="utf-8")
    error = read_or_refuse(path)
    if not truncate and key in {"sender", "receiver", "kind", "status", "id", "x"}:
        assert error is not None  # a duplicate or an unknown key at least
        assert any(p.place.startswith(f"{path}:") for p in error.problems), error.detail


def laughs(levels: int, mapping: bool) -> str:
    """A billion laughs: each level nine aliases of the one before (9**levels leaves)."""
    if mapping:
        lines = ["l0: &l0 {k: lol}"] + [
            f"l{n}: &l{n} {{{', '.join(f'k{i}: *l{n - 1}' for i in range(9))}}}"
            for n in range(1, levels + 1)
        ]
    else:
        lines = ["l0: &l0 [lol]"] + [
            f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]" for n in range(1, levels + 1)
        ]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("mapping", [True, False], ids=["mappings", "sequences"])
@pytest.mark.parametrize(
    "use",
    [
        "parties: *l12\n",
        "parties: [{code: US, name: *l12}]\n",
        "agreements: [{id: us-xk, sender: US, receiver: XK, kind: custody, status: in_force,"
        " sources: *l12, caps: *l12, criteria: [*l12]}]\n",
    ],
    ids=["as-parties", "as-a-name", "in-an-agreement"],
)
def test_billion_laughs_are_refused_quickly(tmp_path: Path, mapping: bool, use: str) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(laughs(12, mapping) + use, encoding="utf-8")
    started = time.monotonic()
    refused(path)
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(b"parties: !!python/object/apply:os.system [id]\n", ":1:", id="python-tag"),
        pytest.param(b"parties: !!python/name:os.system\n", ":1:", id="python-name"),
        pytest.param(b"parties: " + b"[" * 50_000 + b"]" * 50_000 + b"\n", "nested", id="deep"),
        pytest.param(b"parties: []\nagreements: [\xff]\n", ":2: not UTF-8", id="invalid-utf8"),
        pytest.param(b"parties: []\n\x00\n", ":2: not valid YAML", id="nul"),
        pytest.param(b"- parties\n- agreements\n", "expected a mapping", id="a-list"),
        pytest.param(b"parties: []\n---\nparties: []\n", "another document", id="two-documents"),
        pytest.param(
            b"parties: [{name: US, code: " + b"x" * 5_000_000 + b"}]\n", "characters)", id="long"
        ),
    ],
)
def test_named_faults(tmp_path: Path, data: bytes, expected: str) -> None:
    path = tmp_path / "a.yaml"
    path.write_bytes(data)
    assert expected in refused(path).detail


def test_a_file_past_the_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    with path.open("wb") as handle:
        handle.truncate(MAX_REGISTRY_BYTES + 1)  # sparse: no disk spent
    assert "larger than" in refused(path).detail


def counts(store: Store) -> tuple[int, ...]:
    with unit_of_work(store.sessions) as session:
        return tuple(
            session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Party, Agreement, AuditEvent)
        )


def test_the_command_refuses_a_bomb_and_writes_nothing(
    database_url: str, store: Store, tmp_path: Path
) -> None:
    cli = Cli(database_url).signed_up()
    path = tmp_path / "a.yaml"
    path.write_text(VALID + laughs(12, True) + "x: *l12\n", encoding="utf-8")
    before = counts(store)
    result = cli("agreements", "load", str(path), user="sam")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and f"{path}:" in result.output
    assert counts(store) == before
