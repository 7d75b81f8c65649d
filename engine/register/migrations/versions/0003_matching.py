"""The matching's tables: each run, the facts each applicant's evaluation read, every decision, and the pushes
(each applicant's inbox). Defined in engine/matching/tables.py."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "match_runs",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("rules_digest", sa.String(64), nullable=False),
        sa.Column("rule_prints", sa.Text, nullable=False),
        sa.Column("engine_version", sa.String(40), nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("last_fact", sa.Integer, nullable=False),
        sa.Column("last_personal_fact", sa.Integer, nullable=False),
        sa.Column("last_award", sa.Integer, nullable=False),
        sa.Column("last_applicant", sa.Integer, nullable=False),
        sa.Column("evaluated", sa.Integer, nullable=False),
        sa.Column("pushed", sa.Integer, nullable=False),
        sa.Column("reasons", sa.Text, nullable=False),
    )
    op.create_table(
        "match_snapshots",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_pk", sa.Integer, sa.ForeignKey("match_runs.pk"), nullable=False),
        sa.Column("applicant_pk", sa.Integer, sa.ForeignKey("applicants.pk"), nullable=False),
        sa.Column("facts", sa.Text, nullable=False),
        sa.Column("awards", sa.Text, nullable=False),
    )
    op.create_index("ix_match_snapshots_applicant", "match_snapshots", ["applicant_pk", "run_pk"])
    op.create_table(
        "decisions",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_pk", sa.Integer, sa.ForeignKey("match_runs.pk"), nullable=False),
        sa.Column("applicant_pk", sa.Integer, sa.ForeignKey("applicants.pk"), nullable=False),
        sa.Column("rule_id", sa.String(120), nullable=False),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("amount_kind", sa.String(20), nullable=True),
        sa.Column("amount_fen", sa.BigInteger, nullable=True),
        sa.Column("missing", sa.Text, nullable=True),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("rules_digest", sa.String(64), nullable=False),
        sa.Column("engine_version", sa.String(40), nullable=False),
        sa.Column("current", sa.Boolean, nullable=False),
    )
    op.create_index("ix_decisions_current", "decisions", ["applicant_pk", "rule_id", "current"])
    op.create_index("ix_decisions_digest", "decisions", ["rules_digest"])
    op.create_index("ix_decisions_run", "decisions", ["run_pk"])
    op.create_table(
        "pushes",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_pk", sa.Integer, sa.ForeignKey("match_runs.pk"), nullable=False),
        sa.Column("applicant_pk", sa.Integer, sa.ForeignKey("applicants.pk"), nullable=False),
        sa.Column("rule_id", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("applicant_pk", "key", name="uq_push_once"),
    )
    op.create_index("ix_pushes_run", "pushes", ["run_pk"])


def downgrade() -> None:
    for index, table in (("ix_pushes_run", "pushes"), ("ix_decisions_run", "decisions"),
                         ("ix_decisions_digest", "decisions"), ("ix_decisions_current", "decisions"),
                         ("ix_match_snapshots_applicant", "match_snapshots")):
        op.drop_index(index, table_name=table)
    for table in ("pushes", "decisions", "match_snapshots", "match_runs"):
        op.drop_table(table)
