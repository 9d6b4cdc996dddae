"""Alembic migrations of the card store; `cds_service.store.migrate` applies them (`upgrade head`)."""
