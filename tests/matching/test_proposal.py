"""Pool limits, proposals from screening, and `accord match` / `accord propose`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.cases.writer import write_people
from accord.errors import InvalidInput
from accord.matching.proposal import Balance, Used, eligible_families, pool_limit, propose
from accord.matching.transparent import TransparentScorer
from accord.records.agreement import AgreementIn, CapIn
from accord.records.person import PersonRecord
from accord.scenarios import arrangements_path
from accord.scenarios.people import generate_people
from accord.screening.batch import screen_population
from accord.screening.single import Screen
from tests.strategies import ON, agreements, families
from tests.support import Cli, person

DAY = "2026-01-15"


def agreement(**fields: Any) -> AgreementIn:
    base: dict[str, Any] = {
        "id": "us-xk",
        "sender": "US",
        "receiver": "XK",
        "kind": "third_country_transfer",
        "status": "in_force",
        "instrument": {"no_onward_removal": True},
        "caps": [{"kind": "persons_per_period", "limit": 50, "period": "P1Y"}],
        "selection": {"pool_factor": 1.5},
        "term": {"start": "2026-01-01"},
    }
    base.update(fields)
    return AgreementIn.model_validate(base)


ON_DAY = dt.date(2026, 3, 10)


def test_the_pool_limit_is_the_factor_times_what_is_left() -> None:
    assert pool_limit(agreement(), ON_DAY).persons == 75
    assert pool_limit(agreement(), ON_DAY, Used(persons=21)).persons == 43  # 1.5 × 29


def test_no_pool_when_the_cap_is_unknown_or_only_a_floor() -> None:
    unknown = agreement(caps=[{"kind": "persons_per_period", "limit": None, "note": "n/a"}])
    floor = agreement(caps=[{"kind": "persons_per_period", "limit": 100, "lower_bound": True}])
    none = agreement(caps=[])
    for case in (unknown, floor, none):
        limit = pool_limit(case, ON_DAY)
        assert limit.persons is None
        assert "no pool proposed" in limit.note


def test_pacing_counts_only_the_months_begun() -> None:
    paced = pool_limit(agreement(), ON_DAY, balance=Balance(pace_monthly=True))
    assert paced.persons == int(1.5 * (50 * 3 // 12))  # March: 3 of 12 months begun
    assert "paced: 3 of 12 months" in paced.note


def test_a_families_cap_limits_the_pool_the_same_way() -> None:
    capped = agreement(
        caps=[
            {"kind": "persons_per_period", "limit": 50, "period": "P1Y"},
            {"kind": "families_per_period", "limit": 10, "period": "P1Y"},
        ]
    )
    assert pool_limit(capped, ON_DAY, Used(families=4)).families == 9


def records(*dicts: dict[str, object]) -> list[PersonRecord]:
    return [PersonRecord.model_validate(d) for d in dicts]


def test_only_whole_eligible_families_are_proposed_and_pins_are_kept() -> None:
    people = records(
        person("a1", "FA"),
        person("a2", "FA", relationship="spouse"),
        person(
            "b1",
            "FB",
            fear_claims=[{"country": "XK", "asserted": "2026-01-02", "outcome": "pending"}],
        ),
        person("b2", "FB", relationship="spouse"),
        person("c1", "FC"),
        person("d1", "FD"),
    )
    terms = agreement(caps=[{"kind": "persons_per_period", "limit": 2}], selection={})
    results = screen_population(people, [Screen.of(terms)], ON_DAY)
    assert eligible_families(results) == {"us-xk": {"FA", "FC", "FD"}}
    proposal = propose(
        [terms], people, results, ON_DAY, TransparentScorer(), pinned_in=[("FC", "us-xk")]
    )
    (pool,) = proposal.pools
    assert pool.pool_limit == 2
    ids = {f.family_id for f in pool.families}
    assert "FC" in ids and "FB" not in ids
    assert sum(f.size for f in pool.families) <= 2
    pinned = next(f for f in pool.families if f.family_id == "FC")
    assert pinned.pinned and pinned.why.startswith("pinned in by a person")
    with pytest.raises(InvalidInput, match="pin FB:us-xk: not eligible"):
        propose([terms], people, results, ON_DAY, TransparentScorer(), pinned_in=[("FB", "us-xk")])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    families(),
    st.lists(agreements(), min_size=1, max_size=3, unique_by=lambda a: a.id),
    st.lists(st.integers(0, 8), min_size=3, max_size=3),
)
def test_no_proposal_holds_a_blocked_person_a_split_family_or_too_many_people(
    people: list[PersonRecord], drafted: list[AgreementIn], limits: list[int]
) -> None:
    terms = [
        a.model_copy(
            update={"caps": [CapIn(kind="persons_per_period", limit=limit)], "status": "in_force"}
        )
        for a, limit in zip(drafted, limits, strict=False)
    ]
    results = screen_population(people, [Screen.of(a) for a in terms], ON)
    proposal = propose(terms, people, results, ON, TransparentScorer())
    blocked = {(r.agreement_id, r.case_id) for r in results if not r.eligible}
    members: dict[str, list[str]] = {}
    for r in people:
        members.setdefault(r.family_id, []).append(r.case_id)
    seen: set[str] = set()
    assert [p.agreement_id for p in proposal.pools] == [a.id for a in terms]
    for pool in proposal.pools:
        assert sum(f.size for f in pool.families) <= pool.pool_limit
        for family in pool.families:
            assert family.family_id not in seen
            seen.add(family.family_id)
            assert family.size == len(members[family.family_id])
            for case_id in members[family.family_id]:
                assert (pool.agreement_id, case_id) not in blocked


@pytest.fixture
def people_file(tmp_path: Path) -> Path:
    path = tmp_path / "people.jsonl"
    write_people(generate_people(400, 5), path)
    return path


def test_match_on_files_writes_the_exchange_format_deterministically(
    tmp_path: Path, people_file: Path
) -> None:
    outputs = []
    for name in ("a.json", "b.json"):
        out = tmp_path / name
        result = Cli("unused")(
            "match",
            "--agreements",
            str(arrangements_path()),
            "--people",
            str(people_file),
            "--at",
            DAY,
            "--out",
            str(out),
            db=False,
        )
        assert result.exit_code == 0, result.output
        outputs.append(out.read_text())
    assert outputs[0] == outputs[1]
    proposal = json.loads(outputs[0])
    assert list(proposal) == ["objective", "agreements"]
    pools = {p["agreement_id"]: p for p in proposal["agreements"]}
    assert pools["us-xk-2025"]["pool_limit"] == 75
    assert "us-uz-2025" not in pools  # a reported floor is not a cap to fill
    for pool in proposal["agreements"]:
        assert list(pool) == ["agreement_id", "pool_limit", "families"]
        assert sum(f["size"] for f in pool["families"]) <= pool["pool_limit"]
        for family in pool["families"]:
            assert list(family) == ["family_id", "size", "score", "why"]
            assert family["why"]
    total = sum(f["score"] for p in proposal["agreements"] for f in p["families"])
    assert proposal["objective"] == pytest.approx(total)
    assert "proven optimal" in result.output or "within" in result.output
    assert "us-uz-2025: persons_per_period cap not known as a figure" in result.output


def test_match_rejects_a_malformed_pin(people_file: Path) -> None:
    result = Cli("unused")(
        "match",
        "--agreements",
        str(arrangements_path()),
        "--people",
        str(people_file),
        "--pin-in",
        "nocolon",
        db=False,
    )
    assert result.exit_code == 2
    assert "--pin-in nocolon: expected FAMILY_ID:AGREEMENT_ID" in result.output


def test_propose_needs_an_agreement_in_force_and_open_under_S12(
    database_url: str, people_file: Path
) -> None:
    """The reported arrangements record no instrument and no safety assessment: even in force,
    no pool is proposed to them, not even as a dry run (S12); the refusal names each gap."""
    cli = Cli(database_url).signed_up()
    assert cli("agreements", "load", str(arrangements_path()), user="sam").exit_code == 0
    assert cli("people", "import", str(people_file), user="sam").exit_code == 0
    refused = cli(
        "propose", "--agreement", "us-sz-2025", "--agreement", "us-xk-2025", "--at", DAY,
        "--dry-run", user="olga",
    )  # fmt: skip
    assert refused.exit_code == 1
    assert "cannot propose to 2 of the 2 agreements asked for" in refused.output
    assert "us-sz-2025: S12: the agreement is" in refused.output
    assert "us-xk-2025: S12: the instrument lacks: admission" in refused.output
    assert "us-xk-2025: S12: no country-safety assessment is recorded" in refused.output
    assert "proposal.computed" not in cli("audit", "log", "--limit", "5", user="sam").output
    assert cli("audit", "verify", user="sam").exit_code == 0


def _match(people_file: Path, out: Path, *options: str) -> Any:
    return Cli("unused")(
        "match",
        "--agreements",
        str(arrangements_path()),
        "--people",
        str(people_file),
        "--at",
        DAY,
        "--agreement",
        "us-xk-2025",
        "--out",
        str(out),
        *options,
        db=False,
    )


def test_a_scores_file_decides_the_ranking_and_unscored_families_stay_out(
    tmp_path: Path, people_file: Path
) -> None:
    first = _match(people_file, tmp_path / "default.json")
    assert first.exit_code == 0, first.output
    default = json.loads((tmp_path / "default.json").read_text())["agreements"][0]["families"]
    assert len(default) > 3
    # Score only three of the proposed families, the last one highest: only they are proposed.
    chosen = [f["family_id"] for f in default[-3:]]
    scores = tmp_path / "scores.csv"
    rows = [
        f"{family},us-xk-2025,{points}" for family, points in zip(chosen, (1, 2, 9), strict=True)
    ]
    scores.write_text("family_id,agreement_id,score\n" + "\n".join(rows) + "\n")
    result = _match(people_file, tmp_path / "scored.json", "--scores", str(scores))
    assert result.exit_code == 0, result.output
    families = json.loads((tmp_path / "scored.json").read_text())["agreements"][0]["families"]
    assert {f["family_id"] for f in families} == set(chosen)
    assert all(f["why"] == f"score {f['score']:.1f} (from file)" for f in families)
    assert "the scores cover 3 of " in result.output


def test_recorded_outcomes_train_the_learned_scorer(tmp_path: Path, people_file: Path) -> None:
    from accord.agreements.loader import load_registry_file
    from accord.cases.reader import read_people
    from accord.scenarios.outcomes import synthetic_outcomes

    registry = load_registry_file(arrangements_path())
    family_members: dict[str, list[PersonRecord]] = {}
    for row in read_people(people_file):
        family_members.setdefault(row.record.family_id, []).append(row.record)
    outcomes = synthetic_outcomes(
        family_members, {a.id: a for a in registry.agreements}, seed=2, on=ON_DAY
    )
    path = tmp_path / "outcomes.csv"
    path.write_text(
        "family_id,agreement_id,outcome\n"
        + "".join(f"{o.family_id},{o.agreement_id},{o.outcome}\n" for o in outcomes)
    )
    result = _match(people_file, tmp_path / "learned.json", "--outcomes", str(path))
    assert result.exit_code == 0, result.output
    families = json.loads((tmp_path / "learned.json").read_text())["agreements"][0]["families"]
    assert families
    assert all(f"learned from {len(outcomes)} outcomes" in f["why"] for f in families)


def test_a_bad_outcomes_file_names_row_and_field_and_proposes_nothing(
    tmp_path: Path, people_file: Path
) -> None:
    path = tmp_path / "outcomes.csv"
    path.write_text(
        "family_id,agreement_id,outcome\nF1,us-xk-2025,remained\nF2,us-xk-2025,vanished\n"
        "F1,us-xk-2025,moved_on\n,us-xk-2025,remained\n"
    )
    out = tmp_path / "never.json"
    result = _match(people_file, out, "--outcomes", str(path))
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "row 3, outcome: expected one of remained" in text
    assert "(got 'vanished')" in text
    assert "row 4, family_id/agreement_id: pair F1/us-xk-2025 already recorded at row 2" in text
    assert "row 5, family_id: empty" in text
    assert not out.exists()


def test_scores_and_outcomes_together_are_refused(tmp_path: Path, people_file: Path) -> None:
    (tmp_path / "s.csv").write_text("family_id,agreement_id,score\n")
    (tmp_path / "o.csv").write_text("family_id,agreement_id,outcome\n")
    result = _match(
        people_file,
        tmp_path / "x.json",
        "--scores",
        str(tmp_path / "s.csv"),
        "--outcomes",
        str(tmp_path / "o.csv"),
    )
    assert result.exit_code == 2
    assert "give one: a scores file or outcomes" in result.output
