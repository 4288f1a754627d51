"""APScheduler 3.x behind one small module, so a move to APScheduler 4 touches only this file.

The job store lives in the project's database, so a restart finds every job with its next run time
and runs what was missed meanwhile (within misfire_grace_time, once: coalesce). A job is only
replaced when its schedule changed; replacing it on every start would move its next run forward
each time and a service restarted daily would never crawl. Job defaults are explicit: APScheduler's
own misfire_grace_time of 1 s would silently drop a daily crawl after any downtime. Every fire,
miss, skip and error is handed to *on_event* (the service records them in scheduler_events).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from typing import Any, Callable
from zoneinfo import ZoneInfo

from apscheduler.events import (
    EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED, JobEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

__all__ = ["Schedule", "ScheduleDefaults", "Scheduler", "JobSpec", "parse_schedule",
           "validate_schedule", "fire_times"]

log = logging.getLogger("govreports.scheduler")

_EVENT_NAMES = {
    EVENT_JOB_SUBMITTED: "fired", EVENT_JOB_EXECUTED: "done", EVENT_JOB_ERROR: "error",
    EVENT_JOB_MISSED: "missed", EVENT_JOB_MAX_INSTANCES: "skipped",
}
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# Interval grids are anchored here (plus a per-job offset), so a job's fire times do not depend on
# when the service happened to start.
_ANCHOR = dt.datetime(2020, 1, 1)
LEGAL_CALENDAR = "legal-calendar"


@dataclass(frozen=True)
class ScheduleDefaults:
    """What an unset schedule means, and the legal calendar's parameters (from settings)."""

    default: str = LEGAL_CALENDAR
    interval_hours: int = 24
    peak_months: str = "1-4"
    peak_interval_hours: int = 6
    jitter_seconds: int = 0


@dataclass(frozen=True)
class Schedule:
    """A cron expression, an interval, or the legal calendar (peak months checked more often)."""

    cron: str | None = None
    interval_seconds: int | None = None
    peak_months: str | None = None
    peak_interval_hours: int | None = None
    jitter_seconds: int = 0

    def describe(self) -> str:
        if self.cron:
            what = f"cron {self.cron}"
        elif self.peak_months:
            what = (f"{LEGAL_CALENDAR}: every {self.peak_interval_hours}h in months "
                    f"{self.peak_months}, else every {self.interval_seconds // 3600}h")
        else:
            what = f"every {self.interval_seconds}s"
        return f"{what}, jitter {self.jitter_seconds}s"


