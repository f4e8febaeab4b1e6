"""Each guard of the workflow, from the failing case: a minimal set of facts the guard refuses,
and the same facts with the one fact fixed, which it lets through (DESIGN §4)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any, get_args

import pytest
from pydantic import ValidationError

from accord.agreements.loader import load_registry_file
from accord.records.agreement import AgreementIn
from accord.records.person import PersonRecord
from accord.scenarios import workflow_agreement_path
from accord.workflow.guards import (
    GUARDS,
    Facts,
    Notice,
    Recipient,
    agreement_open,
    check_ins_due,
    failures,
    family_eligible,
    fear_claim_deadline,
    last_service,
    notice_outcome,
    notice_recipients,
)
from accord.workflow.transitions import BY_ACTION, Guard
from tests.support import person

DAY = dt.date(2026, 1, 12)
"""Inside the demo agreement's term (2026), eleven months before its assessment expires."""
NOW = dt.datetime(2026, 1, 12, 9, tzinfo=dt.UTC)
DEMO = load_registry_file(workflow_agreement_path()).agreements[0]


def agreement(**changes: Any) -> AgreementIn:
    """The demo agreement (complete instrument, in force, term 2026) with fields changed."""
    return DEMO.model_copy(update=changes)


def instrument(**changes: Any) -> AgreementIn:
    return agreement(instrument=DEMO.instrument.model_copy(update=changes))


def member(case_id: str = "P1", family_id: str = "F1", **fields: Any) -> PersonRecord:
    """An eligible adult who speaks Spanish and is fit to travel."""
    fields.setdefault("medical_fit", True)
    return PersonRecord.model_validate(person(case_id, family_id, **fields))


def facts(**changes: Any) -> Facts:
    base = Facts(day=DAY, now=NOW, agreement=DEMO, members=(member(),))
    return replace(base, **changes)


def served(case_id: str = "P1", on: dt.date = DAY, recipient: Recipient = "person") -> Notice:
    """A valid service: in a language the person understands, signed."""
    return Notice(case_id, recipient, on, "es", "served")


def guard(name: Guard, f: Facts) -> list[str]:
    return GUARDS[name](f)


def test_every_guard_but_the_quota_is_a_pure_function() -> None:
    """S13 reads the locked ledger, so the service checks it; everything else is here."""
    assert set(GUARDS) == set(get_args(Guard)) - {"S13"}


# --- S9: the family as proposed -------------------------------------------------------------


def test_S9_refuses_a_family_grown_since_it_was_proposed() -> None:
    grown = (member("P1"), member("P2", relationship="spouse"))
    assert guard("S9", facts(members=grown, proposed=("P1",))) == [
        "P2 in the family but never proposed;"
        " a family moves as the people proposed, whole, or not at all"
    ]


def test_S9_refuses_a_family_that_lost_a_member_since_it_was_proposed() -> None:
    assert guard("S9", facts(proposed=("P1", "P2"))) == [
        "P2 proposed but no longer in the family;"
        " a family moves as the people proposed, whole, or not at all"
    ]


def test_S9_compares_people_not_counts() -> None:
    """Issue 13, finding 4: an import swapped two families' children (same sizes); the family
    kept its count but not its people, and a child never proposed was scheduled."""
    swapped = (member("P1"), member("C9", relationship="child", birth_date="2016-03-01"))
    assert guard("S9", facts(members=swapped, proposed=("C1", "P1"))) == [
        "C1 proposed but no longer in the family; C9 in the family but never proposed;"
        " a family moves as the people proposed, whole, or not at all"
    ]


def test_S9_passes_the_family_as_proposed() -> None:
    assert guard("S9", facts(proposed=("P1",))) == []


def test_S9_is_checked_on_every_move_towards_transfer_and_on_no_way_out() -> None:
    towards = {"accept", "notify", "clear", "schedule", "transfer"}
    for action, row in BY_ACTION.items():
        assert ("S9" in row.guards) == (action in towards), action


# --- S12: the agreement is open -----------------------------------------------------------


def test_S12_passes_for_an_agreement_in_force_with_a_complete_instrument() -> None:
    assert agreement_open(DEMO, DAY) == []
    assert guard("S12", facts()) == []


