"""Card store: issued cards, their suggestions, and feedback on them.

Revision ID: 0001
Revises:
Create Date: 2026-01-20

The unique key on card_feedback (card, outcome, outcomeTimestamp) is what makes feedback
idempotent: clients may send the same item again, from any instance, at any time.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "issued_card",
        sa.Column("card_uuid", sa.String(64), primary_key=True),
        sa.Column("service_id", sa.String(128), nullable=False),
        sa.Column("advice_code", sa.String(128), nullable=False),
        sa.Column("patient_ref", sa.String(300), nullable=False),
        sa.Column("hook_instance", sa.String(300), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_issued_card_issued_at", "issued_card", ["issued_at"])
    op.create_table(
        "card_suggestion",
        sa.Column("card_uuid", sa.String(64), sa.ForeignKey("issued_card.card_uuid", ondelete="CASCADE"), primary_key=True),
        sa.Column("suggestion_uuid", sa.String(64), primary_key=True),
    )
    op.create_table(
        "card_feedback",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("card_uuid", sa.String(64), sa.ForeignKey("issued_card.card_uuid", ondelete="CASCADE"), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("outcome_at", sa.DateTime(), nullable=False),
        sa.Column("accepted_suggestions", sa.Text(), nullable=True),
        sa.Column("reason_system", sa.Text(), nullable=True),
        sa.Column("reason_code", sa.Text(), nullable=True),
        sa.Column("reason_display", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("card_uuid", "outcome", "outcome_at", name="uq_card_feedback_card_outcome_time"),
    )


def downgrade() -> None:
    op.drop_table("card_feedback")
    op.drop_table("card_suggestion")
    op.drop_index("ix_issued_card_issued_at", table_name="issued_card")
    op.drop_table("issued_card")
