"""The service: APScheduler 3 with its jobs in the project database.

Jobs (ids are stable, so a restarted monitor finds its schedule again):

- ``crawl:<outlet>``: one crawl of the outlet every ``interval_minutes`` (config), in its own process
  (:func:`crawler.service.crawl.run_crawl`: Twisted's reactor cannot restart in-process) with a timeout;
- ``revisit``: re-fetch the articles the revisit schedule says are due (``crawler.service.revisit``), one
  ``revisit=only`` crawl per outlet that has some, to catch quiet edits;
- ``report``: write the report files and deliver to every configured channel.

Every job has ``max_instances=1`` and ``coalesce=True`` with a misfire grace time; a process-wide lock per
outlet also keeps a revisit from running beside a crawl of the same outlet, and the outlet's crawl lock
(the lease ``crawl:<outlet>``, held and renewed by the crawl process itself: ``crawler.crawllock.CrawlLock``)
keeps any crawl of it away while another lives, also an orphan of a monitor that died.

One monitor per database schedules: it holds the ``monitor`` lease (``storage.lease``) and renews it; a
second monitor exits with a clear message, or with ``--standby`` waits and takes over when the lease runs
out (at once when the leader was a process of this host that died). A monitor's crawls stop with it
(``crawler.extensions.StopWithParent``). Runs left ``running`` are marked ``interrupted`` only when no live
crawl holds their lock (at start and at every lease renewal); a report run that a crash cut short is run
again at once, so a delivery is made at least once (with the same idempotency key when the alerts are the
same). Each run is recorded in
``service_runs`` (outcome, exit status, Scrapy's ``talkwatch/*`` stats, health from the fetch log).
Job functions are module-level and take plain data, because SQLAlchemyJobStore pickles references.

Shutdown (SIGTERM, SIGINT): no new runs start; a running crawl process gets SIGTERM, which makes Scrapy
close the spider cleanly (items already stored are committed one by one, so nothing finished is lost),
and the run is recorded as ``interrupted`` with the stats it had.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from crawler.errors import ConfigError, describe_error
from crawler.extensions import recorded_stats
from crawler.runtime import new_run_id
from crawler.secrets import mask_secrets
from crawler.service.config import Config
from crawler.service.crawl import CrawlResult, run_crawl
from crawler.service.revisit import outlets_due
from storage import lease
from storage.db import database_url
from storage.health import run_health
from storage.migrate import ensure_schema
from storage.store import Store

log = logging.getLogger("talkwatch.monitor")

JOBS_TABLE = "apscheduler_jobs"
_OUTLET_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()
_ACTIVE_RUNS: set[str] = set()  # this process's runs in progress (a stale-run sweep leaves them alone)
STOPPING = threading.Event()  # set on shutdown: no new crawl starts, running ones are asked to stop


def _outlet_lock(outlet: str) -> threading.Lock:
    with _LOCKS_GUARD:
        return _OUTLET_LOCKS.setdefault(outlet, threading.Lock())


@contextmanager
def _active(run_id: str) -> Iterator[None]:
    with _LOCKS_GUARD:
        _ACTIVE_RUNS.add(run_id)
    try:
        yield
    finally:
        with _LOCKS_GUARD:
            _ACTIVE_RUNS.discard(run_id)


def active_runs() -> set[str]:
    with _LOCKS_GUARD:
        return set(_ACTIVE_RUNS)


def _store(config: Config) -> Store:
    store = Store(database_url(config.database_url or None))
    ensure_schema(store.db.engine)
    return store


# --- job functions (module level: the job store pickles references to them) ---------------------------

def crawl_job(outlet: str, config_data: dict[str, Any], revisit: bool = False) -> str:
    """One crawl of ``outlet``; returns the run's outcome."""
    config = Config.from_dict(config_data)
    job = f"{'revisit' if revisit else 'crawl'}:{outlet}"
    if STOPPING.is_set():
        return "skipped"
    lock = _outlet_lock(outlet)
    if not lock.acquire(blocking=False):
        log.info("%s: skipped, a crawl of %s is still running", job, outlet)
        return "skipped"
    try:
        store = _store(config)  # inside the try: a database that is down must not keep the lock
        try:
            busy = store.leases.live_holder(lease.crawl_lease(outlet))
            if busy is not None:  # a crawl of another process (an orphan, `talkwatch crawl`) runs
                log.info("%s: skipped, a crawl of %s is still running (%s)", job, outlet, busy.holder)
                return "skipped"
            return _run_crawl(store, config, outlet, job, revisit)
        finally:
            store.db.dispose()
    finally:
        lock.release()


