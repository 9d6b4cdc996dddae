"""Explanation snapshots stored compactly: what the snapshots of one rule set share, stored once.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

A snapshot of payload version 2 names its part (the rule set with its parameters and the rule
library's comment of each definition, ~5 KB, the same in every snapshot of one rule set) by
the SHA-256 of the part's bytes instead of holding a copy (`cds_service/records/snapshot.py`).
Version 1 rows are read as they are. A downgrade deletes the version 2 rows, which the code
before this revision cannot read (their pages then answer 404, as an expired snapshot's).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "explanation_part",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("body", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.get_bind().execute(sa.text("DELETE FROM explanation WHERE payload LIKE :layout"), {"layout": '{"version":2,%'})
    op.drop_table("explanation_part")