@pytest.mark.parametrize("status", ["signed", "suspended", "expired", "terminated"])
def test_S12_refuses_an_agreement_not_in_force(status: str) -> None:
    reasons = agreement_open(agreement(status=status), DAY)
    assert reasons == [f"the agreement is {status}, not in force"]


def test_S12_refuses_a_day_before_the_term() -> None:
    assert agreement_open(DEMO, dt.date(2025, 12, 31)) == [
        "the agreement's term starts on 2026-01-01"
    ]
    assert agreement_open(DEMO, dt.date(2026, 1, 1)) == []


def test_S12_refuses_a_day_after_the_term() -> None:
    fresh = instrument(safety_assessment_date=dt.date(2026, 12, 1))
    assert agreement_open(fresh, dt.date(2027, 1, 1)) == [
        "the agreement's term ended on 2026-12-31"
    ]
    assert agreement_open(fresh, dt.date(2026, 12, 31)) == []


@pytest.mark.parametrize(
    ("clause", "named"),
    [
        ("admission", "admission"),
        ("asylum_access", "access to asylum procedure"),
        ("monitor_access", "monitor access"),
        ("complaints_route", "complaints route"),
    ],
)
def test_S12_refuses_an_instrument_missing_a_clause(clause: str, named: str) -> None:
    assert agreement_open(instrument(**{clause: False}), DAY) == [f"the instrument lacks: {named}"]


def test_S12_needs_a_no_onward_removal_or_a_return_clause() -> None:
    neither = instrument(no_onward_removal=False, return_clause=False)
    assert agreement_open(neither, DAY) == [
        "the instrument lacks: no-onward-removal or return clause"
    ]
    assert agreement_open(instrument(no_onward_removal=False), DAY) == []
    assert agreement_open(instrument(return_clause=False), DAY) == []


def test_S12_names_every_missing_clause() -> None:
    bare = instrument(admission=False, complaints_route=False)
    assert agreement_open(bare, DAY) == ["the instrument lacks: admission, complaints route"]


def test_S12_refuses_an_agreement_with_no_safety_assessment() -> None:
    assert agreement_open(instrument(safety_assessment_date=None), DAY) == [
        "no country-safety assessment is recorded"
    ]


def test_S12_refuses_a_safety_assessment_older_than_twelve_months() -> None:
    """Assessed 2025-12-10: good through 2026-12-10, stale from the day after."""
    assert agreement_open(DEMO, dt.date(2026, 12, 10)) == []
    assert agreement_open(DEMO, dt.date(2026, 12, 11)) == [
        "the country-safety assessment of 2025-12-10 is older than 12 months"
    ]


# --- Screening, re-run on the day of the move ------------------------------------------------


def test_screening_passes_an_eligible_family() -> None:
    assert guard("screening", facts()) == []


def test_screening_blocks_a_pending_protection_claim_S3() -> None:
    claim = {"type": "asylum", "status": "pending", "against": "VE", "date": "2026-01-05"}
    reasons = guard("screening", facts(members=(member(protection=[claim]),)))
    assert any(r.startswith("P1: S3 protection claim pending") for r in reasons), reasons


@pytest.mark.parametrize(
    ("field", "reason"),
    [("appeal_pending", "appeal pending"), ("stay_of_removal", "court stay of removal")],
)
def test_screening_blocks_an_appeal_or_a_stay_S3(field: str, reason: str) -> None:
    blocked = member("P1", "F1", **{field: True})
    assert guard("screening", facts(members=(blocked,))) == [f"P1: S3 {reason}"]


def test_screening_blocks_a_pending_fear_claim_about_the_receiver_S5() -> None:
    pending = {"country": "XK", "asserted": "2026-01-10", "outcome": "pending"}
    assert guard("screening", facts(members=(member(fear_claims=[pending]),))) == [
        "P1: S5 fear claim about Kosovo (XK) pending"
    ]


def test_screening_ignores_a_fear_claim_about_another_country() -> None:
    elsewhere = {"country": "AL", "asserted": "2026-01-10", "outcome": "pending"}
    assert guard("screening", facts(members=(member(fear_claims=[elsewhere]),))) == []


