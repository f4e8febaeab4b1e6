"""Summaries of the pool of people, computed with Polars on plain columns."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from accord.records.person import PersonRecord


def population_frame(records: Sequence[PersonRecord]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "case_id": [r.case_id for r in records],
            "family_id": [r.family_id for r in records],
            "nationalities": [list(r.nationalities) for r in records],
            "sender_status": [r.sender_status for r in records],
            "removal_order": [r.removal_order.status for r in records],
            "protection_pending": [
                any(p.status == "pending" for p in r.protection) for r in records
            ],
            "protection_granted": [
                any(p.status == "granted" for p in r.protection) for r in records
            ],
        },
        schema_overrides={"nationalities": pl.List(pl.String)},
    )


def by_nationality(frame: pl.DataFrame, top: int = 12) -> pl.DataFrame:
    """People and families per nationality (a dual national counts under each); stateless apart."""
    exploded = frame.with_columns(
        pl.when(pl.col("nationalities").list.len() == 0)
        .then(pl.lit(["stateless"]))
        .otherwise(pl.col("nationalities"))
        .alias("nationality")
    ).explode("nationality")
    return (
        exploded.group_by("nationality")
        .agg(pl.len().alias("people"), pl.col("family_id").n_unique().alias("families"))
        .sort(["people", "nationality"], descending=[True, False])
        .head(top)
    )


def by_status(frame: pl.DataFrame) -> pl.DataFrame:
    """People per status in the sender and removal-order status."""
    return (
        frame.group_by("sender_status", "removal_order")
        .agg(
            pl.len().alias("people"),
            pl.col("protection_pending").sum().alias("protection pending"),
            pl.col("protection_granted").sum().alias("protection granted"),
        )
        .sort(["sender_status", "removal_order"])
    )
