"""Celery workers: crawl one source per task and parse captures in batches, on many machines that
share one PostgreSQL database (raw bodies are in it too, so any worker can parse any capture).

A crawl task runs the same function the CLI and the scheduler use (jobs.tasks.crawl: the crawl in
its own `python -m jobs.crawl_process`), holding the cluster-wide lock of each host it will crawl;
a task whose host is busy is retried later, never run beside the other crawl. What a crawl
captured is parsed by a parse task, one at a time across the cluster. Tasks are acknowledged late
and rejected when their worker dies, so a killed worker's task runs again elsewhere; storing is
idempotent, so a task run twice stores nothing twice.

With no broker configured ([worker] broker_url = ""), none of this is used: `govreports serve`
crawls and parses in its own process.
"""
from __future__ import annotations

import functools
import logging
import os
import random
import socket
from dataclasses import dataclass
from typing import Any, Iterable, NoReturn, Sequence

from celery import Celery
from celery.exceptions import Retry
from sqlalchemy import select

from jobs import tasks
from jobs.config import Settings
from jobs.locks import (MIGRATE_LOCK, PARSE_LOCK, LockBusy, host_lock_names, lock, make_locks,
                        try_lock)
from storage import runs
from storage.db import Database
from storage.models import SchedulerEvent, Source

__all__ = ["TASK_CRAWL", "TASK_PARSE", "TASK_OCR", "WorkerError", "make_app", "serve_queues",
           "enqueue_crawl", "enqueue_parse", "enqueue_ocr", "run_worker", "cluster_status"]

log = logging.getLogger("govreports.worker")

TASK_CRAWL = "govreports.crawl_source"
TASK_PARSE = "govreports.parse_pending"
TASK_OCR = "govreports.ocr_pending"  # its own queue ([ocr] queue): OCR is slow and CPU-bound
# How far back a redelivered crawl task looks for a run that already did its work.
_DONE_LOOKBACK_RUNS = 20


class WorkerError(RuntimeError):
    """Worker mode cannot be used as configured; the message says what to set."""


# --------------------------------------------------------------------------- the app

@dataclass
class _State:
    """What tasks use in one worker process: opened on first use, after the pool's fork."""

    settings: Settings
    _db: Database | None = None
    _tokenizer: Any = None

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = tasks.open_db(self.settings, migrate=False)
        return self._db

    @property
    def tokenizer(self) -> Any:
        if self._tokenizer is None:
            from pipeline.tokens import make_tokenizer
            self._tokenizer = make_tokenizer(self.settings.search.tokenizer)
        return self._tokenizer

    def forget(self) -> None:
        """Drop what a forked child inherited: connections must not be shared across processes."""
        if self._db is not None:
            self._db.engine.dispose(close=False)
        self._db = None


