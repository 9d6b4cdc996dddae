"""Spent JWT ids: one replay record for every worker and instance of the service.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30

The primary key (iss, jti) is what makes the check atomic: a token is accepted by whichever
insert of its (iss, jti) wins, on any worker of any instance. `expires_at` (Unix seconds,
the token's exp plus the clock-skew leeway) says when the row may be purged.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jwt_seen",
        sa.Column("iss", sa.String(1024), primary_key=True),
        sa.Column("jti", sa.String(256), primary_key=True),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_jwt_seen_expires_at", "jwt_seen", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_jwt_seen_expires_at", table_name="jwt_seen")
    op.drop_table("jwt_seen")