def revisit_job(config_data: dict[str, Any]) -> None:
    """Revisit the due articles of every enabled outlet that has some,
    one outlet after the other, each as a ``revisit=only`` crawl recorded like any other run."""
    config = Config.from_dict(config_data)
    store = _store(config)
    try:
        waiting = outlets_due(store, outlets=[o.name for o in config.enabled_outlets()])
    finally:
        store.db.dispose()
    if not waiting:
        log.info("revisit: no article is due")
        return
    log.info("revisit: due %s", ", ".join(f"{name} {count}" for name, count in waiting.items()))
    for outlet in waiting:
        if STOPPING.is_set():
            return
        crawl_job(outlet, config_data, revisit=True)


def report_job(config_data: dict[str, Any]) -> None:
    """Write the report files and deliver to every channel."""
    config = Config.from_dict(config_data)
    store = _store(config)
    run_id = new_run_id("report")
    with _active(run_id):
        _report(store, config, run_id)


def _report(store: Store, config: Config, run_id: str) -> None:
    from crawler.service.delivery import deliver_all, write_report_files

    store.runs.start(run_id, "report")
    try:
        # the report files and each channel are independent: an unwritable report folder is told in
        # the run's record (an alarm), and every channel is still tried
        try:
            paths = write_report_files(store, Path(config.report_dir), config.report_formats, config=config)
            files_error = None
        except OSError as exc:
            paths, files_error = [], f"report files not written: {describe_error(exc)}"
            log.error("report: %s", files_error)
        results = deliver_all(store, config)
        failed = [r.channel for r in results if r.outcome == "failed"]
        message = (files_error or f"wrote {', '.join(str(p) for p in paths) or 'no files'}") + "; " + (
            "; ".join(f"{r.channel}: {r.outcome}" for r in results) or "no delivery channels")
        store.runs.finish(run_id, "failed" if failed or files_error else "ok",
                          stats={"channels": len(results), "failed": len(failed), "files": len(paths)},
                          message=message)
        log.info("report: %s", message)
    except Exception as exc:
        log.exception("report failed")
        store.runs.finish(run_id, "failed", message=f"{type(exc).__name__}: {exc}"[:500])
    finally:
        store.db.dispose()


def _run_crawl(store: Store, config: Config, outlet: str, job: str, revisit: bool) -> str:
    run_id = new_run_id(job)
    with _active(run_id):
        return _run_recorded_crawl(store, config, outlet, job, revisit, run_id)


def _run_recorded_crawl(store: Store, config: Config, outlet: str, job: str, revisit: bool,
                        run_id: str) -> str:
    outlet_config = config.outlets[outlet]
    store.runs.start(run_id, job, outlet)
    log.info("%s: started (run %s)", job, run_id)
    started = time.monotonic()
    with _progress(store, job, run_id, started, config.progress_seconds):
        try:
            result = run_crawl(outlet, store.db.url, mirror_url=config.mirror_url or None,
                                  timeout=outlet_config.timeout_minutes * 60, run_id=run_id,
                                  spider_args={"revisit": "only"} if revisit else None)
        except Exception as exc:  # the run itself could not start
            log.exception("%s: could not run", job)
            store.runs.finish(run_id, "failed", message=f"{type(exc).__name__}: {exc}"[:500])
            return "failed"
    if result.locked_by:  # another crawl of the outlet started just before this one
        store.runs.finish(run_id, "skipped", result.returncode,
                   message=f"another crawl of {outlet} was running ({result.locked_by})")
        log.info("%s: skipped, a crawl of %s is still running (%s)", job, outlet, result.locked_by)
        return "skipped"
    # the crawl judged itself from its fetch log (storage errors included); a crawl that died did not
    health = result.health if "talkwatch/health" in result.stats else run_health(store.fetches, run_id)
    outcome = _outcome(result)
    stats = recorded_stats(result.stats)
    message = None if result.ok else (result.log_tail or "")[-1500:]
    store.runs.finish(run_id, outcome, result.returncode, stats, health.to_dict(), message)
    log.info("%s: %s in %.0f s — %s; health: %d pages, %d articles seen, %d blocked, %d errors",
             job, outcome, time.monotonic() - started, result.summary(), health.pages, health.items,
             health.blocked, health.errors)
    return outcome


def _outcome(result: CrawlResult) -> str:
    if result.timed_out:
        return "timeout"
    if STOPPING.is_set() or result.stats.get("finish_reason") == "shutdown":
        return "interrupted"
    return result.outcome


