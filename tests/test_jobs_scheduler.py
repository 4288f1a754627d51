"""Schedules (intervals, cron, the legal calendar) on a frozen clock, and the scheduler wrapper:
jobs kept across restarts, missed fires recorded, coalesced catch-up."""
from __future__ import annotations

import datetime as dt
import threading
import time
from zoneinfo import ZoneInfo

import pytest

from jobs.scheduler import (
    JobSpec, Schedule, ScheduleDefaults, Scheduler, _trigger, fire_times, parse_schedule,
    validate_schedule,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
CALLS: list[str] = []
_CALLED = threading.Event()


def record_call(tag: str) -> None:
    """A job the tests schedule by name (the job store keeps 'module:function' text)."""
    CALLS.append(tag)
    _CALLED.set()


@pytest.mark.parametrize("text, expected", [
    ("every 45s", Schedule(interval_seconds=45)),
    ("every 30m", Schedule(interval_seconds=1800)),
    ("every 6h", Schedule(interval_seconds=21600)),
    ("every 2d", Schedule(interval_seconds=172800)),
    ("cron: 0 3 * * *", Schedule(cron="0 3 * * *")),
    ("legal-calendar", Schedule(interval_seconds=86400, peak_months="1-4", peak_interval_hours=6)),
    (None, Schedule(interval_seconds=86400, peak_months="1-4", peak_interval_hours=6)),
    ("", Schedule(interval_seconds=86400, peak_months="1-4", peak_interval_hours=6)),
])
def test_schedule_texts(text, expected):
    assert parse_schedule(text) == expected


@pytest.mark.parametrize("text", ["weekly", "every 0s", "every 5w", "cron: 61 * * * *", "cron: * *"])
def test_bad_schedules_name_the_text(text):
    with pytest.raises(ValueError, match="schedule"):
        validate_schedule(text)


@pytest.mark.parametrize("defaults, message", [
    (ScheduleDefaults(peak_months="13"), "months are 1 to 12"),
    (ScheduleDefaults(peak_months="jan"), "peak_months"),
    (ScheduleDefaults(peak_interval_hours=5), "peak_interval_hours"),
    (ScheduleDefaults(interval_hours=36), "crawl_interval_hours"),
])
def test_bad_legal_calendar_settings_fail(defaults, message):
    with pytest.raises(ValueError, match=message):
        parse_schedule(None, defaults)


def test_default_can_be_an_interval():
    assert parse_schedule(None, ScheduleDefaults(default="every 24h")).interval_seconds == 86400
    # The older call style still works (a default interval, jitter).
    assert parse_schedule(None, default_interval_seconds=600, jitter_seconds=0).interval_seconds == 600


def _per_day(times: list[dt.datetime]) -> dict[dt.date, int]:
    out: dict[dt.date, int] = {}
    for t in times:
        out[t.date()] = out.get(t.date(), 0) + 1
    return out


@pytest.mark.parametrize("after, per_day", [
    (dt.datetime(2025, 3, 10, tzinfo=SHANGHAI), 4),   # March: reports are coming out
    (dt.datetime(2025, 1, 2, tzinfo=SHANGHAI), 4),
    (dt.datetime(2025, 6, 10, tzinfo=SHANGHAI), 1),   # June: once a day
    (dt.datetime(2025, 11, 3, tzinfo=SHANGHAI), 1),
])
def test_legal_calendar_checks_more_often_from_january_to_april(after, per_day):
    times = fire_times(parse_schedule("legal-calendar"), job_id="crawl:x", timezone="Asia/Shanghai",
                       after=after, count=20)
    days = _per_day(times)
    full_days = list(days.values())[1:-1]  # the first and last may be partial
    assert full_days and set(full_days) == {per_day}
    assert all(t.tzinfo is not None and t.utcoffset() == dt.timedelta(hours=8) for t in times)


def test_legal_calendar_switches_at_the_month_boundary():
    times = fire_times(parse_schedule("legal-calendar"), job_id="crawl:x", timezone="Asia/Shanghai",
                       after=dt.datetime(2025, 4, 29, tzinfo=SHANGHAI), count=12)
    days = _per_day(times)
    assert days[dt.date(2025, 4, 30)] == 4
    assert days[dt.date(2025, 5, 1)] == 1 and days[dt.date(2025, 5, 2)] == 1


def test_sources_get_different_times_of_day():
    after = dt.datetime(2025, 6, 1, tzinfo=SHANGHAI)
    firsts = {fire_times(parse_schedule(None), job_id=f"crawl:s{i}", timezone="Asia/Shanghai",
                         after=after, count=1)[0].time() for i in range(10)}
    assert len(firsts) >= 8


def test_interval_grid_does_not_depend_on_start_time():
    s = parse_schedule("every 6h")
    a = fire_times(s, job_id="crawl:x", timezone="Asia/Shanghai",
                   after=dt.datetime(2025, 6, 1, 0, 0, tzinfo=SHANGHAI), count=6)
    b = fire_times(s, job_id="crawl:x", timezone="Asia/Shanghai",
                   after=dt.datetime(2025, 6, 1, 1, 30, tzinfo=SHANGHAI), count=5)
    assert set(b) <= set(a) or set(b[:-1]) <= set(a)
    assert all((y - x) == dt.timedelta(hours=6) for x, y in zip(a, a[1:]))


@pytest.mark.parametrize("text, jitter, expected", [
    ("every 2s", 3600, None),       # capped at a quarter of the interval: none
    ("every 24h", 3600, 3600),
    ("every 1h", 3600, 900),
    ("legal-calendar", 3600, 3600),  # peak gap 6 h, off-peak 24 h: an hour fits both
    ("every 24h", 0, None),
])
def test_jitter_is_capped_by_the_interval(text, jitter, expected):
    trigger = _trigger(parse_schedule(text, ScheduleDefaults(jitter_seconds=jitter)), "crawl:x",
                       SHANGHAI)
    assert trigger.jitter == expected


# --------------------------------------------------------------------------- the wrapper

@pytest.fixture
def sched_db(sqlite_db):
    return sqlite_db


def _scheduler(db, events: list, grace: int = 3600) -> Scheduler:
    return Scheduler(engine=db.engine, timezone="Asia/Shanghai", misfire_grace_seconds=grace,
                     on_event=lambda job, ev, detail: events.append((job, ev, detail)), node="test")


def _wait_for(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_unchanged_jobs_keep_their_next_run_across_restarts(sched_db):
    events: list = []
    first = _scheduler(sched_db, events)
    first.start(paused=True)
    assert first.add("crawl:a", "test_jobs_scheduler:record_call", parse_schedule("every 6h"),
                     args=("a",)) is True
    past = dt.datetime.now(SHANGHAI) - dt.timedelta(minutes=5)
    first._aps.modify_job("crawl:a", next_run_time=past)  # as if it came due while we were down
    first.shutdown()

    second = _scheduler(sched_db, events)
    second.start(paused=True)
    assert second.add("crawl:a", "test_jobs_scheduler:record_call", parse_schedule("every 6h"),
                      args=("a",)) is False
    assert dict(second.jobs())["crawl:a"] == past  # kept: the missed fire will still run
    assert second.add("crawl:a", "test_jobs_scheduler:record_call", parse_schedule("every 3h"),
                      args=("a",)) is True
    assert dict(second.jobs())["crawl:a"] > dt.datetime.now(SHANGHAI)
    assert second.remove_others({"other"}) == ["crawl:a"]
    second.shutdown()


def test_fires_missed_past_the_grace_time_are_recorded_as_missed(sched_db):
    events: list = []
    s = _scheduler(sched_db, events, grace=1)
    s.start(paused=True)
    s.add("crawl:m", "test_jobs_scheduler:record_call", parse_schedule("every 1h"), args=("m",))
    s._aps.modify_job("crawl:m", next_run_time=dt.datetime.now(SHANGHAI) - dt.timedelta(minutes=10))
    CALLS.clear()
    s.resume()
    assert _wait_for(lambda: any(ev == "missed" for _, ev, _ in events))
    s.shutdown()
    assert CALLS == []
    assert ("crawl:m", "fired") in {(j, e) for j, e, _ in events}


def test_a_backlog_within_the_grace_time_runs_once(sched_db):
    events: list = []
    s = _scheduler(sched_db, events, grace=3600)
    s.start(paused=True)
    s.add("crawl:c", "test_jobs_scheduler:record_call", parse_schedule("every 1m"), args=("c",))
    # Ten fires came due while the service was down: coalesce runs one.
    s._aps.modify_job("crawl:c", next_run_time=dt.datetime.now(SHANGHAI) - dt.timedelta(minutes=10))
    CALLS.clear()
    _CALLED.clear()
    s.resume()
    assert _CALLED.wait(10)
    assert _wait_for(lambda: any(ev == "done" for _, ev, _ in events))
    s.shutdown()
    assert CALLS == ["c"]
    fired = [d for j, e, d in events if e == "fired"]
    assert len(fired) == 1 and fired[0].count("+08:00") == 1 and fired[0].endswith("on test")


def test_sync_adds_keeps_reschedules_and_removes(sched_db):
    s = _scheduler(sched_db, [])
    s.start(paused=True)
    f = "test_jobs_scheduler:record_call"
    soon = dt.datetime.now(SHANGHAI) + dt.timedelta(seconds=30)
    added, removed = s.sync([JobSpec("crawl:a", f, parse_schedule("every 6h"), ("a",), first_run=soon),
                             JobSpec("crawl:b", f, parse_schedule("every 6h"), ("b",))])
    assert (sorted(added), removed) == (["crawl:a", "crawl:b"], [])
    assert dict(s.jobs())["crawl:a"] == soon  # never crawled: first run as asked
    added, removed = s.sync([JobSpec("crawl:a", f, parse_schedule("every 6h"), ("a",), first_run=soon),
                             JobSpec("crawl:b", f, parse_schedule("cron: 0 3 * * *"), ("b",))])
    assert (added, removed) == (["crawl:b"], [])
    assert s.sync([JobSpec("crawl:b", f, parse_schedule("cron: 0 3 * * *"), ("b",))]) == ([], ["crawl:a"])
    s.shutdown()