def test_screening_blocks_a_positive_fear_claim_for_good_S5() -> None:
    upheld = {
        "country": "XK",
        "asserted": "2025-01-10",
        "outcome": "positive",
        "decided": "2025-02-01",
    }
    for day in (DAY, dt.date(2026, 12, 1)):
        reasons = guard("screening", facts(day=day, members=(member(fear_claims=[upheld]),)))
        assert reasons == ["P1: S5 fear claim about Kosovo (XK) upheld on 2025-02-01"]


def test_screening_blocks_a_negative_fear_claim_until_15_days_after_the_decision_S5() -> None:
    refused = {
        "country": "XK",
        "asserted": "2026-01-01",
        "outcome": "negative",
        "decided": "2026-01-05",
    }
    members = (member(fear_claims=[refused]),)
    assert guard("screening", facts(day=dt.date(2026, 1, 19), members=members)) == [
        "P1: S5 fear claim about Kosovo (XK) refused on 2026-01-05;"
        " reopening window open until 2026-01-20"
    ]
    assert guard("screening", facts(day=dt.date(2026, 1, 20), members=members)) == []


def test_screening_names_the_blocked_member_not_the_family_echo() -> None:
    """One member's block stops the family; S9's repetition on the others is left out."""
    family = (
        member("P1", "F1"),
        member("P2", "F1", relationship="spouse", stay_of_removal=True),
    )
    assert family_eligible(DEMO, family, DAY) == ["P2: S3 court stay of removal"]


def test_screening_applies_the_receivers_criteria() -> None:
    conviction = {
        "category": "violent",
        "date": "2020-01-01",
        "final": True,
        "jurisdiction": "US",
    }
    reasons = guard("screening", facts(members=(member(convictions=[conviction]),)))
    assert len(reasons) == 1
    assert reasons[0].startswith("P1: public-order ")


# --- Reason ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "text"), [(None, None), ("criteria", None), (None, "too many"), ("criteria", "  ")]
)
def test_reason_needs_a_code_and_a_text(code: str | None, text: str | None) -> None:
    assert guard("reason", facts(reason_code=code, reason_text=text)) == [
        "a reason code and a reason text are required"
    ]


def test_reason_passes_with_a_code_and_a_text() -> None:
    assert guard("reason", facts(reason_code="criteria", reason_text="public order rule")) == []


def test_reason_is_skipped_only_when_the_agreement_does_not_require_one() -> None:
    reject = BY_ACTION["reject"]
    assert failures(reject, facts()) == ["reason: a reason code and a reason text are required"]
    assert failures(reject, facts(), reason_required=False) == []


# --- Served: valid written notice (S6) ---------------------------------------------------------


def test_served_fails_with_no_notice() -> None:
    assert guard("served", facts()) == ["no valid written notice served on P1 (person)"]


def test_a_refusal_to_sign_is_not_service() -> None:
    someone = member()
    outcome = notice_outcome(someone, "person", "es", signed=False)
    assert outcome == "refused_to_sign"
    refused = Notice("P1", "person", DAY, "es", outcome)
    assert not refused.is_service
    assert guard("served", facts(notices=(refused,))) == [
        "no valid written notice served on P1 (person)"
    ]
    assert guard("served", facts(notices=(refused, served()))) == []


def test_a_notice_in_a_language_not_understood_is_not_service() -> None:
    someone = member()  # speaks Spanish only
    outcome = notice_outcome(someone, "person", "en", signed=True)
    assert outcome == "language_not_understood"
    assert notice_outcome(someone, "person", "es", signed=True) == "served"
    wrong = Notice("P1", "person", DAY, "en", outcome)
    assert guard("served", facts(notices=(wrong,))) != []
    assert guard("served", facts(notices=(wrong, served()))) == []


def test_counsel_must_be_served_when_the_person_has_counsel() -> None:
    represented = member(counsel={"name": "Lee Counsel"})
    assert notice_recipients([represented], DAY) == [("P1", "counsel"), ("P1", "person")]
    only_person = facts(members=(represented,), notices=(served(),))
    assert guard("served", only_person) == ["no valid written notice served on P1 (counsel)"]
    both = replace(only_person, notices=(served(), served(recipient="counsel")))
    assert guard("served", both) == []


def test_counsel_is_served_on_delivery_whatever_the_language() -> None:
    represented = member(counsel={"name": "Lee Counsel"})
    assert notice_outcome(represented, "counsel", "en", signed=False) == "served"


