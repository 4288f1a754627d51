"""APScheduler 3.x behind one small module, so a move to APScheduler 4 touches only this file.

Job stores live in the project's database; every fire, miss and error is recorded in
scheduler_events. Job defaults are explicit: APScheduler's own misfire_grace_time of 1 s would
silently drop a daily crawl after any downtime.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable

from apscheduler.events import (
    EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED, JobEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

__all__ = ["Schedule", "Scheduler", "parse_schedule"]

log = logging.getLogger("govreports.scheduler")

_EVENT_NAMES = {
    EVENT_JOB_SUBMITTED: "fired", EVENT_JOB_EXECUTED: "done", EVENT_JOB_ERROR: "error",
    EVENT_JOB_MISSED: "missed", EVENT_JOB_MAX_INSTANCES: "skipped",
}


@dataclass(frozen=True)
class Schedule:
    """A cron expression ("0 3 * * *") or an interval in seconds, with jitter."""

    cron: str | None = None
    interval_seconds: int | None = None
    jitter_seconds: int = 0


def parse_schedule(text: str | None, *, default_interval_seconds: int,
                   jitter_seconds: int) -> Schedule:
    """'cron: 0 3 * * *', 'every 6h' / 'every 30m' / 'every 45s', or None for the default."""
    if not text:
        return Schedule(interval_seconds=default_interval_seconds, jitter_seconds=jitter_seconds)
    text = text.strip()
    if text.startswith("cron:"):
        return Schedule(cron=text[5:].strip(), jitter_seconds=jitter_seconds)
    if text.startswith("every "):
        amount = text[6:].strip()
        units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
        if amount[-1:] in units and amount[:-1].isdigit():
            return Schedule(interval_seconds=int(amount[:-1]) * units[amount[-1]],
                            jitter_seconds=jitter_seconds)
    raise ValueError(f"schedule {text!r}: expected 'cron: M H DOM MON DOW' or 'every N[smhd]'")


class Scheduler:
    """A background APScheduler with its job store in the project's database."""

    def __init__(self, *, engine: Any, timezone: str, misfire_grace_seconds: int,
                 on_event: Callable[[str, str, str | None], None] | None = None,
                 max_workers: int = 4) -> None:
        self._on_event = on_event
        self._aps = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename="scheduler_jobs")},
            executors={"default": ThreadPoolExecutor(max_workers)},
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": misfire_grace_seconds},
            timezone=timezone,
        )
        self._aps.add_listener(self._record, EVENT_JOB_SUBMITTED | EVENT_JOB_EXECUTED
                               | EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)

    def _record(self, event: JobEvent) -> None:
        name = _EVENT_NAMES.get(event.code, str(event.code))
        detail = None
        if getattr(event, "exception", None) is not None:
            detail = f"{event.exception.__class__.__name__}: {event.exception}"
        if name in ("missed", "skipped", "error"):
            log.warning("job %s %s%s", event.job_id, name, f": {detail}" if detail else "")
        if self._on_event:
            self._on_event(event.job_id, name, detail)

    def add(self, job_id: str, func: str | Callable[..., Any], schedule: Schedule, *,
            args: tuple = (), timezone: str | None = None) -> None:
        """Register (or replace) a job under a stable id; *func* as 'module:function' text so the
        job store can keep it across restarts."""
        if schedule.cron:
            trigger = CronTrigger.from_crontab(schedule.cron, timezone=timezone)
            trigger.jitter = schedule.jitter_seconds or None
        else:
            trigger = IntervalTrigger(seconds=schedule.interval_seconds,
                                      jitter=schedule.jitter_seconds or None, timezone=timezone)
        self._aps.add_job(func, trigger, id=job_id, name=job_id, args=args, replace_existing=True)

    def remove_others(self, keep: set[str]) -> None:
        for job in self._aps.get_jobs():
            if job.id not in keep:
                job.remove()

    def run_now(self, job_id: str) -> None:
        from datetime import datetime, timezone
        self._aps.modify_job(job_id, next_run_time=datetime.now(timezone.utc))

    def start(self, *, paused: bool = False) -> None:
        self._aps.start(paused=paused)

    def resume(self) -> None:
        self._aps.resume()

    def shutdown(self, *, wait: bool = True) -> None:
        if self._aps.running:
            self._aps.shutdown(wait=wait)

    def jobs(self) -> list[tuple[str, Any]]:
        return [(job.id, job.next_run_time) for job in self._aps.get_jobs()]
