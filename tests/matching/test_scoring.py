"""Scoring: the transparent factors, the learned scorer, and the scores file."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.errors import InvalidInput
from accord.matching.languages import OFFICIAL_LANGUAGES
from accord.matching.learned import MIN_OUTCOMES, LearnedScorer, Outcome
from accord.matching.problem import ProblemError
from accord.matching.score_files import FileScorer, read_scores
from accord.matching.scoring import PairScore
from accord.matching.transparent import (
    BASE_POINTS,
    DOCUMENT_POINTS,
    LANGUAGE_POINTS,
    TransparentScorer,
)
from accord.records.agreement import AgreementIn
from accord.records.person import PersonRecord
from accord.scenarios.outcomes import synthetic_outcomes
from tests.strategies import agreements, families
from tests.support import person

ON = dt.date(2026, 3, 10)
LATER = "2027-06-30"
EARLIER = "2025-12-31"


def agreement(receiver: str = "XK", **fields: Any) -> AgreementIn:
    return AgreementIn.model_validate(
        {
            "id": f"us-{receiver.lower()}",
            "sender": "US",
            "receiver": receiver,
            "kind": "third_country_transfer",
            "status": "in_force",
            **fields,
        }
    )


def passport(expires: str) -> dict[str, str]:
    return {"type": "passport", "country": "VE", "expires": expires}


def records(*members: dict[str, object]) -> list[PersonRecord]:
    return [PersonRecord.model_validate(m) for m in members]


def score_of(members: Sequence[PersonRecord], receiver: str = "XK") -> PairScore:
    terms = agreement(receiver)
    family_id = members[0].family_id
    [result] = TransparentScorer().score(
        {family_id: members}, {terms.id: terms}, [(family_id, terms.id)], ON
    )
    return result


def points(result: PairScore, name: str) -> float:
    [factor] = [f for f in result.factors if f.name == name]
    return factor.points


def detail(result: PairScore, name: str) -> str:
    [factor] = [f for f in result.factors if f.name == name]
    return factor.detail


# --- The transparent factors --------------------------------------------------------------


def test_a_valid_travel_document_adds_its_weight_and_an_expired_one_nothing() -> None:
    valid = score_of(records(person("A1", travel_document=passport(LATER))))
    expired = score_of(records(person("A1", travel_document=passport(EARLIER))))
    none = score_of(records(person("A1")))
    assert valid.score - expired.score == pytest.approx(DOCUMENT_POINTS)
    assert expired.score == none.score
    assert detail(valid, "travel_document") == "valid travel document"
    assert detail(expired, "travel_document") == "no valid travel document on 2026-03-10"


def test_a_document_expiring_on_the_day_is_still_valid_that_day() -> None:
    on_the_day = score_of(records(person("A1", travel_document=passport(ON.isoformat()))))
    assert points(on_the_day, "travel_document") == DOCUMENT_POINTS


def test_documents_for_part_of_a_family_earn_that_share() -> None:
    family = records(
        person("H", "F1", travel_document=passport(LATER)),
        person("S", "F1", relationship="spouse", travel_document=passport(EARLIER)),
        person("C", "F1", relationship="child", birth_date="2015-01-01"),
    )
    result = score_of(family)
    assert points(result, "travel_document") == pytest.approx(DOCUMENT_POINTS / 3)
    assert detail(result, "travel_document") == "valid travel documents for 1 of 3"


def test_an_adult_speaking_a_receiver_language_adds_its_weight() -> None:
    speaks = score_of(records(person("A1", languages=["sq", "en"])), "XK")
    does_not = score_of(records(person("A1", languages=["es"])), "XK")
    assert speaks.score - does_not.score == pytest.approx(LANGUAGE_POINTS)
    assert detail(speaks, "language") == "shares language sq with Kosovo (XK)"
    assert detail(does_not, "language") == "no adult speaks a language of Kosovo (XK): sq, sr"


def test_only_the_adults_languages_count() -> None:
    family = records(
        person("H", "F1", languages=["es"]),
        person("C", "F1", relationship="child", birth_date="2014-05-05", languages=["sq"]),
    )
    assert points(score_of(family, "XK"), "language") == 0.0


def test_a_receiver_whose_languages_are_not_on_file_scores_no_language_points() -> None:
    assert "ZZ" not in OFFICIAL_LANGUAGES
    result = score_of(records(person("A1", languages=["es"])), "ZZ")
    assert points(result, "language") == 0.0
    assert detail(result, "language") == "languages of ZZ not on file"


def test_every_scenario_receiver_has_its_languages_on_file() -> None:
    for receiver in ("XK", "RW", "UZ", "SV", "SZ", "UG", "GH", "AL"):
        assert OFFICIAL_LANGUAGES[receiver]
    assert OFFICIAL_LANGUAGES["XK"] == ("sq", "sr")


def test_waiting_earns_a_tenth_a_month_up_to_two_years() -> None:
    def waiting(order_date: str) -> PairScore:
        return score_of(
            records(person("A1", removal_order={"status": "final", "date": order_date}))
        )

    fourteen = waiting("2025-01-10")
    assert points(fourteen, "waiting") == pytest.approx(1.4)
    assert detail(fourteen, "waiting") == "waiting 14 months"
    assert points(waiting("2025-01-11"), "waiting") == pytest.approx(1.3)  # a day short of 14
    forty = waiting("2022-11-10")
    assert points(forty, "waiting") == pytest.approx(2.4)
    assert detail(forty, "waiting") == "waiting 40 months (counted up to 24)"
    assert fourteen.score - waiting("2026-03-01").score == pytest.approx(1.4)


def test_no_removal_order_date_earns_no_waiting_points() -> None:
    result = score_of(records(person("A1", removal_order={"status": "none"})))
    assert points(result, "waiting") == 0.0
    assert detail(result, "waiting") == "no removal order date"


def test_a_family_kept_together_earns_points_per_member_beyond_the_first() -> None:
    alone = score_of(records(person("H", "F1")))
    four = score_of(
        records(
            person("H", "F1"),
            person("S", "F1", relationship="spouse"),
            person("C1", "F1", relationship="child", birth_date="2015-01-01"),
            person("C2", "F1", relationship="child", birth_date="2018-01-01"),
        )
    )
    assert points(alone, "family") == 0.0
    assert points(four, "family") == pytest.approx(0.9)
    assert four.score - alone.score == pytest.approx(0.9)
    assert detail(four, "family") == "family of 4 kept together"


def test_why_names_every_factor_with_its_points() -> None:
    family = records(
        person("H", "F1", languages=["es"], travel_document=passport(LATER)),
        person("S", "F1", relationship="spouse", travel_document=passport(LATER)),
    )
    result = score_of(family, "SV")
    assert result.score == pytest.approx(1.0 + 3.0 + 2.0 + 1.2 + 0.3)
    assert result.why == (
        "score 7.5: eligible (+1.0), valid travel documents for all 2 (+3.0),"
        " shares language es with El Salvador (SV) (+2.0), waiting 12 months (+1.2),"
        " family of 2 kept together (+0.3)"
    )


def test_scores_come_back_for_exactly_the_pairs_given_in_their_order() -> None:
    xk, sv = agreement("XK"), agreement("SV")
    people = {"F1": records(person("A", "F1")), "F2": records(person("B", "F2"))}
    pairs = [("F2", "us-sv"), ("F1", "us-xk"), ("F2", "us-xk")]
    result = TransparentScorer().score(people, {"us-xk": xk, "us-sv": sv}, pairs, ON)
    assert [(s.family_id, s.agreement_id) for s in result] == pairs


def test_a_pair_naming_a_family_that_was_not_given_is_a_caller_error() -> None:
    terms = agreement()
    with pytest.raises(ProblemError, match="family F9 is paired but not given"):
        TransparentScorer().score({}, {terms.id: terms}, [("F9", terms.id)], ON)


@given(families(), st.lists(agreements(), min_size=1, max_size=3))
def test_transparent_scores_are_positive_finite_and_the_sum_of_their_factors(
    people: list[PersonRecord], terms: list[AgreementIn]
) -> None:
    by_family: dict[str, list[PersonRecord]] = defaultdict(list)
    for record in people:
        by_family[record.family_id].append(record)
    by_id = {a.id: a for a in terms}
    pairs = [(f, a) for f in sorted(by_family) for a in sorted(by_id)]
    for result in TransparentScorer().score(by_family, by_id, pairs, ON):
        assert math.isfinite(result.score)
        assert result.score >= BASE_POINTS
        assert result.score == pytest.approx(sum(f.points for f in result.factors))
        assert all(f.points >= 0 for f in result.factors)


# --- The learned scorer -------------------------------------------------------------------

RECEIVERS = ("XK", "SV", "GH")


def made_up_families(count: int, seed: int) -> dict[str, list[PersonRecord]]:
    """Families whose documents, languages and waiting vary independently."""
    rng = random.Random(seed)
    by_family: dict[str, list[PersonRecord]] = {}
    for f in range(count):
        family_id = f"F{f:04d}"
        size = rng.choice([1, 1, 2, 3, 4])
        documented = rng.random() < 0.5
        language = rng.choice(["sq", "es", "en", "ru", "zh"])
        order = ON - dt.timedelta(days=rng.randrange(30, 900))
        members = []
        for i in range(size):
            adult = i < 2
            members.append(
                person(
                    f"P{f:04d}-{i}",
                    family_id,
                    relationship="head" if i == 0 else "spouse" if i == 1 else "child",
                    birth_date=f"{rng.randrange(1960, 2000) if adult else 2016}-06-01",
                    languages=[language],
                    removal_order={"status": "final", "date": order.isoformat()},
                    **({"travel_document": passport(LATER)} if documented else {}),
                )
            )
        by_family[family_id] = records(*members)
    return by_family


@pytest.fixture(scope="module")
def learning() -> tuple[dict[str, list[PersonRecord]], dict[str, AgreementIn], list[Outcome]]:
    people = made_up_families(1200, seed=3)
    terms = {a.id: a for a in (agreement(r) for r in RECEIVERS)}
    return people, terms, synthetic_outcomes(people, terms, seed=11, on=ON)


def test_the_learned_scorer_learns_that_documents_and_a_shared_language_help(
    learning: tuple[dict[str, list[PersonRecord]], dict[str, AgreementIn], list[Outcome]],
) -> None:
    people, terms, outcomes = learning
    training, held_out = outcomes[:900], outcomes[900:]
    model = LearnedScorer.fit(people, terms, training, ON)
    pairs = [(o.family_id, o.agreement_id) for o in held_out]
    scores = model.score(people, terms, pairs, ON)
    plain = TransparentScorer().score(people, terms, pairs, ON)
    good, poor = [], []
    for learned, transparent in zip(scores, plain, strict=True):
        assert 0 <= learned.score <= 10
        document = next(f.points for f in transparent.factors if f.name == "travel_document")
        language = next(f.points for f in transparent.factors if f.name == "language")
        if document == DOCUMENT_POINTS and language == LANGUAGE_POINTS:
            good.append(learned.score)
        elif document == 0 and language == 0:
            poor.append(learned.score)
    assert len(good) > 20 and len(poor) > 20
    assert sum(good) / len(good) > sum(poor) / len(poor) + 3.0


def test_the_learned_scorer_explains_each_score_by_its_largest_effects(
    learning: tuple[dict[str, list[PersonRecord]], dict[str, AgreementIn], list[Outcome]],
) -> None:
    people, terms, outcomes = learning
    model = LearnedScorer.fit(people, terms, outcomes, ON)
    pairs = [(o.family_id, o.agreement_id) for o in outcomes[:200]]
    for result in model.score(people, terms, pairs, ON):
        assert 1 <= len(result.factors) <= 4
        sizes = [abs(f.points) for f in result.factors]
        assert sizes == sorted(sizes, reverse=True)
        assert result.why.startswith(f"score {result.score:.1f} (learned from 1200 outcomes: ")
        assert " vs typical " in result.why
    names = {f.name for r in model.score(people, terms, pairs, ON) for f in r.factors}
    assert {"travel_document_share", "shared_language"} <= names


def test_the_learned_scorer_is_deterministic(
    learning: tuple[dict[str, list[PersonRecord]], dict[str, AgreementIn], list[Outcome]],
) -> None:
    people, terms, outcomes = learning
    pairs = [(f, a) for f in sorted(people)[:100] for a in sorted(terms)]
    first = LearnedScorer.fit(people, terms, outcomes, ON).score(people, terms, pairs, ON)
    again = LearnedScorer.fit(people, terms, outcomes, ON).score(people, terms, pairs, ON)
    assert first == again
    assert [s.why for s in first] == [s.why for s in again]
    assert synthetic_outcomes(people, terms, seed=11, on=ON) == outcomes
    assert synthetic_outcomes(people, terms, seed=12, on=ON) != outcomes


def test_a_receiver_not_seen_in_training_still_gets_a_score(
    learning: tuple[dict[str, list[PersonRecord]], dict[str, AgreementIn], list[Outcome]],
) -> None:
    people, terms, outcomes = learning
    model = LearnedScorer.fit(people, terms, outcomes, ON)
    elsewhere = agreement("UG")
    [result] = model.score(people, {elsewhere.id: elsewhere}, [("F0000", elsewhere.id)], ON)
    assert 0 <= result.score <= 10


def test_the_learned_scorer_refuses_too_few_outcomes(
    learning: tuple[dict[str, list[PersonRecord]], dict[str, AgreementIn], list[Outcome]],
) -> None:
    people, terms, outcomes = learning
    with pytest.raises(
        ValueError, match=f"at least {MIN_OUTCOMES} recorded onward outcomes, got 49"
    ):
        LearnedScorer.fit(people, terms, outcomes[:49], ON)


def test_the_learned_scorer_refuses_outcomes_of_one_kind(
    learning: tuple[dict[str, list[PersonRecord]], dict[str, AgreementIn], list[Outcome]],
) -> None:
    people, terms, outcomes = learning
    stable = [o for o in outcomes if o.outcome in {"remained", "returned_home"}][:80]
    with pytest.raises(
        ValueError,
        match=r"all 80 recorded outcomes are stable; .* needs unstable \(moved_on, absconded",
    ):
        LearnedScorer.fit(people, terms, stable, ON)


def test_the_learned_scorer_refuses_outcomes_for_families_not_given(
    learning: tuple[dict[str, list[PersonRecord]], dict[str, AgreementIn], list[Outcome]],
) -> None:
    people, terms, outcomes = learning
    stray = [*outcomes[:60], Outcome("F-GONE", "us-xk", "remained")]
    with pytest.raises(ValueError, match="families that were not given: F-GONE"):
        LearnedScorer.fit(people, terms, stray, ON)


# --- The scores file ----------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scores.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_scores_file_is_read_whole(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "\ufefffamily_id, agreement_id, score\nF1,us-xk,7.5\n\nF2 ,us-xk,0\nF1,us-sv,1e1\n",
    )
    assert read_scores(path) == {("F1", "us-xk"): 7.5, ("F2", "us-xk"): 0.0, ("F1", "us-sv"): 10.0}


def test_a_scores_file_with_bad_rows_names_each_row_and_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "family_id,agreement_id,score\n"
        "F1,us-xk,7.5\n"
        "F2,us-xk,high\n"
        ",us-xk,1\n"
        "F3,us-xk,-2\n"
        "F4,us-xk,nan\n"
        "F5,us-xk,inf\n"
        "F1,us-xk,3\n"
        "F6,us-xk\n"
        "F7,,\n",
    )
    with pytest.raises(InvalidInput) as caught:
        read_scores(path)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:row 3, score: not a number (got 'high')",
        f"{path}:row 4, family_id: empty",
        f"{path}:row 5, score: negative; scores are zero or more (got '-2')",
        f"{path}:row 6, score: not a finite number (got 'nan')",
        f"{path}:row 7, score: not a finite number (got 'inf')",
        f"{path}:row 8, family_id/agreement_id: pair F1/us-xk already scored at row 2",
        f"{path}:row 9: 2 fields where the header has 3",
        f"{path}:row 10, agreement_id: empty",
        f"{path}:row 10, score: empty",
    ]
    assert str(caught.value).startswith(f"{path}: 9 problems, nothing was written")


def test_a_scores_file_without_its_columns_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "family,agreement_id,scroe\nF1,us-xk,1\n")
    with pytest.raises(InvalidInput) as caught:
        read_scores(path)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:row 1, family_id: required column missing",
        f"{path}:row 1, score: required column missing",
        f"{path}:row 1, family: unknown column",
        f"{path}:row 1, scroe: unknown column",
    ]


def test_a_missing_or_empty_scores_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        read_scores(tmp_path / "absent.csv")
    with pytest.raises(InvalidInput, match="empty file"):
        read_scores(write(tmp_path, ""))


def test_file_scores_never_reach_a_pair_that_is_not_eligible() -> None:
    scorer = FileScorer({("F1", "us-xk"): 4.0, ("F2", "us-xk"): 9.0, ("F1", "us-sv"): 2.0})
    terms = {"us-xk": agreement("XK"), "us-sv": agreement("SV")}
    people = {f: records(person(f"P-{f}", f)) for f in ("F1", "F2", "F3")}
    eligible = [("F1", "us-xk"), ("F3", "us-xk"), ("F1", "us-sv")]  # F2 is not eligible
    result = scorer.score(people, terms, eligible, ON)
    assert [(s.family_id, s.agreement_id, s.score) for s in result] == [
        ("F1", "us-xk", 4.0),
        ("F1", "us-sv", 2.0),
    ]  # F3 has no score in the file, so it is left out
    assert result[0].why == "score 4.0 (from file)"


def test_a_file_scorer_refuses_scores_that_are_negative_or_not_finite() -> None:
    with pytest.raises(ValueError, match="finite and zero or more"):
        FileScorer({("F1", "us-xk"): -1.0})
    with pytest.raises(ValueError, match="finite and zero or more"):
        FileScorer({("F1", "us-xk"): math.inf})
