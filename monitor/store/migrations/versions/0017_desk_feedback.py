"""Triage from Slack: the verdicts editors give alerts (alert_feedback), and the
(incident, slot) pairs they muted (slot_mute).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_feedback",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alert_id", sa.Integer(), sa.ForeignKey("alert.id"), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("user_name", sa.Text()),
        sa.Column("verdict", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("alert_id", "user_id", "verdict", name="uq_alert_feedback_vote"),
    )
    op.create_index("ix_alert_feedback_alert_id", "alert_feedback", ["alert_id"])
    op.create_index("ix_alert_feedback_verdict", "alert_feedback", ["verdict"])
    op.create_table(
        "slot_mute",
        sa.Column("incident_id", sa.Text(), primary_key=True),
        sa.Column("slot", sa.Text(), primary_key=True),
        sa.Column("alert_id", sa.Integer(), sa.ForeignKey("alert.id")),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("user_name", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("slot_mute")
    op.drop_table("alert_feedback")