def test_minors_need_no_personal_service() -> None:
    family = (
        member("P1", "F1"),
        member("P2", "F1", relationship="child", birth_date="2016-05-01"),
    )
    assert notice_recipients(family, DAY) == [("P1", "person")]
    assert guard("served", facts(members=family, notices=(served("P1"),))) == []


def test_an_adult_member_needs_service_of_their_own() -> None:
    family = (member("P1", "F1"), member("P2", "F1", relationship="spouse"))
    assert guard("served", facts(members=family, notices=(served("P1"),))) == [
        "no valid written notice served on P2 (person)"
    ]


def test_a_notice_dated_after_the_day_does_not_count() -> None:
    later = served(on=DAY + dt.timedelta(days=1))
    assert last_service([member()], [later], DAY) is None
    assert guard("served", facts(notices=(later,))) != []


# --- S6: the notice period ---------------------------------------------------------------------


def test_the_fear_claim_deadline_is_notice_days_after_service_never_fewer_than_ten() -> None:
    """The day of service is not counted: ten whole days after it, or the agreement's longer
    period; a shorter period is raised to ten."""
    assert fear_claim_deadline(DAY, 10) == dt.date(2026, 1, 22)
    assert fear_claim_deadline(DAY, 14) == dt.date(2026, 1, 26)
    assert fear_claim_deadline(DAY, 7) == dt.date(2026, 1, 22)
    assert fear_claim_deadline(DAY, 0) == dt.date(2026, 1, 22)


def test_S6_refuses_clearance_until_the_day_after_the_fear_claim_deadline() -> None:
    notices = (served(on=DAY),)
    day9 = facts(day=DAY + dt.timedelta(days=9), notices=notices)
    refusal = ["notice served on 2026-01-12: the days to raise a fear run to the end of 2026-01-22"]
    assert guard("S6", day9) == refusal
    on_the_deadline = replace(day9, day=DAY + dt.timedelta(days=10))
    assert guard("S6", on_the_deadline) == refusal  # the last day is still the person's
    assert guard("S6", replace(day9, day=DAY + dt.timedelta(days=11))) == []


def test_S6_without_valid_service_fails_as_served_does() -> None:
    assert guard("S6", facts(day=DAY + dt.timedelta(days=30))) == [
        "no valid written notice served on P1 (person)"
    ]


def test_S6_honours_a_raised_notice_period() -> None:
    longer = agreement(notice_days=14)
    notices = (served(on=DAY),)
    assert guard("S6", facts(agreement=longer, day=DAY + dt.timedelta(days=14), notices=notices))
    assert (
        guard("S6", facts(agreement=longer, day=DAY + dt.timedelta(days=15), notices=notices)) == []
    )


def test_S6_notice_days_are_never_below_ten() -> None:
    with pytest.raises(ValidationError, match="notice_days"):
        AgreementIn.model_validate({**DEMO.model_dump(), "notice_days": 9})


def test_S6_counts_from_the_last_required_service() -> None:
    """The person served on day 0, counsel on day 3: the ten days run from day 3 (to the end
    of day 13)."""
    represented = member(counsel={"name": "Lee Counsel"})
    notices = (served(on=DAY), served(on=DAY + dt.timedelta(days=3), recipient="counsel"))
    assert last_service([represented], notices, DAY + dt.timedelta(days=20)) == DAY + dt.timedelta(
        days=3
    )
    day13 = facts(members=(represented,), notices=notices, day=DAY + dt.timedelta(days=13))
    assert guard("S6", day13) == [
        "notice served on 2026-01-15: the days to raise a fear run to the end of 2026-01-25"
    ]
    assert guard("S6", replace(day13, day=DAY + dt.timedelta(days=14))) == []


def test_S6_counts_from_valid_service_not_from_a_refused_attempt() -> None:
    refused = Notice("P1", "person", DAY, "es", "refused_to_sign")
    notices = (refused, served(on=DAY + dt.timedelta(days=2)))
    assert guard("S6", facts(notices=notices, day=DAY + dt.timedelta(days=11)))
    assert guard("S6", facts(notices=notices, day=DAY + dt.timedelta(days=12)))
    assert guard("S6", facts(notices=notices, day=DAY + dt.timedelta(days=13))) == []


