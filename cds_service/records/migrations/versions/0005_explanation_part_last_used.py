"""Explanation parts are deleted once unused: each part row says the last day a snapshot was written naming it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

`explanation_part.last_used` (a UTC day): the writer sets it on the first snapshot it writes naming
the part on a day (`cds_service/records/store.py` says why that makes the deletion safe). Rows already
there get the day of the upgrade, and so do the rows an older process still running inserts (the
column's default): a part is then kept at least the retention period past the upgrade. The
downgrade drops the column; part rows are never deleted by the code before this revision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite cannot ADD COLUMN with the default CURRENT_DATE: the (small) table is copied instead.
    with op.batch_alter_table("explanation_part", recreate="always" if op.get_bind().dialect.name == "sqlite" else "auto") as batch:
        batch.add_column(sa.Column("last_used", sa.Date(), nullable=False, server_default=sa.text("CURRENT_DATE")))


def downgrade() -> None:
    with op.batch_alter_table("explanation_part") as batch:
        batch.drop_column("last_used")
