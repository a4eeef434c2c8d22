"""Alembic migrations of the talkwatch schema (run through :mod:`storage.migrate`, no alembic.ini needed)."""
