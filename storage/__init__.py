"""Storage behind one small API: :class:`storage.store.Store`."""

from storage.store import AlertView, ArticleText, DueVisit, SaveResult, Store, ThreadRow

__all__ = ["AlertView", "ArticleText", "DueVisit", "SaveResult", "Store", "ThreadRow"]
