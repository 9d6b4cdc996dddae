"""What the service keeps: issued cards, feedback, the report, and the database migrations."""
