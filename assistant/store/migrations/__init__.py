"""Alembic migrations of the store (run programmatically by ``assistant.store.migrate``)."""
