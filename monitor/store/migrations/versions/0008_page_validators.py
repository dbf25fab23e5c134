"""The validators and hash of each article's page as last fetched, for cheap re-checks.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("article") as batch:
        batch.add_column(sa.Column("page_etag", sa.Text()))
        batch.add_column(sa.Column("page_last_modified", sa.Text()))
        batch.add_column(sa.Column("page_hash", sa.Text()))


def downgrade() -> None:
    with op.batch_alter_table("article") as batch:
        batch.drop_column("page_hash")
        batch.drop_column("page_last_modified")
        batch.drop_column("page_etag")
