"""Locks between processes, on SQLite (lock rows) and PostgreSQL (advisory locks): exclusion,
takeover from dead owners, waiting, and loss detection."""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading

import pytest
from sqlalchemy import update

from jobs.locks import HOSTNAME, LockBusy, Locks, crawl_lock_name, process_alive, process_started
from storage.locks import Lock

HOLDER = """
import sys, time
from storage.db import open_database
from jobs.locks import Locks
db = open_database(sys.argv[1], migrate=False)
held = Locks(db).acquire(sys.argv[2], label="test holder")
print("held", flush=True)
time.sleep(600)
"""


@pytest.fixture
def locks(db):
    lk = Locks(db, heartbeat_seconds=0.2, stale_seconds=5)
    yield lk
    lk.close()


def _start_holder(db_url: str, name: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, db_url, name], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_lock_excludes_others_until_released(locks):
    held = locks.acquire("crawl:source:1", label="first")
    with pytest.raises(LockBusy) as busy:
        locks.acquire("crawl:source:1", label="second")
    assert busy.value.holder.label == "first" and busy.value.holder.pid == os.getpid()
    assert "first, pid" in str(busy.value)
    other = locks.acquire("crawl:source:2", label="other name")  # names are independent
    held.release()
    again = locks.acquire("crawl:source:1", label="third")
    assert locks.holder("crawl:source:1").label == "third"
    again.release()
    other.release()
    assert locks.holder("crawl:source:1") is None


def test_lock_of_a_process_killed_with_sigkill_is_taken_over(db_url, db, locks):
    proc = _start_holder(db_url, "scheduler")
    try:
        with pytest.raises(LockBusy) as busy:
            locks.acquire("scheduler", label="me")
        assert busy.value.holder.pid == proc.pid
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    # SQLite: the row names a dead pid; PostgreSQL: the server ended the dead session's lock.
    held = locks.acquire("scheduler", label="me", wait=True, timeout=10, poll_seconds=0.1)
    assert locks.holder("scheduler").pid == os.getpid()
    held.release()


def test_waiting_for_a_lock_ends_when_it_is_released(locks):
    held = locks.acquire("parse", label="first")
    told = []
    threading.Timer(0.5, held.release).start()
    second = locks.acquire("parse", label="second", wait=True, timeout=30, poll_seconds=0.05,
                           on_wait=told.append)
    assert [h.label for h in told] == ["first"]
    second.release()


def test_waiting_stops_when_asked_and_on_timeout(locks):
    held = locks.acquire("parse", label="first")
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    with pytest.raises(LockBusy):
        locks.acquire("parse", label="second", wait=True, stop=stop, poll_seconds=0.05)
    with pytest.raises(LockBusy):
        locks.acquire("parse", label="second", wait=True, timeout=0.2, poll_seconds=0.05)
    held.release()


def _set_owner(db, name: str, **values) -> None:
    with db.session() as s:
        s.execute(update(Lock).where(Lock.name == name).values(**values))


@pytest.mark.parametrize("owner, stale", [
    # Another host, heartbeat fresh: alive as far as anyone can tell.
    ({"owner_host": "elsewhere", "heartbeat_at_ago": 1}, False),
    # Another host, silent past lock_stale_seconds: gone.
    ({"owner_host": "elsewhere", "heartbeat_at_ago": 60}, True),
    # This host, a pid that is not running.
    ({"owner_pid": 2 ** 22 + 7, "owner_started": None}, True),
    # This host, a running pid that is a different process (recycled pid: other start time).
    ({"owner_pid": os.getpid(), "owner_started": (process_started(os.getpid()) or 0) + 1}, True),
    # This host, the running process that took it, even if its heartbeat is old.
    ({"owner_pid": os.getpid(), "heartbeat_at_ago": 600}, False),
])
def test_sqlite_lock_row_takeover_rules(sqlite_db, owner, stale):
    locks = Locks(sqlite_db, heartbeat_seconds=60, stale_seconds=5)
    try:
        held = locks.acquire("crawl:source:9", label="original")
        held._released.set()  # stop its heartbeat; the row stays as the test sets it
        values = dict(owner)
        ago = values.pop("heartbeat_at_ago", 0)
        values["heartbeat_at"] = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=ago)
        _set_owner(sqlite_db, "crawl:source:9", **values)
        if stale:
            locks.acquire("crawl:source:9", label="taker").release()
        else:
            with pytest.raises(LockBusy):
                locks.acquire("crawl:source:9", label="taker")
    finally:
        locks.close()


def test_a_lock_taken_away_is_noticed(sqlite_db):
    locks = Locks(sqlite_db, heartbeat_seconds=0.05, stale_seconds=5)
    held = locks.acquire("scheduler", label="me")
    _set_owner(sqlite_db, "scheduler", token="someone-else")
    assert held.lost.wait(5)
    held.release()
    locks.close()


@pytest.mark.postgres
def test_postgresql_locks_are_per_schema():
    from conftest import pg_schema
    from storage.db import open_database
    with pg_schema() as url_a, pg_schema() as url_b:
        dbs = [open_database(u) for u in (url_a, url_b)]
        try:
            a, b = (Locks(d) for d in dbs)
            held = [a.acquire("scheduler", label="a"), b.acquire("scheduler", label="b")]
            with pytest.raises(LockBusy):
                a.acquire("scheduler", label="a2")
            for h in held:
                h.release()
            a.close()
            b.close()
        finally:
            for d in dbs:
                d.dispose()


def test_crawl_lock_names():
    assert crawl_lock_name(3, ["http://a/"]) == "crawl:source:3"
    assert crawl_lock_name(None, ["http://b/", "http://a/"]) == crawl_lock_name(None, ["http://a/", "http://b/"])
    assert crawl_lock_name(None, ["http://a/"]) != crawl_lock_name(None, ["http://b/"])


def test_process_liveness():
    me = os.getpid()
    assert process_alive(me) and process_alive(me, process_started(me))
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert not process_alive(proc.pid)
    assert HOSTNAME
