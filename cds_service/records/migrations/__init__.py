"""Alembic migrations of the card store; `cds_service.records.store.migrate` applies them (`upgrade head`)."""
