"""A page that makes a move reads and checks its whole form first, and the move and the page
drawn after it are one transaction: a refusal, or a failure after the move, writes nothing.
Each case is one that once answered 500 (after writing, for the first)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from accord.db import unit_of_work
from accord.models import AuditEvent, LedgerEntry, ProposalItem
from accord.proposals import pages as proposal_pages
from tests.web.pages_support import signed_in
from tests.web.support import World

REVOKE = {"reason_code": "other", "reason_text": "documents withdrawn"}


def written(world: World, item_id: int) -> tuple[str, int, int]:
    """The item's state, and how many audit events and ledger rows there are."""
    with unit_of_work(world.store.sessions) as session:
        item = session.get(ProposalItem, item_id)
        assert item is not None
        return (
            item.state,
            session.execute(select(func.count()).select_from(AuditEvent)).scalar_one(),
            session.execute(select(func.count()).select_from(LedgerEntry)).scalar_one(),
        )


def test_a_review_row_with_a_bad_pool_id_is_refused_before_the_move(world: World) -> None:
    rita, item = signed_in(world, "rita"), world.items["F-A1"]
    before = written(world, item)
    for pool_id, status in (("x", 422), ("²", 422), ("99999999999999999999999", 422)):
        answer = rita.htmx(f"/items/{item}/revoke", {**REVOKE, "pool_id": pool_id})
        assert answer.status_code == status, answer.text
        assert "pool_id" in answer.text
        assert written(world, item) == before
    elsewhere = rita.htmx(f"/items/{item}/revoke", {**REVOKE, "pool_id": str(world.pool + 1)})
    assert elsewhere.status_code == 404
    assert written(world, item) == before


def test_a_failure_after_the_move_undoes_it(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    rita, item = signed_in(world, "rita"), world.items["F-A1"]
    before = written(world, item)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the row could not be drawn")

    monkeypatch.setattr(proposal_pages, "_pool_context", broken)
    answer = rita.htmx(f"/items/{item}/revoke", {**REVOKE, "pool_id": str(world.pool)})
    assert answer.status_code == 500
    assert "nothing was written" in answer.text
    assert written(world, item) == before  # still accepted, its places still held
    monkeypatch.undo()
    done = rita.htmx(f"/items/{item}/revoke", {**REVOKE, "pool_id": str(world.pool)})
    assert done.status_code == 200, done.text
    assert written(world, item)[0] == "revoked"


def test_a_refused_move_in_a_row_shows_why_and_writes_nothing(world: World) -> None:
    rita, item = signed_in(world, "rita"), world.items["F-A3"]
    before = written(world, item)
    answer = rita.htmx(f"/items/{item}/revoke", {**REVOKE, "pool_id": str(world.pool)})
    assert answer.status_code == 409  # a proposed family cannot be revoked
    assert f'id="item-{item}"' in answer.text
    assert written(world, item)[0] == before[0] == "proposed"
    assert written(world, item)[2] == before[2]


@pytest.mark.parametrize("days", ["abc", "²", "٣٠", "99999999999999999999999", ""])
def test_a_check_in_with_days_that_are_not_a_number_is_refused(world: World, days: str) -> None:
    sam, item = signed_in(world, "sam"), world.items["F-A1"]
    before = written(world, item)
    answer = sam.post(
        f"/items/{item}/check-in", {"days": days, "note": "seen", "audience": "sender"}
    )
    assert answer.status_code == 422, answer.text
    assert "days" in answer.text
    assert written(world, item) == before


@pytest.mark.parametrize("chosen", ["²", "٣", "x", "99999999999999999999999"])
def test_a_pool_decision_for_an_item_that_is_not_an_id_is_refused(
    world: World, chosen: str
) -> None:
    rita = signed_in(world, "rita")
    before = written(world, world.items["F-A3"])
    answer = rita.post(f"/pools/{world.pool}/decide", {"decision": "accept", "item": chosen})
    assert answer.status_code == 422, answer.text
    assert "item_id" in answer.text
    assert written(world, world.items["F-A3"]) == before


@pytest.mark.parametrize(
    "path", ["/items/99999999999999999999999", "/pools/99999999999999999999999", "/items/0"]
)
def test_an_id_past_the_databases_integers_is_refused_on_a_page(world: World, path: str) -> None:
    answer = signed_in(world, "sam").get(path)
    assert answer.status_code == 422
    assert "less than or equal to 2147483647" in answer.text or "greater than" in answer.text


def test_the_what_if_box_refuses_a_rule_nested_too_deep_where_it_goes_too_deep(
    world: World,
) -> None:
    sam = signed_in(world, "sam")
    answer = sam.post(
        "/agreements/demo-xk-year/what-if",
        {"criterion_id": "deep", "expr": "not " * 490 + "age >= 18"},
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 200
    assert "deep:1:129: the rule nests more than 32 levels deep here" in answer.text


@pytest.mark.parametrize("criterion_id", ["<b>x</b>", "1st", "a b"])
def test_the_what_if_box_refuses_an_id_the_registry_would_not_take(
    world: World, criterion_id: str
) -> None:
    sam = signed_in(world, "sam")
    answer = sam.post(
        "/agreements/demo-xk-year/what-if", {"criterion_id": criterion_id, "expr": "age >= 18"}
    )
    assert answer.status_code == 422
    assert "criterion_id" in answer.text
    assert "<b>x</b>" not in answer.text  # not echoed as markup either


def test_a_day_past_the_calendar_is_refused_where_the_next_day_was_counted(
    world: World,
) -> None:
    for path in ("/audit?until=9999-12-31", "/agreements/demo-xk-year/ledger?on=9999-12-31"):
        answer = world.get(path, "sam")
        assert answer.status_code == 422, (path, answer.text)
        assert "a day from 1900-01-01 to 2999-12-31" in answer.text
    page = signed_in(world, "sam").get("/audit", params={"until": "9999-12-31"})
    assert page.status_code == 400
    assert "until" in page.text
