"""Schemathesis against the OpenAPI document, bounded: a fixed number of generated requests per
operation, in process, as a supervisor. No response is a 5xx, and every response matches the
status codes, content types and schemas the document declares."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, reject, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from accord.clock import SetClock
from accord.config import Settings
from accord.exchange import keys
from accord.web.app import create_app
from tests.proposals.support import START
from tests.web.support import World, running

EXAMPLES = 8
# Case records are read by the same rules as people files: a CSV cell "yes" is a true boolean,
# so the import accepts such coercible values; and rules across fields (a pending claim has no
# decision date) are not in the document. Its answers are still checked against their schemas.
PEOPLE_LAX = [negative_data_rejection, positive_data_acceptance]
# The exchange's inbox takes any string the document allows, and refuses (422) every one that is
# not a message sealed to this deployment by a registered peer: no generated string is.
LAX = {"/api/v1/people": PEOPLE_LAX, "/api/v1/exchange/inbox": [positive_data_acceptance]}
schemathesis.serializer.alias("application/jose", "text/plain")  # a sealed message is text
schema = schemathesis.openapi.from_dict(create_app(Settings(database_url="sqlite://")).openapi())


@pytest.fixture
def sqlite_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """The world, on a deployment with exchange keys (its inbox opens what it is sent)."""
    keys.init(tmp_path / "keys.json", "XK", SetClock.on(START).now())
    monkeypatch.setenv("ACCORD_KEYS_FILE", str(tmp_path / "keys.json"))
    with running(f"sqlite:///{tmp_path / 'accord.db'}", tmp_path) as world:
        yield world


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_answers_as_its_document_says(case: Any, sqlite_world: World) -> None:
    kwargs = case.as_transport_kwargs(
        base_url="https://testserver", headers=sqlite_world.as_("sam")
    )
    kwargs.pop("cookies", None)  # the token signs the caller in; a generated cookie is noise
    if isinstance(kwargs.get("data"), str | bytes):
        kwargs["content"] = kwargs.pop("data")  # raw bodies, as the test client names them
    try:
        response = sqlite_world.client.request(**kwargs)
    except UnicodeEncodeError:
        reject()  # a header no HTTP client can send: not a request the API can receive
    assert response.status_code < 500, response.text
    excluded = LAX.get(case.operation.path, [])
    if response.status_code == 413:  # a body over the server's limit is refused unread
        excluded = [*excluded, negative_data_rejection]
    case.validate_response(response, excluded_checks=excluded)
