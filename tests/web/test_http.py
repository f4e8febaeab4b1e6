"""The API's HTTP behaviour: sessions and CSRF, tokens, sign-in limits, idempotent retries,
problem details, security headers, size limits, the access log and the OpenAPI document."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from sqlalchemy import func, select

from accord.db import unit_of_work
from accord.models import AuditEvent, LedgerEntry
from accord.web.logs import JsonLines
from tests.web.support import PASSWORD, World


def login(world: World, username: str, password: str = PASSWORD) -> tuple[int, dict[str, str]]:
    response = world.client.post(
        "/api/v1/session", json={"username": username, "password": password}
    )
    body = response.json()
    return response.status_code, body


def audit_count(world: World, action: str) -> int:
    with unit_of_work(world.store.sessions) as session:
        return session.execute(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
        ).scalar_one()


# --- Sessions and CSRF ------------------------------------------------------------------------


def test_a_session_cookie_is_secure_httponly_and_strict(world: World) -> None:
    response = world.client.post("/api/v1/session", json={"username": "rita", "password": PASSWORD})
    assert response.status_code == 200
    cookie = response.headers["set-cookie"].lower()
    for flag in ("httponly", "secure", "samesite=strict", "path=/"):
        assert flag in cookie
    assert response.json()["role"] == "reviewer" and response.json()["party"] == "XK"
    me = world.client.get("/api/v1/session")
    assert me.json() == {
        "username": "rita",
        "role": "reviewer",
        "party": "XK",
        "via": "session",
        "scopes": ["read", "write"],
    }


def test_a_state_changing_request_of_a_session_needs_its_csrf_token(world: World) -> None:
    status, body = login(world, "rita")
    assert status == 200
    item = world.items["F-A3"]
    refused = world.client.post(f"/api/v1/items/{item}/accept")
    assert refused.status_code == 403
    assert "X-CSRF-Token" in refused.json()["detail"]
    wrong = world.client.post(
        f"/api/v1/items/{item}/accept", headers={"X-CSRF-Token": "not-the-token"}
    )
    assert wrong.status_code == 403
    done = world.client.post(
        f"/api/v1/items/{item}/accept", headers={"X-CSRF-Token": body["csrf_token"]}
    )
    assert done.status_code == 200, done.text
    assert done.json()["to_state"] == "accepted"


def test_signing_out_ends_the_session_on_the_server(world: World) -> None:
    _, body = login(world, "olga")
    cookie = world.client.cookies.get("accord_session")
    out = world.client.delete("/api/v1/session", headers={"X-CSRF-Token": body["csrf_token"]})
    assert out.status_code == 204
    world.client.cookies.set("accord_session", cookie or "", domain="testserver")
    again = world.client.get("/api/v1/session")
    assert again.status_code == 401
    assert again.headers["content-type"] == "application/problem+json"


def test_an_idle_session_expires(world: World) -> None:
    login(world, "olga")
    assert world.client.get("/api/v1/session").status_code == 200
    world.clock.at += dt.timedelta(minutes=31)
    assert world.client.get("/api/v1/session").status_code == 401


# --- Sign-in limits and the audit of failures -------------------------------------------------


def test_failed_sign_ins_are_audited_and_limited_per_account(world: World) -> None:
    for _ in range(5):
        status, body = login(world, "olga", "wrong password!!")
        assert status == 401
        assert body["detail"] == "unknown username or wrong password"
    status, body = login(world, "olga")  # the right password, too late
    assert status == 429
    assert audit_count(world, "login.failed") == 5
    world.clock.at += dt.timedelta(minutes=16)
    assert login(world, "olga")[0] == 200


def test_an_unknown_user_is_refused_like_a_wrong_password(world: World) -> None:
    status, body = login(world, "nobody")
    assert (status, body["detail"]) == (401, "unknown username or wrong password")


# --- Tokens -----------------------------------------------------------------------------------


def test_an_admin_issues_a_scoped_token_that_expires_and_can_be_revoked(world: World) -> None:
    issued = world.post(
        "/users/mona/tokens", "ada", {"name": "monitor tool", "scopes": ["read"], "expires_days": 1}
    )
    assert issued.status_code == 201, issued.text
    token = issued.json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert world.client.get("/api/v1/agreements", headers=headers).status_code == 200
    write = world.client.post(
        "/api/v1/agreements/demo-xk-year/incidents",
        headers=headers,
        json={"kind": "other", "text": "a read-only token"},
    )
    assert write.status_code == 403
    assert "'write' scope" in write.json()["detail"]
    world.clock.at += dt.timedelta(days=1, seconds=1)
    assert world.client.get("/api/v1/agreements", headers=headers).status_code == 401

    second = world.post(
        "/users/mona/tokens", "ada", {"name": "again", "scopes": ["read"], "expires_days": 30}
    ).json()
    headers = {"Authorization": f"Bearer {second['token']}"}
    assert world.client.get("/api/v1/agreements", headers=headers).status_code == 200
    revoked = world.client.delete(f"/api/v1/tokens/{second['id']}", headers=world.as_("ada"))
    assert revoked.status_code == 200
    assert world.client.get("/api/v1/agreements", headers=headers).status_code == 401


def test_a_malformed_or_unknown_token_is_refused(world: World) -> None:
    for token in ("acc_1_nope", "garbage", world.tokens["olga"] + "x"):
        response = world.client.get(
            "/api/v1/agreements", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401


def test_users_are_added_by_an_admin_with_argon2_hashes(world: World) -> None:
    added = world.post(
        "/users",
        "ada",
        {"username": "omar", "password": "another long password", "role": "officer", "party": "US"},
    )
    assert added.status_code == 201, added.text
    assert "password" not in added.text
    assert login(world, "omar", "another long password")[0] == 200
    again = world.post(
        "/users",
        "ada",
        {"username": "omar", "password": "another long password", "role": "officer", "party": "US"},
    )
    assert again.status_code == 409


# --- Idempotent retries -----------------------------------------------------------------------


def ledger_rows(world: World) -> int:
    with unit_of_work(world.store.sessions) as session:
        return session.execute(select(func.count()).select_from(LedgerEntry)).scalar_one()


def test_a_retried_post_with_its_key_has_one_effect(world: World) -> None:
    item = world.items["F-A3"]
    before = ledger_rows(world)
    key = {"Idempotency-Key": "accept-a3-0001"}
    first = world.post(f"/items/{item}/accept", "rita", headers=key)
    second = world.post(f"/items/{item}/accept", "rita", headers=key)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert ledger_rows(world) == before + 1


def test_a_key_reused_for_another_request_is_refused(world: World) -> None:
    key = {"Idempotency-Key": "one-key-0001"}
    body = {"reason_code": "criteria", "reason_text": "first"}
    assert world.post(f"/items/{world.items['F-A3']}/reject", "rita", body, headers=key).is_success
    other = world.post(
        f"/items/{world.items['F-A3']}/reject",
        "rita",
        {**body, "reason_text": "second"},
        headers=key,
    )
    assert other.status_code == 409
    assert "Idempotency-Key" in other.json()["detail"]


def test_a_key_is_the_callers_own(world: World) -> None:
    """Two users may use the same key; each gets their own answer."""
    key = {"Idempotency-Key": "shared-key-0001"}
    accepted = world.post(f"/items/{world.items['F-A3']}/accept", "rita", headers=key)
    assert accepted.status_code == 200
    officer = world.post(
        f"/items/{world.items['F-A1']}/withdraw", "olga", {"reason": "withdrawn"}, headers=key
    )
    assert officer.status_code == 200
    assert officer.json()["to_state"] == "cancelled"


# --- Problems, headers, limits, the access log, the document ----------------------------------


def test_domain_errors_are_problem_details_with_their_status(world: World) -> None:
    missing = world.get("/items/999999", "olga")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["title"] == "Not found"
    assert missing.json()["instance"] == "/api/v1/items/999999"
    cap = world.post(f"/items/{world.items['F-A2']}/clear", "sam", {"medical_fit_confirmed": True})
    assert cap.status_code == 409
    assert cap.json()["title"] == "Illegal transition"


def test_only_a_malformed_payload_is_a_422(world: World) -> None:
    response = world.post(f"/items/{world.items['F-A3']}/reject", "rita", {"reason_code": 7})
    assert response.status_code == 422
    places = [p["place"] for p in response.json()["problems"]]
    assert "body.reason_code" in places
    for raw in (b"\xff\xfe", b"{not json"):
        headers = {**world.as_("rita"), "content-type": "application/json"}
        unreadable = world.client.post(
            f"/api/v1/items/{world.items['F-A3']}/reject", headers=headers, content=raw
        )
        assert unreadable.status_code == 422, raw
        assert unreadable.headers["content-type"] == "application/problem+json"
        assert unreadable.json()["title"] == "Malformed request"


def test_security_headers_on_every_response(world: World) -> None:
    for response in (world.get("/health", None), world.get("/agreements", "olga")):
        assert response.headers["content-security-policy"].startswith("default-src 'self'")
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["strict-transport-security"].startswith("max-age=")


def test_a_request_body_over_the_limit_is_refused(world: World) -> None:
    big = json.dumps({"reason": "x" * 1_100_000})
    response = world.client.post(
        f"/api/v1/items/{world.items['F-A1']}/withdraw",
        content=big,
        headers={**world.as_("olga"), "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["title"] == "Request too large"


def test_every_read_of_a_person_is_in_the_audit_log(world: World) -> None:
    before = audit_count(world, "person.read")
    assert world.get("/people/P1", "olga").status_code == 200
    assert world.get(f"/items/{world.items['F-A1']}", "rita").status_code == 200
    with unit_of_work(world.store.sessions) as session:
        reads = (
            session.execute(
                select(AuditEvent)
                .where(AuditEvent.action == "person.read")
                .order_by(AuditEvent.seq)
            )
            .scalars()
            .all()[before:]
        )
        assert [(e.actor, e.entity_id, e.data["view"]) for e in reads] == [
            ("olga", "P1", "full record"),
            ("rita", "A1", "minimized"),
        ]


def test_the_openapi_document_names_every_operation_and_its_problems(world: World) -> None:
    document = world.client.get("/api/v1/openapi.json").json()
    assert "ProblemDetails" in document["components"]["schemas"]
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            assert operation.get("summary"), (method, path)
            if operation["operationId"] not in ("health", "session.login"):
                assert "401" in operation["responses"], (method, path)
                assert "403" in operation["responses"], (method, path)


def test_the_access_log_names_the_route_never_its_values(world: World, caplog: Any) -> None:
    with caplog.at_level(logging.INFO, logger="accord.access"):
        assert world.get("/people/P1", "olga").status_code == 200
    [line] = [json.loads(r.getMessage()) for r in caplog.records if r.name == "accord.access"]
    assert line["operation"] == "people.get"
    assert (line["method"], line["status"]) == ("GET", 200)
    assert "P1" not in json.dumps(line) and "Example" not in json.dumps(line)


def test_log_lines_are_json_objects() -> None:
    formatter = JsonLines()
    access = logging.LogRecord("accord.access", logging.INFO, "", 0, '{"status": 200}', None, None)
    plain = logging.LogRecord("accord.web", logging.ERROR, "", 0, "started", None, None)
    assert json.loads(formatter.format(access))["status"] == 200
    assert json.loads(formatter.format(plain))["message"] == "started"
