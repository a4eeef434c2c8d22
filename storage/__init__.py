"""Storage: :class:`storage.store.Store` holds a :class:`~storage.database.Database` and one repository per
concern (``store.articles``, ``store.fetches``, ``store.threads``, ``store.alerts``, ``store.copies``,
``store.runs``). Storage knows tables and queries; the crawler decides what the texts mean.

Import from the modules (``from storage.store import Store``): the package itself loads nothing, so a
command that needs one repository (``talkwatch status``: the run log and the fetch log) does not import
the ORM behind the others."""
