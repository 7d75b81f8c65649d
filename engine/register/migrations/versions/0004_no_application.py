"""Paying without application (免申即享), budgets and application windows: the items the office pays so, the
cases, the budgets, the windows.
Defined in engine/matching/office_tables.py."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payable_items",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("rule_id", sa.String(120), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("rules_digest", sa.String(64), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("set_at", sa.DateTime, nullable=False),
        sa.Column("set_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "waiver_cases",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("applicant_pk", sa.Integer, sa.ForeignKey("applicants.pk"), nullable=False),
        sa.Column("rule_id", sa.String(120), nullable=False),
        sa.Column("decision_pk", sa.Integer, sa.ForeignKey("decisions.pk"), nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("department", sa.String(200), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("listed_at", sa.DateTime, nullable=False),
        sa.Column("answered_at", sa.DateTime, nullable=True),
        sa.Column("answered_by", sa.String(200), nullable=True),
        sa.Column("pay_by", sa.Date, nullable=True),
        sa.Column("paid_at", sa.DateTime, nullable=True),
        sa.Column("award_pk", sa.Integer, sa.ForeignKey("awards.pk"), nullable=True),
    )
    op.create_index("ix_waiver_cases_applicant_rule", "waiver_cases", ["applicant_pk", "rule_id"])
    op.create_table(
        "budgets",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("department", sa.String(200), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("set_at", sa.DateTime, nullable=False),
        sa.Column("set_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "application_windows",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("rule_id", sa.String(120), nullable=False),
        sa.Column("opens", sa.Date, nullable=False),
        sa.Column("closes", sa.Date, nullable=False),
        sa.Column("set_at", sa.DateTime, nullable=False),
        sa.Column("set_by", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("application_windows")
    op.drop_table("budgets")
    op.drop_index("ix_waiver_cases_applicant_rule", table_name="waiver_cases")
    op.drop_table("waiver_cases")
    op.drop_table("payable_items")
