"""``talkwatch serve``: the analyst's desk — talks, their timelines, article histories with diffs,
edits, search, crawl health and Atom feeds, as server-rendered pages over the same database."""

from crawler.web.app import create_app

__all__ = ["create_app"]