def _transport_options(settings: Settings) -> dict[str, Any]:
    vt = settings.worker.visibility_timeout_seconds
    # The Redis transport looks for unacknowledged messages past their visibility timeout every
    # unacked_restore_interval * unacked_restore_throttle seconds (100 s by default); a tenth of
    # the timeout makes a killed worker's task come back close to the timeout itself.
    return {"visibility_timeout": vt, "unacked_restore_interval": max(1, min(60, vt // 10)),
            "unacked_restore_throttle": 1}


def make_app(settings: Settings) -> Celery:
    """The Celery app of *settings*, with the crawl and parse tasks registered."""
    w = settings.worker
    if not w.broker_url:
        raise WorkerError("no broker configured: set [worker] broker_url in settings.toml "
                          "(or GOVREPORTS__WORKER__BROKER_URL), e.g. redis://127.0.0.1:6379/0")
    app = Celery("govreports", broker=w.broker_url, backend=w.result_backend or None,
                 set_as_current=False)
    app.conf.update(
        # A task is acknowledged when it is done, not when it is received, and a task whose worker
        # process dies is given back to the broker: a killed worker's crawl runs again elsewhere.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # Each worker process reserves one task at a time, so tasks go to whichever worker is free.
        worker_prefetch_multiplier=1,
        task_default_queue=w.crawl_queue,
        task_routes={TASK_CRAWL: {"queue": w.crawl_queue}, TASK_PARSE: {"queue": w.parse_queue},
                     TASK_OCR: {"queue": settings.ocr.queue}},
        broker_transport_options=_transport_options(settings),
        task_soft_time_limit=w.task_soft_time_limit_seconds,
        task_time_limit=w.task_time_limit_seconds,
        task_serializer="json", result_serializer="json", accept_content=["json"],
        task_track_started=True,
        result_expires=7 * 86400,
        broker_connection_retry_on_startup=True,
        # A crawl running when the broker connection drops is left to finish (cancelling it would
        # kill its worker process and orphan the crawl); its message comes back later, and the
        # copy sees the run done and skips.
        worker_cancel_long_running_tasks_on_connection_loss=False,
        # Logging is set up by the CLI (jobs.logsetup), once, for every command.
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        enable_utc=True,
        timezone=settings.service.timezone,
    )
    state = _State(settings)
    app.govreports_state = state  # type: ignore[attr-defined]

    @app.task(bind=True, name=TASK_CRAWL, max_retries=None, shared=False)
    def crawl_source(self, source_name: str, failures: int = 0, waited: float = 0.0) -> dict:
        return _crawl_task(self, state, source_name, failures, waited)

    @app.task(bind=True, name=TASK_PARSE, max_retries=None, shared=False)
    def parse_pending(self, run_id: int | None = None, source_id: int | None = None,
                      failures: int = 0, waited: float = 0.0) -> dict:
        return _parse_task(self, state, run_id, source_id, failures, waited)

    @app.task(bind=True, name=TASK_OCR, max_retries=None, shared=False)
    def ocr_pending(self, failures: int = 0) -> dict:
        return _ocr_task(self, state, failures)

    return app


def _countdown(settings: Settings, seconds: float) -> float:
    """A jittered delay kept below half the visibility timeout: with Redis, a countdown task waits
    unacknowledged in its worker, and one held past the timeout would be delivered twice."""
    limit = max(1.0, settings.worker.visibility_timeout_seconds / 2)
    return round(min(seconds * random.uniform(0.75, 1.25), limit), 2)


def _node(task) -> str:
    return task.request.hostname or f"{os.getpid()}@{socket.gethostname()}"


# --------------------------------------------------------------------------- crawl task

def _crawl_task(task, state: _State, source_name: str, failures: int, waited: float) -> dict:
    settings, w = state.settings, state.settings.worker
    try:
        db = state.db
        with db.session() as s:
            source = s.scalar(select(Source).where(Source.name == source_name))
        if source is None:
            log.warning("crawl task %s: source %s is no longer registered; nothing to do",
                        task.request.id, source_name)
            return {"source": source_name, "status": "skipped", "reason": "no such source"}
        if _done_before(db, source.id, task.request.id):
            log.info("crawl task %s: source %s was crawled by this task already (delivered "
                     "again); skipping", task.request.id, source_name)
            return {"source": source_name, "status": "done before"}
        urls = list(source.start_urls or [])
        lease = try_lock(settings.database.url, host_lock_names(urls))
    except Retry:
        raise
    except Exception as exc:
        _retry_or_give_up(task, state, exc, source_name, None, failures, waited)
    if lease is None:
        if waited >= w.host_busy_max_wait_seconds:
            error = (f"worker: crawl of source {source_name}: its hosts were busy for "
                     f"{waited:.0f} s; giving up")
            _record_failed_crawl(db, source.id, urls, error)
            return {"source": source_name, "status": "failed", "error": error}
        delay = _countdown(settings, w.host_busy_retry_seconds)
        log.info("crawl task %s: a host of source %s is being crawled by another worker; "
                 "trying again in %.0f s", task.request.id, source_name, delay)
        raise task.retry(countdown=delay, kwargs={"source_name": source_name,
                                                  "failures": failures, "waited": waited + delay})
    try:
        with lease:
            summary = tasks.crawl(settings, db, urls, source=source, trigger="worker", parse=False)
    except tasks.CrawlBusy as busy:  # a one-off `govreports crawl` of this source is running
        delay = _countdown(settings, w.host_busy_retry_seconds)
        log.info("crawl task %s: %s; trying again in %.0f s", task.request.id, busy, delay)
        raise task.retry(countdown=delay, kwargs={"source_name": source_name,
                                                  "failures": failures, "waited": waited + delay})
    except Exception as exc:
        _retry_or_give_up(task, state, exc, source_name, source.id, failures, waited, urls=urls)
    try:
        with db.session() as s:
            runs.add_stats(s, summary.run_id, {"worker/task": task.request.id,
                                               "worker/node": _node(task)})
    except Exception as exc:
        _retry_or_give_up(task, state, exc, source_name, source.id, failures, waited, urls=urls)
    try:
        parse_id = _send(task.app, settings, TASK_PARSE,
                         {"run_id": summary.run_id, "source_id": source.id},
                         settings.worker.parse_queue)
    except Exception as exc:  # the captures are kept; the next parse of pending captures takes them
        parse_id = None
        log.error("source %s: run %s: could not send its parse task (%s); its captures wait for "
                  "the next parse of pending captures", source_name, summary.run_id, exc)
    log.info("source %s: run %s %s: %s pages; parsing in task %s", source_name, summary.run_id,
             summary.status, summary.pages_fetched, parse_id)
    return {"source": source_name, "status": summary.status, "run_id": summary.run_id,
            "pages": summary.pages_fetched, "error": summary.error, "parse_task": parse_id}


def _done_before(db: Database, source_id: int, task_id: str | None) -> bool:
    """Whether a run of this very task finished already (a redelivered copy must not crawl again)."""
    if not task_id:
        return False
    with db.session() as s:
        recent = runs.list_runs(s, limit=_DONE_LOOKBACK_RUNS, source_id=source_id)
        return any((r.stats or {}).get("worker/task") == task_id for r in recent)


def _retry_or_give_up(task, state: _State, exc: Exception, source_name: str,
                      source_id: int | None, failures: int, waited: float,
                      urls: Sequence[str] = ()) -> NoReturn:
    settings, w = state.settings, state.settings.worker
    where = f"worker: crawl of source {source_name}"
    if failures >= w.max_retries:
        error = (f"{where}: gave up after {failures + 1} attempts: "
                 f"{exc.__class__.__name__}: {exc}")
        log.error(error)
        try:
            _record_failed_crawl(state.db, source_id, urls, error)
        except Exception:
            log.exception("%s: could not record the failure", where)
        raise exc
    delay = _countdown(settings, w.retry_delay_seconds * 2 ** failures)
    log.warning("%s: attempt %d failed (%s: %s); trying again in %.0f s", where, failures + 1,
                exc.__class__.__name__, exc, delay)
    raise task.retry(exc=exc, countdown=delay, kwargs={
        "source_name": source_name, "failures": failures + 1, "waited": waited})


def _record_failed_crawl(db: Database, source_id: int | None, urls: Sequence[str],
                         error: str) -> None:
    """A task that stops is a failed crawl run, so `govreports runs` shows it like any other."""
    with db.session() as s:
        run_id = runs.start_run(s, start_urls=list(urls), source_id=source_id, trigger="worker")
        runs.finish_run(s, run_id, status="failed", error=error)


# --------------------------------------------------------------------------- parse task

def _parse_task(task, state: _State, run_id: int | None, source_id: int | None, failures: int,
                waited: float) -> dict:
    """Parse the captures of *run_id* (or every pending capture), then what earlier runs of the
    same source left pending (a run whose worker was killed): nothing captured is left behind."""
    settings, w = state.settings, state.settings.worker
    kwargs = {"run_id": run_id, "source_id": source_id, "failures": failures, "waited": waited}
    totals: dict[str, int] = {}
    try:
        # parse_pending takes the parse lock (the one `govreports parse`, the service and OCR take):
        # when another parser holds it now, come back later rather than hold a worker slot waiting.
        locks = make_locks(state.db, settings)
        try:
            locks.acquire(PARSE_LOCK, label=f"worker parse ({_node(task)})", wait=True,
                          timeout=w.parse_lock_wait_seconds).release()
        except LockBusy:
            delay = _countdown(settings, w.host_busy_retry_seconds)
            raise task.retry(countdown=delay, kwargs={**kwargs, "waited": waited + delay})
        finally:
            locks.close()
        budget = w.parse_batch_captures
        targets = [run_id]
        if run_id is not None and source_id is not None:
            targets += _runs_left_pending(state.db, source_id, exclude=run_id)
        for target in targets:
            summary = tasks.parse_pending(settings, state.db, tokenizer=state.tokenizer,
                                          run_id=target, limit=budget)
            if target is not None:
                with state.db.session() as s:
                    runs.add_stats(s, target, summary.counters())
            for key, value in summary.counters().items():
                totals[key] = totals.get(key, 0) + value
            budget -= (summary.parsed + summary.skipped + summary.failed + summary.needs_ocr)
            if budget <= 0:
                break
    except Retry:
        raise
    except Exception as exc:
        what = f"worker: parse of run {run_id}" if run_id else "worker: parse of pending captures"
        if failures >= w.max_retries:
            error = f"{what}: gave up after {failures + 1} attempts: {exc.__class__.__name__}: {exc}"
            log.error(error)
            _record_event(state, "parse-pending" if run_id is None else f"parse:run {run_id}",
                          "failed", error)
            raise
        delay = _countdown(settings, w.retry_delay_seconds * 2 ** failures)
        log.warning("%s: attempt %d failed (%s); trying again in %.0f s", what, failures + 1,
                    exc, delay)
        raise task.retry(exc=exc, countdown=delay, kwargs={**kwargs, "failures": failures + 1})
    if totals.get("parse/needs_ocr") and settings.ocr.enabled:
        try:  # scans found: the OCR workers read them
            _send(task.app, settings, TASK_OCR, {}, settings.ocr.queue)
        except Exception as exc:  # they wait, marked; the service's OCR job sends it later
            log.error("could not send an OCR task (%s); the scans wait for the next one", exc)
    follow_up = None
    if budget <= 0:  # more may be waiting: go on in another task, so no task runs for hours
        follow_up = _send(task.app, settings, TASK_PARSE, {"run_id": run_id, "source_id": source_id},
                          w.parse_queue)
    if totals.get("parse/parsed") or totals.get("parse/failed"):
        log.info("parse%s: %s", f" of run {run_id}" if run_id else "", totals)
    return {"run_id": run_id, **totals, "follow_up": follow_up}


def _ocr_task(task, state: _State, failures: int) -> dict:
    """Read a batch of documents waiting for OCR, then store them (jobs/ocr.py); a longer backlog
    goes on in a follow-up task. Pages read are kept, so a killed worker's task loses one page."""
    from jobs.ocr import run_ocr
    settings, w = state.settings, state.settings.worker
    try:
        summary = run_ocr(settings, state.db, tokenizer=state.tokenizer)
    except Exception as exc:
        if failures >= w.max_retries:
            error = f"worker: OCR: gave up after {failures + 1} attempts: {exc.__class__.__name__}: {exc}"
            log.error(error)
            _record_event(state, "ocr-pending", "failed", error)
            raise
        delay = _countdown(settings, w.retry_delay_seconds * 2 ** failures)
        log.warning("worker: OCR: attempt %d failed (%s); trying again in %.0f s", failures + 1,
                    exc, delay)
        raise task.retry(exc=exc, countdown=delay, kwargs={"failures": failures + 1})
    follow_up = None
    if summary.waiting and (summary.documents or summary.failed):
        follow_up = _send(task.app, settings, TASK_OCR, {}, settings.ocr.queue)
    if summary.documents or summary.failed:
        log.info("ocr: %s", summary.counters())
    return {**summary.counters(), "follow_up": follow_up}


def _runs_left_pending(db: Database, source_id: int, *, exclude: int) -> list[int]:
    """Other runs of the source with captures still pending (their crawl was interrupted)."""
    from storage.models import Capture, CrawlRun
    with db.session() as s:
        rows = s.execute(select(Capture.run_id).join(CrawlRun, CrawlRun.id == Capture.run_id)
                         .where(CrawlRun.source_id == source_id, Capture.parse_state == "pending",
                                Capture.run_id != exclude)
                         .distinct().order_by(Capture.run_id))
        return [r for (r,) in rows]


def _record_event(state: _State, job_id: str, event: str, detail: str) -> None:
    try:
        with state.db.session() as s:
            s.add(SchedulerEvent(job_id=job_id, event=event, detail=detail))
    except Exception:
        log.exception("could not record %s %s", job_id, event)


# --------------------------------------------------------------------------- enqueue

@functools.lru_cache(maxsize=4)
def _client(settings: Settings) -> Celery:
    return make_app(settings)


def _send(app: Celery, settings: Settings, name: str, kwargs: dict[str, Any], queue: str) -> str:
    # The publish is retried while the broker is down: 1 s, 3 s, 5 s, ... apart.
    policy = {"max_retries": settings.worker.enqueue_retries, "interval_start": 1,
              "interval_step": 2, "interval_max": 30}
    result = app.send_task(name, kwargs=kwargs, queue=queue, retry=True, retry_policy=policy)
    return result.id


def enqueue_crawl(settings: Settings, source_name: str, *, queue: str | None = None) -> str:
    """Send a crawl of the registered source *source_name* to its queue (the source's own
    `queue`, else [worker] crawl_queue); returns the task id. Raises the broker's error when it
    stays unreachable through [worker] enqueue_retries."""
    return _send(_client(settings), settings, TASK_CRAWL, {"source_name": source_name},
                 queue or settings.worker.crawl_queue)


def enqueue_ocr(settings: Settings) -> str:
    """Send an OCR batch (documents waiting for OCR) to the [ocr] queue; returns the task id."""
    return _send(_client(settings), settings, TASK_OCR, {}, settings.ocr.queue)


def enqueue_parse(settings: Settings, *, run_id: int | None = None) -> str:
    """Send a parse batch (the captures of *run_id*, or every pending capture); returns the task id."""
    return _send(_client(settings), settings, TASK_PARSE, {"run_id": run_id},
                 settings.worker.parse_queue)


# --------------------------------------------------------------------------- the worker

def serve_queues(settings: Settings, queues: str | None = None) -> list[str]:
    """The queues a worker serves: --queues, else [worker] queues, else the crawl, parse and OCR
    queues."""
    text = queues or settings.worker.queues
    names = [q.strip() for q in text.split(",") if q.strip()] if text else []
    return names or [settings.worker.crawl_queue, settings.worker.parse_queue, settings.ocr.queue]


def default_node_name() -> str:
    # Unique per process, so that two workers on one machine do not share a name.
    return f"govreports-{os.getpid()}@{socket.gethostname()}"


def run_worker(settings: Settings, *, queues: str | None = None, concurrency: int | None = None,
               name: str | None = None, loglevel: str = "INFO") -> int:
    """Run a Celery worker in the foreground until it is stopped; returns its exit status."""
    from celery import signals

    served = serve_queues(settings, queues)
    _prepare_database(settings)
    app = make_app(settings)
    state: _State = app.govreports_state  # type: ignore[attr-defined]

    def _after_fork(**_kw) -> None:
        state.forget()

    signals.worker_process_init.connect(_after_fork, weak=False)
    worker = app.Worker(hostname=name or default_node_name(), queues=served,
                        concurrency=concurrency or settings.worker.concurrency, loglevel=loglevel,
                        pool="prefork", optimization="fair", without_gossip=True,
                        without_mingle=True)
    log.info("worker %s: serving queues %s with %d processes; broker %s", worker.hostname,
             ", ".join(served), concurrency or settings.worker.concurrency,
             _safe_broker(settings.worker.broker_url))
    worker.start()
    return int(worker.exitcode or 0)


def _prepare_database(settings: Settings) -> None:
    """Migrate (one worker at a time) and recover runs this machine left behind."""
    url = settings.database.url
    lease = lock(url, [MIGRATE_LOCK], wait_seconds=300)
    try:
        db = tasks.open_db(settings, migrate=True)
    finally:
        if lease is not None:
            lease.release()
    try:
        interrupted = tasks.recover(db, settings)
    finally:
        db.dispose()
    if interrupted:
        log.warning("marked interrupted crawl runs as failed: %s; parsing what they captured",
                    interrupted)
        enqueue_parse(settings)


# --------------------------------------------------------------------------- status

def _safe_broker(url: str) -> str:
    from kombu.utils.url import maybe_sanitize_url
    return maybe_sanitize_url(url)


def cluster_status(settings: Settings, *, queues: Iterable[str] = ()) -> dict[str, Any]:
    """Workers, the queues they serve, running and waiting tasks, and queue lengths.

    Asks the workers with a timeout of [worker] inspect_timeout_seconds."""
    w = settings.worker
    if not w.broker_url:
        return {"broker": "none configured: `govreports serve` crawls and parses in its own process"}
    out: dict[str, Any] = {"broker": _safe_broker(w.broker_url)}
    app = make_app(settings)
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=max(1.0, w.inspect_timeout_seconds))
            inspect = app.control.inspect(timeout=w.inspect_timeout_seconds, connection=conn)
            served = inspect.active_queues() or {}
            active = (inspect.active() or {}) if served else {}
            scheduled = (inspect.scheduled() or {}) if served else {}
            names = sorted(set(queues) | {w.crawl_queue, w.parse_queue, settings.ocr.queue}
                           | {q["name"] for qs in served.values() for q in qs})
            out["queues"] = {name: _queue_length(conn, name) for name in names}
    except Exception as exc:
        out["error"] = f"broker unreachable: {exc.__class__.__name__}: {exc}"
        return out
    workers = {}
    for node in sorted(served):
        workers[node] = {
            "queues": sorted(q["name"] for q in served[node]),
            "running": [_describe(t) for t in active.get(node, [])],
            "waiting to retry": len(scheduled.get(node, [])),
        }
    out["workers"] = workers or "none answered"
    return out


def _queue_length(conn, name: str) -> int | str:
    try:
        with conn.channel() as channel:
            return int(channel.queue_declare(queue=name, passive=True).message_count)
    except Exception:  # a queue nobody declared yet
        return 0


def _describe(task: dict[str, Any]) -> str:
    import datetime as dt
    kwargs = task.get("kwargs") or {}
    started = task.get("time_start")
    when = (dt.datetime.fromtimestamp(started, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
            if started else "?")
    if task.get("name") == TASK_CRAWL:
        what = f"crawl {kwargs.get('source_name')}"
    elif task.get("name") == TASK_OCR:
        what = "OCR of waiting documents"
    elif task.get("name") == TASK_PARSE:
        what = f"parse run {kwargs['run_id']}" if kwargs.get("run_id") else "parse pending captures"
    else:
        what = str(task.get("name"))
    return f"{what} (task {task.get('id')}, since {when})"
