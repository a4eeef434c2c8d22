"""Bring a database to the current schema."""

from __future__ import annotations

from storage.store import Store


def ensure_schema(store: Store) -> None:
    store.create_schema()
