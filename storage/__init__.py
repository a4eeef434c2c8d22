"""Storage: :class:`storage.store.Store` holds a :class:`~storage.database.Database` and one repository per
concern (``store.articles``, ``store.fetches``, ``store.threads``, ``store.alerts``, ``store.copies``,
``store.runs``). Storage knows tables and queries; the crawler decides what the texts mean."""

from storage.store import AlertView, ArticleText, DueVisit, SaveResult, Store, ThreadRow

__all__ = ["AlertView", "ArticleText", "DueVisit", "SaveResult", "Store", "ThreadRow"]