def parse_schedule(text: str | None, defaults: ScheduleDefaults | None = None, *,
                   default_interval_seconds: int | None = None,
                   jitter_seconds: int | None = None) -> Schedule:
    """'cron: 0 3 * * *', 'every 6h' / 'every 30m' / 'every 45s', 'legal-calendar', or None for
    the default. Raises ValueError naming the text when it is none of these."""
    d = defaults or ScheduleDefaults()
    if default_interval_seconds is not None:  # older call style: an interval as the default
        d = ScheduleDefaults(default=f"every {default_interval_seconds}s",
                             interval_hours=max(1, default_interval_seconds // 3600),
                             peak_months=d.peak_months, peak_interval_hours=d.peak_interval_hours,
                             jitter_seconds=d.jitter_seconds)
    jitter = d.jitter_seconds if jitter_seconds is None else jitter_seconds
    text = (text or "").strip() or d.default
    if text == LEGAL_CALENDAR:
        _hours_field(d.peak_interval_hours, "peak_interval_hours")
        _hours_field(d.interval_hours, "crawl_interval_hours")
        _months(d.peak_months)
        return Schedule(interval_seconds=d.interval_hours * 3600, peak_months=d.peak_months,
                        peak_interval_hours=d.peak_interval_hours, jitter_seconds=jitter)
    if text.startswith("cron:"):
        expr = text[5:].strip()
        try:
            CronTrigger.from_crontab(expr)
        except ValueError as exc:
            raise ValueError(f"schedule {text!r}: {exc}") from None
        return Schedule(cron=expr, jitter_seconds=jitter)
    if text.startswith("every "):
        amount = text[6:].strip()
        if amount[-1:] in _UNITS and amount[:-1].isdigit() and int(amount[:-1]) > 0:
            return Schedule(interval_seconds=int(amount[:-1]) * _UNITS[amount[-1]],
                            jitter_seconds=jitter)
    raise ValueError(f"schedule {text!r}: expected 'every N[smhd]', 'cron: M H DOM MON DOW' "
                     f"or '{LEGAL_CALENDAR}'")


def validate_schedule(text: str | None) -> None:
    """Raise ValueError if *text* is not a schedule (for `sources add --schedule`)."""
    parse_schedule(text)


def _months(spec: str) -> set[int]:
    months: set[int] = set()
    for part in spec.split(","):
        lo, _, hi = part.strip().partition("-")
        if not lo.isdigit() or (hi and not hi.isdigit()):
            raise ValueError(f"peak_months {spec!r}: expected months such as '1-4' or '1,2,3,12'")
        months.update(range(int(lo), int(hi or lo) + 1))
    if not months or not months <= set(range(1, 13)):
        raise ValueError(f"peak_months {spec!r}: months are 1 to 12")
    return months


def _hours_field(hours: int, name: str) -> None:
    if hours <= 0 or (24 % hours and hours % 24):
        raise ValueError(f"{name} = {hours}: must divide 24 (1, 2, 3, 4, 6, 8, 12) or be whole days")


def _seed(job_id: str) -> int:
    """A fixed number per job: its place in the day or the interval, so sources are spread out."""
    return int.from_bytes(hashlib.sha256(job_id.encode("utf-8")).digest()[:8], "big")


def _every(hours: int, seed: int, months: str, tz: ZoneInfo) -> CronTrigger:
    minute, hour = seed % 60, (seed // 60) % 24
    if hours < 24:
        return CronTrigger(month=months, hour=f"{hour % hours}-23/{hours}", minute=minute,
                           timezone=tz)
    return CronTrigger(month=months, day=f"*/{hours // 24}", hour=hour, minute=minute, timezone=tz)


def _trigger(schedule: Schedule, job_id: str, tz: ZoneInfo) -> BaseTrigger:
    seed = _seed(job_id)
    if schedule.cron:
        trigger: BaseTrigger = CronTrigger.from_crontab(schedule.cron, timezone=tz)
    elif schedule.peak_months:
        peak = _months(schedule.peak_months)
        rest = sorted(set(range(1, 13)) - peak)
        parts = [_every(schedule.peak_interval_hours, seed, ",".join(map(str, sorted(peak))), tz)]
        if rest:
            parts.append(_every(schedule.interval_seconds // 3600, seed,
                                ",".join(map(str, rest)), tz))
        trigger = OrTrigger(parts)
    else:
        start = _ANCHOR.replace(tzinfo=tz) + dt.timedelta(seconds=seed % schedule.interval_seconds)
        trigger = IntervalTrigger(seconds=schedule.interval_seconds, start_date=start, timezone=tz)
    trigger.jitter = _capped_jitter(trigger, schedule.jitter_seconds, tz) or None
    return trigger


def _capped_jitter(trigger: BaseTrigger, jitter: int, tz: ZoneInfo) -> int:
    """Jitter is at most a quarter of the gap between fires: an hour of it on a 2 s test schedule
    would make the schedule meaningless."""
    if jitter <= 0:
        return 0
    now = dt.datetime.now(tz)
    first = trigger.get_next_fire_time(None, now)
    second = trigger.get_next_fire_time(first, first + dt.timedelta(microseconds=1)) if first else None
    if first is None or second is None:
        return jitter
    return int(min(jitter, (second - first).total_seconds() // 4))


def fire_times(schedule: Schedule, *, job_id: str, timezone: str, after: dt.datetime,
               count: int) -> list[dt.datetime]:
    """The next *count* fire times after *after* (without jitter): for tests and for people."""
    tz = ZoneInfo(timezone)
    trigger = _trigger(Schedule(cron=schedule.cron, interval_seconds=schedule.interval_seconds,
                                peak_months=schedule.peak_months,
                                peak_interval_hours=schedule.peak_interval_hours), job_id, tz)
    out: list[dt.datetime] = []
    previous, now = None, after
    while len(out) < count:
        nxt = trigger.get_next_fire_time(previous, now)
        if nxt is None:
            break
        out.append(nxt)
        previous, now = nxt, nxt + dt.timedelta(microseconds=1)
    return out


_LOOK_UP = object()


@dataclass(frozen=True)
class JobSpec:
    """A job as the service wants it registered."""

    job_id: str
    func: str  # 'module:function'
    schedule: Schedule
    args: tuple = ()
    first_run: dt.datetime | None = None


class _BackgroundScheduler(BackgroundScheduler):
    def _process_jobs(self):  # type: ignore[no-untyped-def]
        # APScheduler 3 runs one more pass when shutdown() has already stopped the executors (and
        # one when it is stopped while paused): due jobs go to no executor and their next run time
        # moves on, so those fires would be lost without trace. The state is read under the job
        # store lock (re-entrant), which shutdown() takes after setting it.
        with self._jobstores_lock:
            if self.state != STATE_RUNNING:
                return None
            return super()._process_jobs()


class Scheduler:
    """A background APScheduler with its job store in the project's database."""

    def __init__(self, *, engine: Any, timezone: str, misfire_grace_seconds: int,
                 on_event: Callable[[str, str, str | None], None] | None = None,
                 max_workers: int = 4, node: str = "") -> None:
        self._on_event = on_event
        self._tz = ZoneInfo(timezone)
        self._node = node
        self._aps = _BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename="scheduler_jobs")},
            executors={"default": ThreadPoolExecutor(max_workers)},
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": misfire_grace_seconds},
            timezone=self._tz,
        )
        self._aps.add_listener(self._record, EVENT_JOB_SUBMITTED | EVENT_JOB_EXECUTED
                               | EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)

    def _record(self, event: JobEvent) -> None:
        name = _EVENT_NAMES.get(event.code, str(event.code))
        times = getattr(event, "scheduled_run_times", None) or [
            getattr(event, "scheduled_run_time", None)]
        detail = "scheduled " + ", ".join(t.astimezone(self._tz).isoformat() for t in times if t)
        if self._node:
            detail += f" on {self._node}"
        if getattr(event, "exception", None) is not None:
            detail += f": {event.exception.__class__.__name__}: {event.exception}"
        if name in ("missed", "skipped", "error"):
            log.warning("job %s %s (%s)", event.job_id, name, detail)
        if self._on_event:
            self._on_event(event.job_id, name, detail)

    def add(self, job_id: str, func: str, schedule: Schedule, *, args: tuple = (),
            first_run: dt.datetime | None = None, existing: Any = _LOOK_UP) -> bool:
        """Register a job under a stable id, *func* as 'module:function' text so the job store can
        keep it across restarts. An existing job with the same schedule is kept as it is (with its
        next run time, possibly past: then it runs now, or is recorded as missed); True when the
        job was added or its schedule replaced. A new job runs first at *first_run* if given."""
        name = f"{job_id} [{schedule.describe()}]"
        if existing is _LOOK_UP:
            existing = self._aps.get_job(job_id)
        if existing is not None and existing.name == name and tuple(existing.args) == tuple(args):
            return False
        extra: dict[str, Any] = {}
        if existing is None and first_run is not None:
            extra["next_run_time"] = first_run
        self._aps.add_job(func, _trigger(schedule, job_id, self._tz), id=job_id, name=name,
                          args=args, replace_existing=True, **extra)
        return True

    def sync(self, jobs: list[JobSpec]) -> tuple[list[str], list[str]]:
        """Make the registered jobs exactly *jobs* (reading the job store once); returns the ids
        added or rescheduled, and the ids removed."""
        current = {job.id: job for job in self._aps.get_jobs()}
        changed = [spec.job_id for spec in jobs
                   if self.add(spec.job_id, spec.func, spec.schedule, args=spec.args,
                               first_run=spec.first_run, existing=current.get(spec.job_id))]
        return changed, self.remove_others({spec.job_id for spec in jobs})

    def remove_others(self, keep: set[str]) -> list[str]:
        removed = []
        for job in self._aps.get_jobs():
            if job.id not in keep:
                job.remove()
                removed.append(job.id)
        return removed

    def run_now(self, job_id: str) -> None:
        try:
            self._aps.modify_job(job_id, next_run_time=dt.datetime.now(self._tz))
        except JobLookupError:
            log.warning("job %s: not registered; cannot run it now", job_id)

    def start(self, *, paused: bool = False) -> None:
        self._aps.start(paused=paused)

    def resume(self) -> None:
        self._aps.resume()

    def shutdown(self, *, wait: bool = True) -> None:
        if self._aps.running:
            self._aps.shutdown(wait=wait)

    def jobs(self) -> list[tuple[str, dt.datetime | None]]:
        return [(job.id, job.next_run_time) for job in self._aps.get_jobs()]
