"""Population frames built by Polars straight from stored records (JSON), no Python per person.

Stored records are canonical exchange-format JSON (`PersonRecord.model_dump_json()`: every
field present, lists empty rather than absent). Reading them with Polars' JSON reader and
deriving the safeguard facts and the minimized view as column expressions is what lets a
million people be screened in seconds. The results equal `population_facts(records)` and
`minimized_frame(records)` built from validated records (tested).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from accord.records.columns import PERSON_COLUMNS
from accord.rules.fields import frame_schema, list_view, whole_years_expr
from accord.safeguards.predicates import PROTECTING_STATUSES


@dataclass(frozen=True)
class PopulationFacts:
    """The sender-side facts the safeguards read, built once per population.

    One row per person in `people` (input order; `row` is the position). Lists are kept as
    long frames of (row, value) rather than list columns: Polars builds flat columns from
    Python values many times faster than nested ones, and joins on them are just as quick.
    """

    people: pl.DataFrame
    nationalities: pl.DataFrame
    protected: pl.DataFrame
    fear_claims: pl.DataFrame

    def rows_where(self, frame: pl.DataFrame, condition: pl.Expr) -> pl.Expr:
        """True for people with at least one entry in `frame` meeting `condition`."""
        hits = frame.filter(condition).get_column("row").unique()
        return pl.col("row").is_in(hits.implode())


SCREENED_FIELDS = (
    "case_id",
    "family_id",
    "relationship",
    "given_name",
    "family_name",
    "aliases",
    "birth_date",
    "sex",
    "nationalities",
    "languages",
    "sender_status",
    "removal_order",
    "protection",
    "fear_claims",
    "appeal_pending",
    "stay_of_removal",
    "convictions",
    "detention_incidents",
    "vulnerabilities",
    "age_disputed",
    "travel_document",
    "assessments",
)
"""The parts of a record screening reads; the rest of each document is skipped by the reader."""

RECORD_SCHEMA: dict[str, pl.DataType] = {name: PERSON_COLUMNS[name] for name in SCREENED_FIELDS}
"""Those fields' columns, typed as the record's own (`accord.records.columns`), which the
Parquet people files are written with too."""


def people_frame(records_json: Sequence[str]) -> pl.DataFrame:
    """One row per stored record, in the order given."""
    if not records_json:
        return pl.DataFrame(schema=RECORD_SCHEMA)
    text = "\n".join(records_json).encode()
    return pl.read_ndjson(io.BytesIO(text), schema=RECORD_SCHEMA).with_row_index("row")


def people_frame_from_parquet(path: Path) -> pl.DataFrame:
    """One row per person from a Parquet people file in the exchange schema (DESIGN §7).

    Parquet is columnar: only the columns screening reads are decoded, which is what makes a
    million-person what-if a matter of seconds. The file must already have passed validation
    (`accord people import` or `read_people`); this reads, it does not check.
    """
    frame = pl.read_parquet(path, columns=list(RECORD_SCHEMA))
    return frame.select(
        pl.col(name).cast(dtype) for name, dtype in RECORD_SCHEMA.items()
    ).with_row_index("row")


def facts_from_frame(people: pl.DataFrame, on: dt.date) -> PopulationFacts:
    element = pl.element().struct
    base = people.select(
        pl.col("row").cast(pl.Int64),
        "family_id",
        "relationship",
        "birth_date",
        "age_disputed",
        "sender_status",
        stateless=pl.col("nationalities").list.len() == 0,
        removal_status=pl.col("removal_order").struct.field("status").fill_null("none"),
        protection_pending=pl.col("protection")
        .list.eval(element.field("status") == "pending")
        .list.any(),
        appeal_pending="appeal_pending",
        stay_of_removal="stay_of_removal",
        vulnerable=pl.col("vulnerabilities").list.len() > 0,
        s8_assessed=pl.col("assessments")
        .list.eval((element.field("rule") == "S8") & (element.field("date") <= pl.lit(on)))
        .list.any(),
    ).with_columns(age=whole_years_expr(pl.col("birth_date"), on))
    rows = people.select(pl.col("row").cast(pl.Int64), "nationalities", "protection", "fear_claims")
    nationalities = (
        rows.select("row", country="nationalities").explode("country").drop_nulls("country")
    )
    protected = (
        rows.select("row", "protection")
        .explode("protection")
        .drop_nulls("protection")
        .unnest("protection")
        .filter(pl.col("status").is_in(sorted(PROTECTING_STATUSES)))
        .select("row", country="against")
        .unique(maintain_order=True)
    )
    fear = (
        rows.select("row", "fear_claims")
        .explode("fear_claims")
        .drop_nulls("fear_claims")
        .unnest("fear_claims")
        .select("row", "country", "outcome", "decided")
    )
    return PopulationFacts(base, nationalities, protected, fear)


def minimized_from_frame(people: pl.DataFrame, on: dt.date) -> pl.DataFrame:
    """The minimized view, column for column as `minimized_frame` builds it from records."""
    document = pl.col("travel_document").struct
    schema = frame_schema()
    derived = {
        "age": whole_years_expr(pl.col("birth_date"), on),
        "family_size": pl.len().over("family_id").cast(pl.Int64),
        "travel_document_type": document.field("type"),
        "travel_document_country": document.field("country"),
        "travel_document_expires": document.field("expires"),
        "convictions": list_view("convictions"),
        "detention_incidents": list_view("detention_incidents"),
    }
    return people.select(
        (derived[name] if name in derived else pl.col(name)).cast(dtype).alias(name)
        for name, dtype in schema.items()
    )
