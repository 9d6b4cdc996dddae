"""Explanation snapshots: what a card's "Why?" page shows, kept for a few days.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30

One row per issued card that has an explanation page: the evaluation behind it as JSON
(`payload`), its language, and when it may be deleted (`expires`, indexed: the service
deletes expired rows with one DELETE a minute). Deleting an issued card deletes its snapshot.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "explanation",
        sa.Column("card_uuid", sa.String(64), sa.ForeignKey("issued_card.card_uuid", ondelete="CASCADE"), primary_key=True),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("expires", sa.DateTime(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
    )
    op.create_index("ix_explanation_expires", "explanation", ["expires"])


def downgrade() -> None:
    op.drop_index("ix_explanation_expires", table_name="explanation")
    op.drop_table("explanation")
