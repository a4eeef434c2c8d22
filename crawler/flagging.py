"""Flag one stored version: decide its topic label, file it into its event thread, raise its alerts (and,
for a version stored without them, bring the near-duplicate index, copies and flashes up to date).

Used by the flag pipeline, for each version it stores and for the backlog a stopped crawl left; it
needs only the Store and the topic classifier, not Scrapy.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from crawler.topics.classifier import TopicDecision, classify
from crawler.topics.threads import file_thread, plan_thread
from storage.store import Store
from storage.threads import UnflaggedVersion

log = logging.getLogger(__name__)

# labels whose edits an analyst wants to hear about
TRACKED_LABELS = {"ministerial", "related"}


def warm_up() -> None:
    """Load the vocabulary and compile its patterns (~0.2 s), so the first article does not wait."""
    classify("日米外相会談", "", published=None)


def flag_version(store: Store, version: UnflaggedVersion, index: bool = False) -> TopicDecision:
    """Decide, file into a thread and raise the alerts of one stored version, in one transaction; with
    ``index``, index its text too (:meth:`storage.syndication.Copies.plan_version_index`), in the same
    transaction.

    A first version (``seq`` 1) raises "new" when it opens a thread; a later one raises "changed" when
    it or the version before it carried a tracked label. A full story joining the thread its jiji 速報
    opened raises no follow-up: the flash's "new" alert stands for it (reports show the full story under
    it, see :meth:`storage.alerts.Alerts.alert_views`)."""
    text = "\n".join(part for part in (version.lead, version.body) if part)
    decision = classify(version.title, text, published=version.published, lang=version.lang)
    terms, explanation = [term.to_dict() for term in decision.terms], decision.explain()
    first = version.seq == 1
    with store.db.unit():
        # every read before the first write: SQLite holds its write lock from a transaction's first write
        # to its commit, and a report or another crawl waits for it meanwhile.
        # A first version's article was created with it, without a label.
        previous_label = None if first else store.articles.label_of(version.key)
        index_plan = store.copies.plan_version_index(version) if index else None
        thread_plan = plan_thread(store.threads, version.key, version.outlet, decision, version.published)
        flash_threads = (
            store.threads.flash_threads(version.article_id, index_plan.flashes if index_plan else None)
            if first and thread_plan.join is not None
            else set()
        )
        if index_plan is not None:
            store.copies.write_version_index(index_plan)
        store.threads.record_decision(version.article_id, version.version_id, decision.label, decision.score,
                                      terms, explanation)
        assignment = file_thread(store.threads, thread_plan)
        thread_id = assignment.thread.id if assignment.thread else None
        if first and assignment.is_new_thread:
            store.alerts.add_alert("new", version.article_id, version.version_id, thread_id)
        elif assignment.is_follow_up and thread_id not in flash_threads:
            store.alerts.add_alert("follow-up", version.article_id, version.version_id, thread_id)
        if not first and TRACKED_LABELS & {decision.label, previous_label}:
            store.alerts.add_alert("changed", version.article_id, version.version_id, thread_id)
    if decision.label == "ministerial":
        log.info("flagged %s: %s", version.key, explanation)
    return decision


@dataclass
class FlagTally:
    """What :func:`flag_backlog` did, and the last version it looked at."""

    decided: int = 0
    flagged: int = 0  # decided ministerial
    failed: int = 0
    last_version_id: int = 0


def flag_backlog(store: Store, outlet: str, tally: FlagTally, limit: int = 200) -> int:
    """Index and flag up to ``limit`` of the outlet's unflagged versions stored after
    ``tally.last_version_id``, in the order they were stored; how many it looked at (0: none left).
    Whoever stored them may have left the indexing to this step; indexing twice changes nothing."""
    batch = store.threads.unflagged_versions(outlet, limit=limit, after_id=tally.last_version_id)
    for version in batch:
        try:
            decision = flag_version(store, version, index=True)
        except Exception:  # one version the flag cannot handle must not hold up the others
            log.exception("could not flag %s version %d", version.key, version.seq)
            tally.failed += 1
        else:
            tally.decided += 1
            tally.flagged += decision.label == "ministerial"
        tally.last_version_id = version.version_id
    return len(batch)
