"""The incident kinds, defined once (`accord.records.vocabulary`), and every list of them
derived: the service's, the API body's pattern, the command line's choices, the page's form."""

from __future__ import annotations

from typing import get_args

from accord.monitoring.schemas import IncidentIn
from accord.monitoring.service import INCIDENT_KINDS, SUSPENDING
from accord.records.vocabulary import INCIDENT_KIND_NAMES, IncidentKind, SuspendingKind


def test_every_incident_kind_is_named_once_in_its_order() -> None:
    assert INCIDENT_KINDS == get_args(IncidentKind) == ("onward_removal", "ill_treatment", "other")
    assert tuple(INCIDENT_KIND_NAMES) == INCIDENT_KINDS
    assert SUSPENDING == set(get_args(SuspendingKind)) < set(INCIDENT_KINDS)


def test_the_api_body_takes_exactly_the_kinds() -> None:
    pattern = IncidentIn.model_json_schema()["properties"]["kind"]["pattern"]
    assert pattern == "^(onward_removal|ill_treatment|other)$"
