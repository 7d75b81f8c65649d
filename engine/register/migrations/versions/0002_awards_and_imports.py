"""The awards ledger and the record of files imported."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "awards",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("applicant_pk", sa.Integer, sa.ForeignKey("applicants.pk"), nullable=False),
        sa.Column("rule_id", sa.String(120), nullable=False),
        sa.Column("programme", sa.String(200), nullable=True),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("quota_fen", sa.BigInteger, nullable=True),
        sa.Column("decision_date", sa.Date, nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_awards_applicant", "awards", ["applicant_pk"])
    op.create_table(
        "imports",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("file", sa.String(500), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("period", sa.String(20), nullable=True),
        sa.Column("imported_at", sa.DateTime, nullable=False),
        sa.Column("imported_by", sa.String(200), nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("rejected", sa.Integer, nullable=False),
        sa.Column("facts_new", sa.Integer, nullable=False),
        sa.Column("facts_changed", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("imports")
    op.drop_index("ix_awards_applicant", "awards")
    op.drop_table("awards")
