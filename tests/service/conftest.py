"""The service's own tables live outside ``storage.models``: give every test a fresh set of them too."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from storage import Store
from storage.health import metadata as service_metadata


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    store = Store(db_url)
    service_metadata.drop_all(store.engine)
    store.create_schema()
    service_metadata.create_all(store.engine)
    yield store
    store.dispose()
