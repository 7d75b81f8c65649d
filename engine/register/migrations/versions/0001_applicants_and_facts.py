"""The register's first schema: applicants, their facts over time, and individuals' personal facts apart."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _fact_columns() -> list[sa.Column]:
    return [
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("applicant_pk", sa.Integer, sa.ForeignKey("applicants.pk"), nullable=False),
        sa.Column("field", sa.String(80), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("period_start", sa.Date, nullable=True),
        sa.Column("period_end", sa.Date, nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("source_kind", sa.String(20), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("source_file", sa.String(500), nullable=True),
        sa.Column("source_row", sa.Integer, nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "applicants",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ref", sa.String(200), nullable=False, unique=True),
        sa.Column("holder", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("city", sa.String(40), nullable=False),
        sa.Column("base_pk", sa.Integer, sa.ForeignKey("applicants.pk"), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("forgotten_at", sa.DateTime, nullable=True),
    )
    op.create_table("facts", *_fact_columns(), sa.UniqueConstraint(
        "applicant_pk", "field", "period_start", "period_end", "version", name="uq_fact_version"))
    op.create_index("ix_facts_applicant_field", "facts", ["applicant_pk", "field"])
    op.create_table("personal_facts", *_fact_columns(), sa.UniqueConstraint(
        "applicant_pk", "field", "period_start", "period_end", "version", name="uq_personal_fact_version"))
    op.create_index("ix_personal_facts_applicant_field", "personal_facts", ["applicant_pk", "field"])


def downgrade() -> None:
    op.drop_table("personal_facts")
    op.drop_table("facts")
    op.drop_table("applicants")