@contextmanager
def _progress(store: Store, job: str, run_id: str, started: float, every: float) -> Iterator[None]:
    """A progress line every ``every`` seconds while the crawl runs (from the fetch log)."""
    done = threading.Event()

    def report() -> None:
        while not done.wait(every):
            try:
                h = run_health(store.fetches, run_id)
            except Exception:  # a busy database must not end the crawl
                continue
            log.info("%s: running for %s — %d responses, %d articles seen, %d new, %d changed, "
                     "%d blocked so far",
                     job, _duration(time.monotonic() - started), h.pages, h.items, h.new_versions,
                     h.changed_versions, h.blocked)

    thread = threading.Thread(target=report, name=f"progress-{job}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=5)


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


# --- the scheduler ------------------------------------------------------------------------------------

MONITOR_LEASE = "monitor"
# how long a monitor killed with kill -9 keeps others from starting; renewed every third of it
LEASE_TTL = timedelta(seconds=60)


def desired_jobs(config: Config) -> dict[str, dict[str, Any]]:
    """Job id → add_job keyword arguments, from the config."""
    data = config.to_dict()
    jobs: dict[str, dict[str, Any]] = {}
    for outlet in config.enabled_outlets():
        jobs[f"crawl:{outlet.name}"] = {"func": crawl_job, "args": [outlet.name, data],
                                        "minutes": outlet.interval_minutes}
    if config.revisit_enabled:
        jobs["revisit"] = {"func": revisit_job, "args": [data], "minutes": config.revisit_minutes}
    jobs["report"] = {"func": report_job, "args": [data], "minutes": config.report_minutes}
    return jobs


def build_scheduler(config: Config, store: Store) -> BackgroundScheduler:
    workers = len(config.enabled_outlets()) + 2
    return BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=store.db.engine, tablename=JOBS_TABLE)},
        executors={"default": ThreadPoolExecutor(workers)},
        job_defaults={"max_instances": 1, "coalesce": True,
                      "misfire_grace_time": int(config.misfire_grace_minutes * 60)},
        timezone=UTC,
    )


def install_jobs(scheduler: BackgroundScheduler, config: Config, now: datetime | None = None) -> list[str]:
    """Add or update the configured jobs and drop the ones no longer configured.

    A job whose interval and arguments did not change keeps its next run time (a restart does not recrawl
    everything); a new job runs at once, staggered by a few seconds so the outlets do not all start together.
    """
    now = now or datetime.now(UTC)
    wanted = desired_jobs(config)
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            log.info("job %s is no longer configured: removed", job.id)
            job.remove()
    changes: list[str] = []
    for index, (job_id, spec) in enumerate(wanted.items()):
        trigger = IntervalTrigger(minutes=spec["minutes"], timezone=UTC)
        existing = scheduler.get_job(job_id)
        if (existing is not None and isinstance(existing.trigger, IntervalTrigger)
                and existing.trigger.interval == trigger.interval and list(existing.args) == spec["args"]
                and existing.func is spec["func"]):
            continue
        first = now + timedelta(seconds=3 * index) if existing is None else None
        scheduler.add_job(spec["func"], trigger=trigger, args=spec["args"], id=job_id, name=job_id,
                          replace_existing=True, next_run_time=first or (now + trigger.interval))
        changes.append(job_id)
    return changes


def run_monitor(config: Config, stop: threading.Event | None = None, install_signals: bool = True,
                standby: bool = False, lease_ttl: timedelta = LEASE_TTL) -> int:
    """Run the scheduler until SIGTERM/SIGINT (or ``stop`` is set); then shut down cleanly.

    Another monitor holding the database's lease: exit with a :class:`ConfigError`, or with ``standby``
    wait until its lease runs out (it died) and take over."""
    stop = stop or threading.Event()
    STOPPING.clear()
    if install_signals:
        _install_signals(stop)
    store = _store(config)
    holder = lease.this_process()
    if not _lead(store, holder, lease_ttl, stop, standby):
        store.db.dispose()
        return 0  # stopped while a standby
    renewer = threading.Thread(target=_keep_lease, args=(store, holder, stop, lease_ttl),
                               name="monitor-lease", daemon=True)
    renewer.start()
    stale = _sweep(store)
    scheduler = build_scheduler(config, store)
    scheduler.start(paused=True)
    changed = install_jobs(scheduler, config)
    if any(job == "report" for _, job in stale) and scheduler.get_job("report") is not None:
        # a crash cut a delivery short: what it may not have sent goes out now (at least once)
        log.warning("the last report run was cut short: reporting again now")
        scheduler.modify_job("report", next_run_time=datetime.now(UTC))
    scheduler.resume()
    log.info("monitor started: database %s; %s", mask_secrets(store.db.url),
                ", ".join(f"{o.name} every {o.interval_minutes:g} min" for o in config.enabled_outlets()))
    if changed:
        log.info("jobs added or updated: %s", ", ".join(changed))
    for job in scheduler.get_jobs():
        when = f"{job.next_run_time:%Y-%m-%d %H:%M:%S %Z}" if job.next_run_time else "-"
        log.info("next %s at %s", job.id, when)
    try:
        while not stop.wait(1.0):
            pass
    finally:
        shutdown(scheduler, config.stop_grace_seconds)
        store.leases.release(MONITOR_LEASE, holder)
        store.db.dispose()
    log.info("monitor stopped")
    return 0


