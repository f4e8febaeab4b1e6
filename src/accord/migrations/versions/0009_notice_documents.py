"""Notices are documents: the templates they are typeset from (one per language and version,
draft or approved by a named person), and on each notice the template, the inputs, the hash of
the document served, and the interpreter who read it where it was read.

Notices recorded before this revision have no document: they keep their record of service.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notice_templates",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("loaded_by", sa.String(length=128), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(length=128), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approval_note", sa.Text(), nullable=True),
        sa.UniqueConstraint("language", "version"),
    )
    json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    with op.batch_alter_table("notices") as batch:
        batch.add_column(sa.Column("template_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("interpreter", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("read_in", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("document_inputs", json, nullable=True))
        batch.add_column(sa.Column("document_sha256", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("renderer", sa.String(length=64), nullable=True))
        batch.create_foreign_key(
            "fk_notices_template_id", "notice_templates", ["template_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("notices") as batch:
        batch.drop_constraint("fk_notices_template_id", type_="foreignkey")
        for column in (
            "renderer",
            "document_sha256",
            "document_inputs",
            "read_in",
            "interpreter",
            "template_id",
        ):
            batch.drop_column(column)
    op.drop_table("notice_templates")
