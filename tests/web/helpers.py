"""Reading the dashboard's HTML in tests."""

from __future__ import annotations

import html
import re
from typing import Any

from sqlalchemy import select

from storage.models import Article, Thread
from storage.store import Store


def text_of(page: bytes | str) -> str:
    body = page.decode("utf-8") if isinstance(page, bytes) else page
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


def get_ok(client: Any, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.data[:500])
    return response.data.decode("utf-8")


def article_id(store: Store, key: str) -> int:
    with store.db.session() as s:
        value = s.scalar(select(Article.id).where(Article.key == key))
    assert value is not None, key
    return value


def thread_id(store: Store, title_start: str) -> int:
    with store.db.session() as s:
        value = s.scalar(select(Thread.id).where(Thread.title.startswith(title_start)).order_by(Thread.id))
    assert value is not None, title_start
    return value
