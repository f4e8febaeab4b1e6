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

from accord.config import Settings
from accord.web.app import create_app
from tests.web.support import World, running

EXAMPLES = 8
# Case records are read by the same rules as people files: a CSV cell "yes" is a true boolean,
# so the import accepts such coercible values; and rules across fields (a pending claim has no
# decision date) are not in the document. Its answers are still checked against their schemas.
PEOPLE_LAX = [negative_data_rejection, positive_data_acceptance]
schema = schemathesis.openapi.from_dict(create_app(Settings(database_url="sqlite://")).openapi())


@pytest.fixture
def sqlite_world(tmp_path: Path) -> Iterator[World]:
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
    excluded = PEOPLE_LAX if case.operation.path == "/api/v1/people" else []
    case.validate_response(response, excluded_checks=excluded)
