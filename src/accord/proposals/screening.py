"""Screening against the registry and the stored people. Reads only; never commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.orm import Session

from accord.agreements.service import stored_agreement, stored_agreements
from accord.cases.service import stored_people
from accord.screening.batch import screen_population
from accord.screening.results import ScreeningResult
from accord.screening.single import Screen


def screen_stored(
    session: Session, agreement_ids: Sequence[str], on: dt.date
) -> list[ScreeningResult]:
    """Screen every stored person against the given agreements (all when none are given)."""
    if agreement_ids:
        specs = [stored_agreement(session, agreement_id) for agreement_id in agreement_ids]
    else:
        specs = stored_agreements(session)
    return screen_population(stored_people(session), [Screen.of(s) for s in specs], on)
