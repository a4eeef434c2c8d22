"""What makes a version: the article text storage is given, whether it differs from the latest version,
and the new version row with its diff. Used by both writers of versions, :meth:`Articles.save_version
<storage.articles.Articles.save_version>` and the re-extraction in :mod:`storage.rebuild`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from storage.diff import version_diff
from storage.models import Version
from storage.normalize import normalized_parts


@dataclass(frozen=True)
class ArticleText:
    """What storage needs of a parsed article (``ParsedArticle`` fits)."""

    outlet: str
    stable_key: str
    canonical_url: str
    url: str
    title: str
    published: str | None
    modified: str | None
    description: str | None
    paragraphs: list[str]
    lang: str
    body_complete: bool
    sources: dict[str, str]
    kind: str = "article"  # or "flash": a short story the full story that follows replaces

    @property
    def key(self) -> str:
        return f"{self.outlet}:{self.stable_key}"

    @property
    def body(self) -> str:
        return "\n".join(self.paragraphs)

    @classmethod
    def of(cls, parsed: Any) -> ArticleText:
        fields = cls.__dataclass_fields__
        return cls(**{name: getattr(parsed, name) for name in fields if hasattr(parsed, name)})


class StoredText(Protocol):
    """The text columns of a version (a ``Version`` row or a selected row of them)."""

    @property
    def title(self) -> str: ...
    @property
    def lead(self) -> str | None: ...
    @property
    def body(self) -> str: ...


class LatestVersion(StoredText, Protocol):
    @property
    def seq(self) -> int: ...


def compare(previous: StoredText | None, text: ArticleText) -> str | None:
    """"unchanged" (the same raw text), "trivial" (the same once normalized) or None (new or changed)."""
    if previous is None:
        return None
    old = (previous.title, previous.lead or "", previous.body)
    if old == (text.title, text.description or "", text.body):
        return "unchanged"
    # compared on the normalized text, not the stored fingerprint: a fingerprint made by an older
    # normalization must not turn a trivial change into a version
    if normalized_parts(previous.title, previous.lead, [previous.body]) == normalized_parts(
            text.title, text.description, text.paragraphs):
        return "trivial"
    return None


def new_version(article_id: int, previous: LatestVersion | None, text: ArticleText, fp: str,
                snapshot_sha: str | None, seq: int | None = None) -> Version:
    """A version with its diff to ``previous``, change kind and size."""
    body = text.body
    if previous is None:
        diff: dict[str, Any] = {}
        kind, added, removed = "first", len(body), 0
    else:
        diff, kind, added, removed = version_diff(
            {"title": previous.title, "lead": previous.lead or "", "body": previous.body},
            {"title": text.title, "lead": text.description or "", "body": body},
        )
    return Version(
        article_id=article_id, seq=seq or ((previous.seq + 1) if previous else 1), fingerprint=fp,
        title=text.title, lead=text.description, body=body, published=text.published,
        modified=text.modified, body_complete=text.body_complete, change_kind=kind,
        chars_added=added, chars_removed=removed, diff=diff, url=text.url,
        snapshot_sha=snapshot_sha, sources=dict(text.sources),
    )


_VERSION_COLUMNS = [(c.key, c.nullable) for c in Version.__table__.columns if c.key != "id"]


def version_columns(version: Version) -> dict[str, Any]:
    """The values an INSERT of ``version`` writes (unset ones take their column defaults)."""
    values = {name: (getattr(version, name), nullable) for name, nullable in _VERSION_COLUMNS}
    return {name: value for name, (value, nullable) in values.items() if value is not None or nullable}
