"""The purge of expired explanation snapshots finds them by index: `explanation.created` is indexed.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06

A snapshot is deleted past its `expires` or once older than the retention now configured
(`created`; a shortened retention applies to snapshots written under the longer one). With only
`expires` indexed, that OR scanned the whole table once a minute while holding the write lock
(about 90 ms of CPU at 77,000 snapshots); with both indexed, SQLite and PostgreSQL search each
index and join the results. The index costs a few microseconds a snapshot written.
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_explanation_created", "explanation", ["created"])


def downgrade() -> None:
    op.drop_index("ix_explanation_created", table_name="explanation")
