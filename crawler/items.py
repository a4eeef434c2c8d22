"""Items the spiders yield: an article page that parsed, or one that did not."""

from __future__ import annotations

from dataclasses import dataclass

from crawler.outlets.base import ParsedArticle


@dataclass
class ArticleItem:
    article: ParsedArticle
    fetch_id: int | None = None  # the fetch log row of the response it came from
    snapshot_sha: str | None = None
    # set by the pipelines on the way down
    fingerprint: str | None = None
    article_id: int | None = None
    version_id: int | None = None
    save_status: str | None = None  # new, changed


@dataclass
class RejectedPage:
    """A page that is not an article version: it is logged and recorded, never stored as text."""

    outlet: str
    url: str
    reason: str
    fetch_id: int | None = None
    # how title, date and body were found (``field_paths``) when the page was an article the parser
    # could not complete; ``None`` when it was no article at all (consent step, error page, index)
    fields: dict[str, str] | None = None