# --- S10, S14 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fit", [None, False])
def test_S10_refuses_a_member_not_confirmed_fit(fit: bool | None) -> None:
    family = (member("P1", "F1"), member("P2", "F1", relationship="spouse", medical_fit=fit))
    assert guard("S10", facts(members=family, medical_confirmed=True)) == [
        "medical fitness to travel not confirmed for P2"
    ]


def test_S10_needs_the_sign_off_to_confirm_fitness() -> None:
    assert guard("fit_confirmed", facts(medical_confirmed=False)) == [
        "the sign-off does not confirm medical fitness to travel"
    ]
    assert guard("fit_confirmed", facts(medical_confirmed=True)) == []


def test_S10_reads_the_members_as_recorded_on_the_day_not_the_sign_off() -> None:
    """Issue 13, finding 3: a person recorded unfit after clearance was scheduled and arrived.
    The member check stands on its own, so schedule and transfer run it without a sign-off."""
    unfit = (member(medical_fit=False),)
    assert guard("S10", facts(members=unfit)) == ["medical fitness to travel not confirmed for P1"]
    assert guard("S10", facts()) == []
    for action in ("clear", "schedule", "transfer"):
        assert "S10" in BY_ACTION[action].guards, action


def test_S14_needs_a_named_sign_off() -> None:
    assert guard("S14", facts()) == ["clearance needs one supervisor's named sign-off"]
    assert guard("S14", facts(signed_by="sam")) == []


# --- Fear interview, schedule day, check-ins ---------------------------------------------------


def test_interview_must_be_scheduled_before_an_outcome() -> None:
    assert guard("interview", facts()) == ["no fear interview has been scheduled"]


def test_interview_must_have_been_held_before_an_outcome() -> None:
    later = NOW + dt.timedelta(hours=1)
    assert guard("interview", facts(interview_at=later)) == [
        "the fear interview is scheduled for 2026-01-12 10:00 UTC"
    ]
    assert guard("interview", facts(interview_at=NOW)) == []


def test_schedule_day_refuses_a_transfer_before_its_day() -> None:
    assert guard("schedule_day", facts()) == ["the transfer is scheduled for None"]
    tomorrow = DAY + dt.timedelta(days=1)
    assert guard("schedule_day", facts(scheduled_for=tomorrow)) == [
        "the transfer is scheduled for 2026-01-13"
    ]
    assert guard("schedule_day", facts(scheduled_for=DAY)) == []
    assert guard("schedule_day", facts(scheduled_for=DAY - dt.timedelta(days=1))) == []


def test_check_ins_must_all_be_recorded_before_closing() -> None:
    assert guard("check_ins", facts()) == ["check-ins not recorded: 30 days, 90 days, 180 days"]
    assert guard("check_ins", facts(check_ins_done=(30, 90))) == [
        "check-ins not recorded: 180 days"
    ]
    assert guard("check_ins", facts(check_ins_done=(180, 30, 90))) == []


def test_check_ins_fall_due_30_90_and_180_days_after_transfer() -> None:
    assert check_ins_due(dt.date(2026, 2, 1)) == [
        (30, dt.date(2026, 3, 3)),
        (90, dt.date(2026, 5, 2)),
        (180, dt.date(2026, 7, 31)),
    ]


# --- A move's guards together ------------------------------------------------------------------


def test_failures_lists_every_failing_guard_of_a_move_with_its_name() -> None:
    """A refused clearance says everything that is wrong at once, not just the first thing."""
    clear = BY_ACTION["clear"]
    suspended = agreement(status="suspended")
    reasons = failures(clear, facts(agreement=suspended, members=(member(medical_fit=None),)))
    assert [r.split(":")[0] for r in reasons] == ["S12", "S6", "S10", "S10", "S14"]


def test_failures_pass_a_clearance_when_every_fact_holds() -> None:
    ready = facts(
        day=DAY + dt.timedelta(days=11),
        notices=(served(on=DAY),),
        medical_confirmed=True,
        signed_by="sam",
    )
    assert failures(BY_ACTION["clear"], ready) == []


def test_failures_leave_the_quota_to_the_service() -> None:
    assert failures(BY_ACTION["accept"], facts()) == []
