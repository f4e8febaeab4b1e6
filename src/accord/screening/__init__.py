"""Screening: may this person be proposed to this receiver on this day, and if not, exactly why."""
