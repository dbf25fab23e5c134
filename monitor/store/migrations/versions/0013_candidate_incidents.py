"""Candidate incidents: shootings that fit the watch rule and no tracked incident, each
followed under its own id (city and date) from the article that first reported it.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-10
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "candidate_incident",
        sa.Column("incident_id", sa.Text(), primary_key=True),
        sa.Column("city", sa.Text(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("shooter", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("agency", sa.Text()),
        sa.Column("names_json", sa.Text(), nullable=False, server_default="[]"),
        sa.Column("first_article_id", sa.Integer(), sa.ForeignKey("article.id"), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_candidate_incident_date", "candidate_incident", ["date"])


def downgrade() -> None:
    op.drop_table("candidate_incident")
