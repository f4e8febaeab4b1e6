"""The API's HTTP behaviour: sessions and CSRF, tokens, sign-in limits, idempotent retries,
problem details, security headers, size limits, the access log and the OpenAPI document."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from collections.abc import Iterator
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import func, select

from accord.db import unit_of_work
from accord.models import AuditEvent, LedgerEntry
from accord.proposals import views
from accord.records.agreement import RuleId
from accord.web.logs import SERVER_LOGGER, JsonLines, configure
from tests.web.pages_support import signed_in
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
        json={"kind": "other", "text": "a read-only token", "audience": "shared"},
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
        f"/items/{world.items['F-A1']}/cancel", "olga", {"reason": "withdrawn"}, headers=key
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
        f"/api/v1/items/{world.items['F-A1']}/cancel",
        content=big,
        headers={**world.as_("olga"), "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["title"] == "Request too large"


def test_a_chunked_body_over_the_limit_is_refused_as_too_large(world: World) -> None:
    """A chunked body declares no length: it is counted as it is read, and refused with 413 as
    soon as it passes the limit (not as an unreadable body)."""

    def chunks() -> Iterator[bytes]:
        yield b'{"reason": "'
        for _ in range(1_100):
            yield b"x" * 1_000
        yield b'"}'

    before = ledger_rows(world)
    response = world.client.post(
        f"/api/v1/items/{world.items['F-A1']}/cancel",
        content=chunks(),
        headers={**world.as_("olga"), "content-type": "application/json"},
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413, response.text
    assert response.json()["title"] == "Request too large"
    assert response.headers["content-type"] == "application/problem+json"
    assert ledger_rows(world) == before
    sam = signed_in(world, "sam")
    page = sam.client.post(
        "/monitoring/incidents",
        content=(
            b"csrf_token=" + sam.csrf.encode() + b"&text=" + b"x" * 1_000 for _ in range(1_100)
        ),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert page.status_code == 413
    assert "Request too large" in page.text


def test_the_api_document_is_served_and_no_page_loads_a_script_from_elsewhere(
    world: World,
) -> None:
    """The interactive docs page loaded Swagger UI from a CDN, which the pages' own CSP refuses:
    there is no such page; the document itself is the contract."""
    assert world.client.get("/api/v1/docs").status_code == 404
    document = world.client.get("/api/v1/openapi.json")
    assert document.status_code == 200
    assert document.json()["info"]["title"] == "Accord"


def test_an_unexpected_error_is_logged_by_type_and_operation_never_by_its_values(
    world: World, caplog: Any, capsys: Any, monkeypatch: Any
) -> None:
    """A validation error's message quotes the value it refused (`input_value='<b>x</b>'`): it
    must reach no log, and the error must not leave the application for the server to log it
    with its traceback (the test client would raise it)."""

    def failing(*args: Any, **kwargs: Any) -> Any:
        TypeAdapter(RuleId).validate_python("<b>x</b>")

    monkeypatch.setattr(views, "item_view", failing)
    item = world.items["F-A1"]
    rita = signed_in(world, "rita")
    with caplog.at_level(logging.DEBUG):
        api = world.get(f"/items/{item}", "rita")
        page = rita.get(f"/items/{item}")
        fragment = rita.client.get(f"/items/{item}", headers={"HX-Request": "true"})
    assert (api.status_code, page.status_code, fragment.status_code) == (500, 500, 500)
    assert api.json()["detail"] == "the request failed; nothing was written"
    logged = [r.getMessage() for r in caplog.records]
    logged += [str(r.exc_info) for r in caplog.records if r.exc_info]
    assert "<b>x</b>" not in "\n".join(logged) + capsys.readouterr().err
    errors = [json.loads(m) for m in logged if '"unexpected error"' in m]
    assert [(e["error"], e["route"]) for e in errors] == [
        ("ValidationError", "items.get"),
        ("ValidationError", "pages.item"),
        ("ValidationError", "pages.item"),
    ]


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
            if operation["operationId"] not in ("health", "session.login", "exchange.inbox"):
                assert "401" in operation["responses"], (method, path)
                assert "403" in operation["responses"], (method, path)


def test_the_access_log_names_the_route_never_its_values(world: World, caplog: Any) -> None:
    with caplog.at_level(logging.INFO, logger="accord.access"):
        assert world.get("/people/P1", "olga").status_code == 200
    [line] = [json.loads(r.getMessage()) for r in caplog.records if r.name == "accord.access"]
    assert line["operation"] == "people.get"
    assert (line["method"], line["status"]) == ("GET", 200)
    assert "P1" not in json.dumps(line) and "Example" not in json.dumps(line)


def test_an_error_reaching_the_servers_log_is_named_by_its_type_alone() -> None:
    """Were an error to reach the server, its own log (formatted as Accord's) names its type:
    never the message, which quotes the value, nor the traceback."""
    try:
        TypeAdapter(RuleId).validate_python("<b>x</b>")
    except ValidationError:
        caught = sys.exc_info()
    record = logging.LogRecord(
        SERVER_LOGGER, logging.ERROR, "", 0, "Exception in ASGI application", None, caught
    )
    line = JsonLines().format(record)
    assert "<b>x</b>" not in line and "Traceback" not in line
    assert json.loads(line)["error"] == "ValidationError"
    server = logging.getLogger(SERVER_LOGGER)
    kept = (server.handlers[:], server.level, server.propagate)
    try:
        configure()
        assert [type(h.formatter) for h in server.handlers] == [JsonLines]
    finally:
        server.handlers[:], server.level, server.propagate = kept


def test_log_lines_are_json_objects() -> None:
    formatter = JsonLines()
    access = logging.LogRecord("accord.access", logging.INFO, "", 0, '{"status": 200}', None, None)
    plain = logging.LogRecord("accord.web", logging.ERROR, "", 0, "started", None, None)
    assert json.loads(formatter.format(access))["status"] == 200
    assert json.loads(formatter.format(plain))["message"] == "started"
