"""Long matcher runs as jobs: the jobs' table, and on PostgreSQL the job queue's own schema.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 16:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    op.create_table(
        "matcher_jobs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("params", json, nullable=False),
        sa.Column("requested_by", sa.String(length=128), nullable=False),
        sa.Column("requested_role", sa.String(length=16), nullable=False),
        sa.Column("requested_party", sa.String(length=16), nullable=True),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("progress", json, nullable=False),
        sa.Column("result", json, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("worker", sa.String(length=128), nullable=True),
    )
    op.create_index("ix_matcher_jobs_state", "matcher_jobs", ["state"])
    if op.get_bind().dialect.name == "postgresql":
        from procrastinate.schema import SchemaManager

        op.execute(sa.text(SchemaManager.get_schema()))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """DO $$ DECLARE f record; BEGIN
               DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers,
                   procrastinate_jobs, procrastinate_workers CASCADE;
               FOR f IN SELECT oid::regprocedure AS signature FROM pg_proc
                        WHERE proname LIKE 'procrastinate\\_%' LOOP
                   EXECUTE 'DROP FUNCTION ' || f.signature || ' CASCADE';
               END LOOP;
               DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_event_type,
                   procrastinate_job_status CASCADE;
               END $$"""
        )
    op.drop_table("matcher_jobs")
