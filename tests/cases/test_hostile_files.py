"""Hostile people files (JSON Lines, CSV, Parquet): whatever the bytes, reading raises InvalidInput
naming the file and the place (never another exception), nothing is written, and a file of
garbage is refused without being read into memory."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from accord.cases.reader import MAX_LINE_BYTES, MAX_PROBLEMS, read_people
from accord.cases.service import import_people
from accord.cases.writer import flatten_for_csv
from accord.db import unit_of_work
from accord.errors import InvalidInput
from accord.models import AuditEvent, Family, Person
from accord.store import Store
from tests.support import Cli, person

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

HOSTILE_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.text(alphabet=st.sampled_from("\x00\x07\x1b\u202e\u2066\ufeff\ud7ff\U0010ffff"), max_size=8),
    st.just("x" * 300_000),
    st.just(json.loads("[" * 200 + "]" * 200)),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)
"""Values of the wrong type, too big, too deep, NaN, overflowing, with control and bidi text."""

FIELDS = [*sorted(person("A1")), "protection", "convictions", "assessments", "religion", ""]


def refused(path: Path) -> InvalidInput:
    """Reading `path` raises InvalidInput naming the file in its message and every problem."""
    with pytest.raises(InvalidInput) as caught:
        read_people(path)
    error = caught.value
    assert str(path) in error.detail and "nothing was written" in error.detail
    assert error.problems
    assert all(problem.place.startswith(str(path)) for problem in error.problems)
    assert len(error.detail) < 200_000  # a megabyte of garbage is not echoed back
    return error


def read_or_refuse(path: Path) -> InvalidInput | None:
    """Either the file is valid (rows) or refused with InvalidInput; nothing else may escape."""
    try:
        read_people(path)
    except InvalidInput:
        return refused(path)
    return None


def line(record: dict[str, object]) -> bytes:
    return json.dumps(record).encode() + b"\n"


# -- JSON Lines ---------------------------------------------------------------------------------


@FUZZ
@given(data=st.binary(max_size=3000), suffix=st.sampled_from([".jsonl", ".csv", ".parquet"]))
def test_random_bytes_are_refused_or_read_never_raised(
    tmp_path: Path, data: bytes, suffix: str
) -> None:
    path = tmp_path / f"junk{suffix}"
    path.write_bytes(data)
    read_or_refuse(path)


@FUZZ
@given(field=st.sampled_from(FIELDS), value=HOSTILE_VALUES)
def test_one_field_of_a_valid_record_mutated(tmp_path: Path, field: str, value: object) -> None:
    path = tmp_path / "people.jsonl"
    path.write_bytes(line(person("A0")) + line({**person("A1"), field: value}))
    error = read_or_refuse(path)
    if error is not None:
        assert all(p.place == f"{path}:2" for p in error.problems), error.detail


@FUZZ
@given(
    mutation=st.sampled_from(["truncate", "invalid-utf8", "duplicate", "unknown", "nul"]),
    cut=st.integers(min_value=1, max_value=200),
    field=st.sampled_from(sorted(person("A1"))),
)
def test_broken_lines_are_refused_at_their_line(
    tmp_path: Path, mutation: str, cut: int, field: str
) -> None:
    good = line(person("A0"))
    record = person("A1", protection=[])
    text = line(record)
    if mutation == "truncate":
        bad = text[: min(cut, len(text) - 2)]
    elif mutation == "invalid-utf8":
        position = min(cut, len(text) - 2)
        bad = text[:position] + b"\xc3\x28\xff" + text[position:]
    elif mutation == "duplicate":  # a second key would silently win over the first
        bad = text[:-2] + b", " + json.dumps({field: record[field]}).encode()[1:] + b"\n"
    elif mutation == "unknown":
        bad = line({**record, "ethnicity": "x"})
    else:
        bad = text.replace(b'"Ana"', b'"An\\u0000a"')
    path = tmp_path / "people.jsonl"
    path.write_bytes(good + bad + good.replace(b"A0", b"A2"))
    error = refused(path)
    assert {p.place for p in error.problems} == {f"{path}:2"}, error.detail


def test_duplicate_keys_name_the_key(tmp_path: Path) -> None:
    text = line(person("A1", protection=[]))
    path = tmp_path / "people.jsonl"
    path.write_bytes(text[:-2] + b', "protection": [{"type": "x"}]}\n')
    assert "protection: duplicate key" in refused(path).detail


def test_a_line_past_the_limit_stops_the_reading(tmp_path: Path) -> None:
    path = tmp_path / "people.jsonl"
    path.write_bytes(line(person("A1")) + b"[" * (MAX_LINE_BYTES + 10))
    error = refused(path)
    assert [p.place for p in error.problems] == [f"{path}:2"]
    assert "longer than" in error.detail


def test_a_file_past_the_size_limit_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACCORD_MAX_IMPORT_BYTES", "1000")
    path = tmp_path / "people.jsonl"
    path.write_bytes(line(person("A1")) * 10)
    assert "ACCORD_MAX_IMPORT_BYTES" in refused(path).detail


def test_endless_bad_lines_stop_after_the_most_problems(tmp_path: Path) -> None:
    path = tmp_path / "people.jsonl"
    path.write_bytes(b'{"case_id": "x"}\n' * 100_000)
    error = refused(path)
    assert MAX_PROBLEMS < len(error.problems) < MAX_PROBLEMS + 20  # the last row's, then
    assert "reading stopped" in error.problems[-1].message


# -- CSV ----------------------------------------------------------------------------------------


def csv_text(records: list[dict[str, object]], columns: list[str] | None = None) -> str:
    import csv
    import io

    rows = [flatten_for_csv(r) for r in records]
    columns = columns or sorted({c for row in rows for c in row})
    handle = io.StringIO(newline="")
    writer = csv.writer(handle)
    writer.writerow(columns)
    writer.writerows([[row.get(c, "") for c in columns] for row in rows])
    return handle.getvalue()


@FUZZ
@given(
    change=st.sampled_from(["drop", "extra", "duplicate", "rename", "shift"]),
    column=st.integers(min_value=0, max_value=30),
    cell=st.text(alphabet=st.sampled_from('a,;"\n\r\x00\u202e[]{}.'), max_size=40),
)
def test_csv_with_wrong_missing_extra_columns_and_odd_cells(
    tmp_path: Path, change: str, column: int, cell: str
) -> None:
    records = [person("A1"), person("A2", convictions=[])]
    columns = sorted({c for r in records for c in flatten_for_csv(r)})
    target = columns[column % len(columns)]
    if change == "drop":
        columns.remove(target)
    elif change == "extra":
        columns.append(cell or "religion")
    elif change == "duplicate":
        columns.append(target)
    elif change == "rename":
        columns[columns.index(target)] = f"{target}.{cell}"
    text = csv_text(records, columns)
    if change == "shift":  # a cell with quotes, separators and line breaks in the wrong place
        text = text.replace("A2", "A2," + json.dumps(cell), 1)
    path = tmp_path / "people.csv"
    path.write_text(text, encoding="utf-8", newline="")
    error = read_or_refuse(path)
    if error is not None:
        assert all(p.place.startswith(f"{path}:") for p in error.problems), error.detail


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("case_id,case_id\nA,B\n", ":1: duplicate columns: case_id", id="duplicate"),
        pytest.param(
            "case_id,removal_order,removal_order.status\nA1,x,y\n",
            ":2: removal_order",
            id="object-and-dotted",
        ),
        pytest.param(
            "case_id,protection\nA1," + "[" * 100_000 + "\n",
            ":2: protection: nested too deeply",
            id="deep-json",
        ),
        pytest.param("case_id\n" + '"' + "x" * 200_000 + '"\n', "not valid CSV", id="huge-cell"),
        pytest.param("case_id\nA1\n\xff\n", ":3: not UTF-8", id="invalid-utf8"),
        pytest.param('case_id\n"A1\n', "not valid CSV", id="unclosed-quote"),
    ],
)
def test_csv_faults_are_named(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(text.encode("utf-8", "surrogateescape").replace(b"\xc3\xbf", b"\xff"))
    detail = refused(path).detail
    assert expected in detail or f"{path}{expected}" in detail, detail


# -- Parquet ------------------------------------------------------------------------------------

WRONG_COLUMNS = st.sampled_from(
    [
        pl.Series([1], dtype=pl.Int64),
        pl.Series([-(2**63)], dtype=pl.Int64),
        pl.Series([2**64 - 1], dtype=pl.UInt64),
        pl.Series([float("nan")]),
        pl.Series([True]),
        pl.Series([b"\xff\xfe"]),
        pl.Series([[1, 2]]),
        pl.Series([[None]], dtype=pl.List(pl.Null)),
        pl.Series([{"a": 1, "b": "x"}]),
        pl.Series([[{"type": 3}]]),
        pl.Series([dt.date(1, 1, 1)]),
        pl.Series([dt.datetime(9999, 12, 31)]),
        pl.Series([dt.timedelta(days=1)]),
        pl.Series(["x" * 100_000]),
        pl.Series(["\x00\u202e"]),
    ]
)


@FUZZ
@given(field=st.sampled_from(FIELDS[:-1]), column=WRONG_COLUMNS)
def test_parquet_with_a_column_of_the_wrong_type(
    tmp_path: Path, field: str, column: pl.Series
) -> None:
    frame = pl.DataFrame([{**person("A1"), "removal_order": None}]).drop("removal_order")
    frame = frame.drop(field, strict=False).with_columns(column.alias(field))
    path = tmp_path / "people.parquet"
    frame.write_parquet(path)
    error = read_or_refuse(path)
    if error is not None:
        assert all(p.place == f"{path} row 1" for p in error.problems), error.detail


@FUZZ
@given(cut=st.integers(min_value=0, max_value=10_000))
def test_truncated_parquet_is_refused(tmp_path: Path, cut: int) -> None:
    whole = tmp_path / "whole.parquet"
    pl.DataFrame([person(f"A{n}") for n in range(50)]).drop("removal_order").write_parquet(whole)
    data = whole.read_bytes()
    path = tmp_path / "people.parquet"
    path.write_bytes(data[: cut % len(data)])
    refused(path)


# -- nothing is written -------------------------------------------------------------------------


def counts(store: Store) -> tuple[int, ...]:
    with unit_of_work(store.sessions) as session:
        return tuple(
            session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Person, Family, AuditEvent)
        )


HOSTILE_FILES = {
    "people.jsonl": line(person("A1")) + line(person("A2"))[:-20] + b"\n",
    "people.csv": csv_text([person("A1")]).encode() + b'A9,"unclosed\n',
    "people.parquet": b"PAR1" + b"\x00" * 100 + b"PAR1",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_FILES))
def test_the_command_refuses_a_hostile_file_and_writes_nothing(
    database_url: str, store: Store, tmp_path: Path, name: str
) -> None:
    cli = Cli(database_url).signed_up()
    path = tmp_path / name
    path.write_bytes(HOSTILE_FILES[name])
    before = counts(store)
    result = cli("people", "import", str(path), user="olga")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert str(path) in result.output and "nothing was written" in result.output
    assert counts(store) == before


def test_a_file_refused_by_the_family_checks_writes_nothing(store: Store, tmp_path: Path) -> None:
    """The rows read, but the import refuses them (two heads in a family): the transaction the
    import ran in leaves the store as it was, audit log included."""
    path = tmp_path / "people.jsonl"
    path.write_bytes(line(person("A1")) + line(person("A2", "F-A1")) + line(person("B1")))
    rows = read_people(path)
    before = counts(store)
    with pytest.raises(InvalidInput), unit_of_work(store.sessions) as session:
        import_people(
            session,
            rows,
            source=str(path),
            actor="olga",
            role="officer",
            at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        )
    assert counts(store) == before


# -- bounded memory -----------------------------------------------------------------------------

PEAK = textwrap.dedent(
    """
    import resource, sys
    from pathlib import Path
    from accord.cases.reader import read_people
    from accord.errors import InvalidInput
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        read_people(Path(sys.argv[1]))
    except InvalidInput as exc:
        print(len(exc.problems), file=sys.stderr)
    else:
        raise SystemExit("read a file of garbage")
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print((after - before) // 1024)
    """
)


@pytest.mark.parametrize(
    ("name", "chunk"),
    [
        ("no-newline.jsonl", b"\xe2\x82\xac" * 1024),  # valid UTF-8, 1 char per 3 bytes
        ("lines.jsonl", b'{"case_id": "x", "given_name": "' + b"y" * 900 + b'"}\n'),
        ("no-newline.csv", b'case_id,"' + b"x" * 4096),
        ("garbage.parquet", b"PAR1" + b"\x01" * 4092),
    ],
)
def test_a_large_file_of_garbage_is_refused_in_bounded_memory(
    tmp_path: Path, name: str, chunk: bytes
) -> None:
    """80 MB of garbage: refused with a clear error, and the reading costs (peak RSS) less than
    64 MB above what the process held before. bench/hostile_import.py does the same at 1 GB."""
    path = tmp_path / name
    with path.open("wb") as handle:
        for _ in range(80 * 1024 * 1024 // len(chunk)):
            handle.write(chunk)
    done = subprocess.run(
        [sys.executable, "-c", PEAK, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert int(done.stdout) < 64, f"{name}: {done.stdout.strip()} MB above the baseline"
