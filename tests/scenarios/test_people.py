"""The synthetic population: reproducible, exactly sized, valid, believable (its files:
tests/cases/test_writer.py)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from statistics import mean

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.records.person import PersonRecord
from accord.scenarios.people import REFERENCE_DATE, generate_people
from accord.scenarios.people_mix import FEAR_CLAIM_RECEIVERS

ON = REFERENCE_DATE
LATIN_AMERICA = {"VE", "HN", "GT", "SV", "MX", "CU", "NI", "CO", "HT", "EC"}
ELSEWHERE = {"AF", "CN", "IN", "RU", "UZ", "ER", "SO", "GH", "NG", "SN", "CM", "ET"}
MAIN_LANGUAGE = {
    "VE": "es",
    "MX": "es",
    "HT": "ht",
    "AF": "ps",
    "CN": "zh",
    "IN": "hi",
    "RU": "ru",
    "UZ": "uz",
    "ER": "ti",
    "SO": "so",
    "ET": "am",
    "SN": "fr",
}


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


@pytest.fixture(scope="module")
def population() -> list[PersonRecord]:
    return [PersonRecord.model_validate(record) for record in generate_people(5000, seed=2026)]


@pytest.fixture(scope="module")
def families(population: list[PersonRecord]) -> dict[str, list[PersonRecord]]:
    grouped: dict[str, list[PersonRecord]] = defaultdict(list)
    for person in population:
        grouped[person.family_id].append(person)
    return grouped


def share(population: list[PersonRecord], holds: Callable[[PersonRecord], bool]) -> float:
    return sum(1 for person in population if holds(person)) / len(population)


# -- reproducible


def test_the_same_seed_gives_the_same_records_and_another_seed_does_not() -> None:
    first = generate_people(300, seed=7)
    assert first == generate_people(300, seed=7)
    assert first != generate_people(300, seed=8)
    assert [r["case_id"] for r in first] == [f"SYN-{n:07d}" for n in range(1, 301)]


def test_the_reference_date_moves_the_population_with_it() -> None:
    later = generate_people(200, seed=7, on=dt.date(2030, 6, 1))
    assert later != generate_people(200, seed=7)
    ages = [age_on(dt.date.fromisoformat(r["birth_date"]), dt.date(2030, 6, 1)) for r in later]
    assert max(ages) <= 110
    assert all(r["birth_date"] <= "2030-06-01" for r in later)


# -- exactly sized and valid


@settings(max_examples=40, deadline=None)
@given(count=st.integers(min_value=0, max_value=60), seed=st.integers(0, 2**32))
def test_exactly_count_people_in_whole_or_cut_families(count: int, seed: int) -> None:
    records = generate_people(count, seed)
    assert len(records) == count
    people = [PersonRecord.model_validate(record) for record in records]
    assert len({p.case_id for p in people}) == count
    family_order = list(dict.fromkeys(p.family_id for p in people))
    assert family_order == [f"SYNF-{n:06d}" for n in range(1, len(family_order) + 1)]
    for family_id in family_order:
        members = [p for p in people if p.family_id == family_id]
        assert members[0].relationship == "head"
        assert [p.relationship for p in members].count("head") == 1
    positions = [family_order.index(p.family_id) for p in people]
    assert positions == sorted(positions), "a family's members are listed together"


def test_a_negative_count_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        generate_people(-1, seed=1)


def test_values_that_are_the_schema_default_are_left_out() -> None:
    for record in generate_people(2000, seed=4):
        for key, value in record.items():
            default = PersonRecord.model_fields[key].get_default(call_default_factory=True)
            assert value is not None and value != default, key
            assert key != "removal_order" or value["status"] != "none"
        assert (
            PersonRecord.model_validate(record).model_dump(mode="json", exclude_defaults=True)
            == record
        )


# -- clearly synthetic


def test_ids_and_contacts_are_recognisably_synthetic(population: list[PersonRecord]) -> None:
    assert all(re.fullmatch(r"SYN-\d{7}", p.case_id) for p in population)
    assert all(re.fullmatch(r"SYNF-\d{6}", p.family_id) for p in population)
    contacts = {p.counsel.contact for p in population if p.counsel and p.counsel.contact}
    assert contacts
    assert all(c.endswith("@example.org") or c.startswith("+1-202-555-01") for c in contacts)


# -- a believable mix


def test_families_are_of_believable_size_and_shape(
    families: dict[str, list[PersonRecord]],
) -> None:
    sizes = [len(members) for members in families.values()]
    assert 2.0 <= mean(sizes) <= 3.0
    assert min(sizes) == 1
    assert max(sizes) == 6
    assert Counter(sizes)[1] > Counter(sizes)[2] > Counter(sizes)[6]
    relationships = Counter(p.relationship for members in families.values() for p in members)
    assert relationships["spouse"] > 0
    assert relationships["child"] > 0
    assert relationships["parent"] > 0
    assert relationships["sibling"] > 0
    for members in families.values():
        assert [p.relationship for p in members].count("head") == 1
        assert len({p.family_name for p in members}) == 1
        first_nationalities = {
            p.nationalities[0] for p in members if p.nationalities and p.sender_status != "citizen"
        }
        assert len(first_nationalities) <= 1, "family members share a nationality"
        parents = [p for p in members if p.relationship in ("head", "spouse", "partner")]
        for child in (p for p in members if p.relationship == "child"):
            for parent in parents:
                assert age_on(parent.birth_date, ON) - age_on(child.birth_date, ON) >= 16


def test_nationalities_lean_toward_the_agreements_countries(
    population: list[PersonRecord],
) -> None:
    firsts = Counter(p.nationalities[0] for p in population if p.nationalities)
    assert set(firsts) >= LATIN_AMERICA | ELSEWHERE
    latin = sum(firsts[code] for code in LATIN_AMERICA) / sum(firsts.values())
    assert 0.7 <= latin <= 0.95
    stateless = [p for p in population if not p.nationalities]
    assert 0 < len(stateless) < 0.05 * len(population)
    duals = [p for p in population if len([c for c in p.nationalities if c != "US"]) > 1]
    assert 0 < len(duals) < 0.1 * len(population)
    assert any({"XK", "SV"} & set(p.nationalities[1:]) for p in duals)


def test_languages_follow_nationality(population: list[PersonRecord]) -> None:
    assert all(p.languages for p in population)
    for person in population:
        if person.nationalities and person.nationalities[0] in MAIN_LANGUAGE:
            assert MAIN_LANGUAGE[person.nationalities[0]] in person.languages
    assert 0.15 <= share(population, lambda p: "en" in p.languages) <= 0.6


def test_status_in_the_sender(population: list[PersonRecord]) -> None:
    statuses = Counter(p.sender_status for p in population)
    assert statuses["none"] / len(population) >= 0.75
    assert statuses["visa"] > statuses["lpr"] > 0
    citizens = [p for p in population if p.sender_status == "citizen"]
    assert citizens
    assert all(p.relationship == "child" and "US" in p.nationalities for p in citizens)
    assert all(not p.protection and p.removal_order.status == "none" for p in citizens), (
        "a citizen is in no removal or protection proceeding"
    )


def test_removal_orders(population: list[PersonRecord]) -> None:
    orders = Counter(p.removal_order.status for p in population)
    assert 0.5 <= orders["final"] / len(population) <= 0.7
    assert 0.18 <= orders["pending"] / len(population) <= 0.32
    assert 0.08 <= orders["none"] / len(population) <= 0.25
    dated = [p.removal_order.date for p in population if p.removal_order.date]
    assert all(date < ON for date in dated)


def test_protection_claims_against_the_country_of_nationality(
    population: list[PersonRecord],
) -> None:
    def has(status: str) -> Callable[[PersonRecord], bool]:
        return lambda p: any(entry.status == status for entry in p.protection)

    assert 0.10 <= share(population, has("pending")) <= 0.20
    assert 0.02 <= share(population, has("granted")) <= 0.08
    assert share(population, has("denied")) > 0
    assert {e.type for p in population for e in p.protection if e.status == "pending"} == {
        "asylum",
        "withholding",
        "cat",
    }
    assert {e.type for p in population for e in p.protection if e.status == "granted"} == {
        "withholding",
        "cat",
        "temporary",
    }
    for person in population:
        for entry in person.protection:
            assert not person.nationalities or entry.against == person.nationalities[0]
            assert entry.date is not None and entry.date < ON


def test_fear_claims_about_receivers(population: list[PersonRecord]) -> None:
    assert 0.02 <= share(population, lambda p: bool(p.fear_claims)) <= 0.07
    claims = [claim for p in population for claim in p.fear_claims]
    assert {claim.country for claim in claims} <= set(FEAR_CLAIM_RECEIVERS)
    assert {claim.outcome for claim in claims} == {"pending", "positive", "negative"}
    negatives = [claim.decided for claim in claims if claim.outcome == "negative"]
    assert all(day is not None and day <= ON for day in negatives)
    recent = [day for day in negatives if day and (ON - day).days < 15]
    assert recent, "some negatives are still inside the reopening window"
    assert len(recent) < len(negatives), "and some are past it"


def test_appeals_and_stays(population: list[PersonRecord]) -> None:
    assert 0.03 <= share(population, lambda p: p.appeal_pending) <= 0.08
    assert 0.01 <= share(population, lambda p: p.stay_of_removal) <= 0.04


def test_convictions(population: list[PersonRecord]) -> None:
    assert 0.14 <= share(population, lambda p: bool(p.convictions)) <= 0.26
    convictions = [c for p in population for c in p.convictions]
    categories = {c.category for c in convictions}
    expected = {
        "violent",
        "sexual",
        "drugs",
        "property",
        "fraud",
        "public_order",
        "immigration",
        "traffic",
    }
    assert categories >= expected
    assert any(not c.final for c in convictions)
    assert any(c.sentence_months is None for c in convictions)
    assert sum(c.jurisdiction == "US" for c in convictions) / len(convictions) >= 0.7
    assert len({c.jurisdiction for c in convictions}) > 3
    for person in population:
        for conviction in person.convictions:
            assert person.birth_date < conviction.date < ON
            assert age_on(person.birth_date, conviction.date) >= 15
    assert share(population, lambda p: bool(p.detention_incidents)) > 0


def test_vulnerabilities_fit_the_person(
    population: list[PersonRecord], families: dict[str, list[PersonRecord]]
) -> None:
    assert 0.05 <= share(population, lambda p: bool(p.vulnerabilities)) <= 0.12
    found = Counter(v for p in population for v in p.vulnerabilities)
    assert set(found) == {
        "pregnancy",
        "torture_survivor",
        "trafficking_survivor",
        "sexual_violence_survivor",
        "serious_illness",
        "disability",
        "elderly",
        "single_parent",
    }
    for person in population:
        age = age_on(person.birth_date, ON)
        if "pregnancy" in person.vulnerabilities:
            assert person.sex == "F" and 18 <= age <= 50
        if "elderly" in person.vulnerabilities:
            assert age >= 65
        if "single_parent" in person.vulnerabilities:
            relationships = {p.relationship for p in families[person.family_id]}
            assert person.relationship == "head"
            assert "child" in relationships
            assert not relationships & {"spouse", "partner"}
    assessed = [p for p in population if p.assessments]
    assert assessed
    assert len(assessed) < len([p for p in population if p.vulnerabilities])
    for person in assessed:
        assert person.vulnerabilities
        [assessment] = person.assessments
        assert assessment.rule == "S8"
        assert len(assessment.reason) >= 10
        assert assessment.date <= ON


def test_minors_and_age_disputes(
    population: list[PersonRecord], families: dict[str, list[PersonRecord]]
) -> None:
    minors = [p for p in population if age_on(p.birth_date, ON) < 18]
    assert 0.15 <= len(minors) / len(population) <= 0.5
    unaccompanied = [p for p in minors if len(families[p.family_id]) == 1]
    assert unaccompanied
    assert all(p.relationship == "head" for p in unaccompanied)
    disputed = [p for p in population if p.age_disputed]
    assert disputed
    assert all(16 <= age_on(p.birth_date, ON) <= 20 for p in disputed)

    def days_to_eighteenth_birthday(person: PersonRecord) -> int:
        birth = person.birth_date
        day = 28 if (birth.month, birth.day) == (2, 29) else birth.day
        return (dt.date(birth.year + 18, birth.month, day) - ON).days

    turning = [p for p in population if abs(days_to_eighteenth_birthday(p)) <= 21]
    assert any(days_to_eighteenth_birthday(p) <= 0 for p in turning)
    assert any(days_to_eighteenth_birthday(p) > 0 for p in turning)


def test_travel_documents(population: list[PersonRecord]) -> None:
    documents = [p for p in population if p.travel_document]
    assert 0.55 <= len(documents) / len(population) <= 0.75
    expired = [p for p in documents if p.travel_document and p.travel_document.expires < ON]
    assert 0.1 <= len(expired) / len(documents) <= 0.5
    kinds = Counter(p.travel_document.type for p in documents if p.travel_document)
    assert kinds.most_common(1)[0][0] == "passport"
    for person in documents:
        assert person.travel_document is not None
        assert person.travel_document.country in person.nationalities
        assert person.travel_document.expires > person.birth_date


def test_fitness_counsel_consent_and_health_needs(population: list[PersonRecord]) -> None:
    fitness = Counter(p.medical_fit for p in population)
    assert fitness[True] > fitness[None] > 0
    assert fitness[False] > 0
    assert 0.3 <= share(population, lambda p: p.counsel is not None) <= 0.5
    assert 0 < share(population, lambda p: bool(p.consents)) < 0.15
    assert 0 < share(population, lambda p: bool(p.health_needs)) < 0.1
    assert any(p.health_needs and p.consents for p in population)
    assert any(p.health_needs and not p.consents for p in population)
