"""The exchange over HTTP: a peer's sealed message into the receiver's inbox (applied once, a
replay answered as one, a changed byte refused with nothing but its audit event), the
receiver's reviewer deciding through the API, and the channels as its operators see them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from accord.web.security import MAX_BODY
from tests.exchange.api_support import Served, counts, serving, tampered
from tests.exchange.support import Pair
from tests.proposals.support import propose


@pytest.fixture
def xk(two: Pair) -> Iterator[Served]:
    with serving(two.receiver, two.clock) as served:
        yield served


def pool_tokens(two: Pair) -> list[str]:
    """The sender's pool of F-A1 and F-A2, sealed: the pool, then the ledger's statement."""
    propose(two.sender.store, two.clock, ["F-A1", "F-A2"])
    two.sender.sync(two.clock)
    return two.sender.outbox()


def test_a_pool_is_applied_once_and_its_replay_told(two: Pair, xk: Served) -> None:
    pool, _ = pool_tokens(two)
    first = xk.deliver(pool)
    assert first.status_code == 200, first.text
    answer = first.json()
    assert (answer["kind"], answer["outcome"], answer["released"]) == (
        "pool.proposed",
        "applied",
        [],
    )
    assert "2 families stored" in answer["detail"]
    again = xk.deliver(pool, json={"message": pool}, headers={})
    assert again.status_code == 200, again.text
    assert (again.json()["id"], again.json()["outcome"]) == (answer["id"], "replay")
    assert counts(two.receiver)["ReceivedItem"] == 2


def test_one_byte_changed_is_refused_and_only_audited(two: Pair, xk: Served) -> None:
    pool, _ = pool_tokens(two)
    before = counts(two.receiver)
    refused = xk.deliver(tampered(pool))
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert (problem["title"], problem["status"]) == ("Message refused", 422)
    assert problem["detail"]
    after = counts(two.receiver)
    assert after.pop("exchange.refused") == before.pop("exchange.refused", 0) + 1
    assert after == before


def test_the_inbox_takes_large_bodies_up_to_its_own_limit(two: Pair, xk: Served) -> None:
    over_the_usual = xk.deliver("x" * (MAX_BODY + 1))
    assert over_the_usual.status_code == 422  # read, and refused as no message
    too_large = xk.deliver("x" * (16 * 1024 * 1024 + 1))
    assert too_large.status_code == 413
    assert "16,777,216 bytes" in too_large.json()["detail"]
    other = xk.deliver("", content=b"<x/>", headers={"Content-Type": "application/xml"})
    assert other.status_code == 415
    malformed = xk.deliver("", json={"message": "x", "more": 1}, headers={})
    assert malformed.status_code == 422
    assert {p["place"] for p in malformed.json()["problems"]} == {"body.more"}


def test_a_deployment_without_keys_says_so(two: Pair, tmp_path: Path) -> None:
    with serving(two.receiver, two.clock, keys_file=tmp_path / "none.json") as bare:
        answer = bare.deliver("x.y.z")
        assert answer.status_code == 503
        assert answer.json()["detail"] == "this deployment has no exchange keys"
        assert str(tmp_path) not in answer.text
        assert bare.get("/received/items", "rita").status_code == 409


def test_the_reviewer_decides_and_the_decision_is_queued(two: Pair, xk: Served) -> None:
    for token in pool_tokens(two):
        assert xk.deliver(token).json()["outcome"] == "applied"
    listed = xk.get("/received/items", "rita", params={"agreement_id": "demo-xk-year"})
    assert listed.status_code == 200, listed.text
    page = listed.json()
    assert page["total"] == 2
    first = page["items"][0]
    assert first["state"] == "proposed" and first["sender"] == "US"
    assert [m["case_id"] for m in first["members"]] == ["A1"]
    assert "sender_status" not in first["members"][0]
    one = xk.get(f"/received/items/{first['id']}", "rita").json()
    assert one == first
    assert xk.get("/received/items", "rita", params={"state": "accepted"}).json()["total"] == 0

    decided = xk.post(f"/received/items/{first['id']}/decision", "rita", {"decision": "accept"})
    assert decided.status_code == 200, decided.text
    message_id = decided.json()["message_id"]
    assert xk.get(f"/received/items/{first['id']}", "rita").json()["state"] == "accepted"
    again = xk.post(f"/received/items/{first['id']}/decision", "rita", {"decision": "accept"})
    assert again.status_code == 409
    unreasoned = xk.post(
        f"/received/items/{page['items'][1]['id']}/decision", "rita", {"decision": "reject"}
    )
    assert unreasoned.status_code == 409
    assert xk.post(f"/received/items/{first['id']}/arrival", "rita").status_code == 409
    assert xk.get("/received/items/999999", "rita").status_code == 404

    queued = xk.get("/exchange/messages", "ada", params={"direction": "out", "state": "queued"})
    assert queued.status_code == 200, queued.text
    [row] = queued.json()["items"]
    assert (row["message_id"], row["kind"], row["from"], row["to"]) == (
        message_id,
        "decision",
        "XK",
        "US",
    )
    assert (row["agreement"], row["seq"], row["attempts"]) == ("demo-xk-year", 1, 0)
    assert "token" not in row and "body" not in row
    received = xk.get("/exchange/messages", "ada", params={"direction": "in"}).json()
    assert [r["kind"] for r in received["items"]] == ["ledger.statement", "pool.proposed"]


def test_only_our_own_reviewer_uses_the_received_routes(two: Pair, xk: Served) -> None:
    for token in pool_tokens(two):
        xk.deliver(token)
    [item, _] = xk.get("/received/items", "rita").json()["items"]
    routes = [
        ("GET", "/received/items", None),
        ("GET", f"/received/items/{item['id']}", None),
        ("POST", f"/received/items/{item['id']}/decision", {"decision": "accept"}),
        ("POST", f"/received/items/{item['id']}/arrival", None),
        ("POST", f"/received/items/{item['id']}/onward", {"outcome": "remained"}),
    ]
    for user in ("olga", "ruth", "ada"):
        for method, path, body in routes:
            answer = xk.client.request(method, f"/api/v1{path}", headers=xk.as_(user), json=body)
            assert answer.status_code == 403, (user, method, path, answer.text)
            assert "F-A1" not in answer.text
    assert xk.get("/exchange/messages", "olga").status_code == 403
    assert xk.get("/exchange/messages", "rita").status_code == 403
    assert xk.get("/received/items", "rita").json()["items"][0]["state"] == "proposed"