def _install_signals(stop: threading.Event) -> None:
    def on_signal(signum: int, _frame: Any) -> None:
        log.info("%s received: stopping (running crawls are asked to finish cleanly)",
                 signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)


def _lead(store: Store, holder: str, ttl: timedelta, stop: threading.Event, standby: bool) -> bool:
    """Take the monitor lease; as a standby, wait for it. ``False``: stopped while waiting."""
    told = False
    while not store.leases.acquire(MONITOR_LEASE, holder, ttl):
        held = store.leases.current(MONITOR_LEASE)
        who = (f"{held.holder}, lease until {held.expires_at:%Y-%m-%d %H:%M:%S} UTC" if held
               else "another process")
        if not standby:
            store.db.dispose()
            raise ConfigError(f"another monitor is running on this database ({who}); not starting a "
                              "second one (it would crawl and deliver everything twice); "
                              "--standby waits and takes over when it stops")
        if not told:
            log.info("standby: another monitor is running on this database (%s); taking over when its "
                     "lease runs out", who)
            told = True
        if stop.wait(min(5.0, ttl.total_seconds() / 4)):
            return False
    if told:
        log.info("standby: the lease is ours, taking over")
    return True


def _sweep(store: Store) -> list[tuple[str, str]]:
    """Close the runs a dead process left ``running`` (never one whose crawl still holds its lock)."""
    stale = store.runs.close_stale(spared=set(active_runs()) | store.leases.held_run_ids())
    if stale:
        log.warning("%d run(s) left running by a process that died: marked interrupted (%s)", len(stale),
                    ", ".join(run_id for run_id, _ in stale))
    return stale


def _keep_lease(store: Store, holder: str, stop: threading.Event, ttl: timedelta = LEASE_TTL) -> None:
    """Renew the lease while the monitor runs, and close runs whose crawl died; a monitor that lost the
    lease (another took over after a long stall) stops rather than schedule beside the new one."""
    while not stop.wait(ttl.total_seconds() / 3):
        try:
            kept = store.leases.acquire(MONITOR_LEASE, holder, ttl)
        except Exception:  # a database hiccup: try again at the next renewal, well before the lease ends
            log.warning("could not renew the monitor lease; retrying", exc_info=True)
            continue
        if not kept:
            log.error("the monitor lease was taken over by another monitor: stopping")
            stop.set()
            return
        try:
            _sweep(store)
        except Exception:
            log.warning("could not look for stale runs; trying again later", exc_info=True)


def shutdown(scheduler: BackgroundScheduler, grace_seconds: float = 60.0) -> None:
    STOPPING.set()
    scheduler.pause()  # nothing new starts
    children = crawl_children()
    for pid in children:
        _signal(pid, signal.SIGTERM)
    if children:
        log.info("asked %d running crawl(s) to stop: pids %s", len(children), ", ".join(map(str, children)))
    deadline = time.monotonic() + grace_seconds
    while crawl_children() and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in crawl_children():
        log.warning("crawl pid %d did not stop within %.0f s: killed", pid, grace_seconds)
        _signal(pid, signal.SIGKILL)
    scheduler.shutdown(wait=True)  # job threads record their runs before we go


def crawl_children() -> list[int]:
    """Our child processes that are Scrapy crawls (found in /proc; run_crawl does not hand out its Popen)."""
    me = os.getpid()
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid != me:
                continue
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError, IndexError):
            continue
        if b"scrapy" in argv and b"crawl" in argv:
            found.append(int(entry.name))
    return found


def _signal(pid: int, signum: int) -> None:
    with suppress(ProcessLookupError):
        os.kill(pid, signum)
