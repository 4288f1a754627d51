"""Supervising one crawl's own process (`python -m jobs.crawl_process`): its time and memory
limits, stopping it on request, its log lines and its counters.

A child process per crawl because Twisted's reactor cannot be restarted in one process, and so
that a crawl that hangs or eats memory is killed without taking the service with it.
"""
from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

from sqlalchemy import func, select

from jobs.config import Settings
from jobs.progress import Progress
from storage import runs
from storage.db import Database
from storage.models import Capture

__all__ = ["run_crawl_process"]

log = logging.getLogger("govreports.jobs")

# How often the parent checks the crawl process's memory and clock.
_WATCH_INTERVAL_SECONDS = 0.25
# How often the captures of a running crawl are counted for its progress.
_COUNT_INTERVAL_SECONDS = 1.0
# How long a crawl process gets to stop cleanly on SIGTERM before SIGKILL.
_KILL_GRACE_SECONDS = 5


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_crawl_process(settings: Settings, db: Database, run_id: int, spec: dict[str, Any], *,
                      stop: threading.Event | None = None, lost: threading.Event | None = None,
                      progress: Progress | None = None) -> tuple[str, str | None, dict[str, int]]:
    """Run one crawl in `python -m jobs.crawl_process`, killing it past its time or memory limit,
    or when *stop* (service stopping) or *lost* (our crawl lock went away) is set; returns
    (status: succeeded | failed | interrupted, error, the crawl's counters).

    Its log lines come through ours (so they reach the service's log file); its counters come
    back as one JSON line on its stdout, read from a temporary file so a chatty child can never
    block on a pipe.
    """
    limits = settings.crawl
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "jobs.crawl_process", "--run", str(run_id)],
            stdin=subprocess.PIPE, stdout=out, stderr=subprocess.PIPE, text=True,
            encoding="utf-8", errors="replace", start_new_session=True)
        forwarder = threading.Thread(target=_forward_log, args=(proc.stderr, run_id),
                                     name=f"crawl-log:{run_id}", daemon=True)
        forwarder.start()
        with db.session() as s:
            runs.set_pid(s, run_id, proc.pid)
        assert proc.stdin is not None
        try:
            proc.stdin.write(json.dumps(spec))
            proc.stdin.close()
        except BrokenPipeError:  # it died at once; its exit status says why
            pass
        killed, interrupted = _watch(proc, db, run_id, limits, stop=stop, lost=lost,
                                     progress=progress)
        proc.wait()
        forwarder.join(timeout=5)
        out.seek(0)
        stats = _last_json_line(out.read())
    if interrupted:
        log.warning(interrupted)
        return "interrupted", interrupted, stats
    if killed:
        log.error(killed)
        return "failed", killed, stats
    if proc.returncode != 0:
        how = (f"killed by signal {-proc.returncode}" if proc.returncode < 0
               else f"exited with status {proc.returncode}")
        error = f"crawl: run {run_id}: crawl process {how}"
        log.error(error)
        return "failed", error, stats
    return "succeeded", None, stats


def _watch(proc: subprocess.Popen, db: Database, run_id: int, limits: Any, *,
           stop: threading.Event | None, lost: threading.Event | None,
           progress: Progress | None) -> tuple[str | None, str | None]:
    """Wait for the crawl process; returns (why it was killed, why it was interrupted)."""
    deadline = time.monotonic() + limits.process_timeout_seconds
    next_count = 0.0
    try:
        while proc.poll() is None:
            if stop is not None and stop.is_set():
                _kill_group(proc)
                return None, (f"interrupted: run {run_id} stopped before it finished (service "
                              f"stopping or Ctrl-C); its captures are kept and parsed later")
            if lost is not None and lost.is_set():
                _kill_group(proc)
                return f"crawl: run {run_id}: killed: its crawl lock was lost", None
            if time.monotonic() > deadline:
                _kill_group(proc)
                return (f"crawl: run {run_id}: killed after the {limits.process_timeout_seconds} s "
                        f"time limit"), None
            if _rss_mb(proc.pid) > limits.process_memory_mb:
                _kill_group(proc)
                return (f"crawl: run {run_id}: killed past the {limits.process_memory_mb} MB "
                        f"memory limit"), None
            if progress is not None and time.monotonic() >= next_count:
                next_count = time.monotonic() + _COUNT_INTERVAL_SECONDS
                progress.update(_captured(db, run_id))
            time.sleep(_WATCH_INTERVAL_SECONDS)
    except KeyboardInterrupt:
        _kill_group(proc)
        raise
    if progress is not None:
        progress.update(_captured(db, run_id))
    return None, None


def _captured(db: Database, run_id: int) -> int:
    try:
        with db.session() as s:
            return int(s.scalar(select(func.count(Capture.body_sha256))
                                .where(Capture.run_id == run_id)) or 0)
    except Exception:  # progress is best effort; a busy database must not stop the watch
        return 0


def _last_json_line(text: str) -> dict[str, int]:
    for line in reversed(text.splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue
    return {}


_LEVEL = re.compile(r"\b(DEBUG|INFO|WARNING|ERROR|CRITICAL)\b")
_STAMP = re.compile(r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)?\s*")


def _forward_log(stream: Any, run_id: int) -> None:
    """Pass the crawl process's log lines to our log, at their own level (tracebacks at the level
    of the line before)."""
    child_log = logging.getLogger("govreports.crawl")
    level = logging.INFO
    for line in stream:
        line = line.rstrip("\n")
        if not line:
            continue
        found = _LEVEL.search(line[:80])
        if found:
            level = logging.getLevelName(found.group(1))
        child_log.log(level, "[run %s] %s", run_id, _STAMP.sub("", line))


def _kill_group(proc: subprocess.Popen) -> None:
    """SIGTERM the crawl's process group (Scrapy stops cleanly), SIGKILL it if still there in 5 s."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=_KILL_GRACE_SECONDS)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
