"""Revisions, oldest first; each one says why the schema changed."""
