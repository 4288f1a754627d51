"""Run the real `govreports serve` (and `govreports crawl`) as processes, and read what they did.

Used by the service, crash and lock tests: settings files with second-level schedules, sources in
the database, a started service with its log, and the rows it left (crawl runs, scheduler events).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from sqlalchemy import select

from storage.db import open_database
from storage.models import Capture, CrawlRun, Publication, Report, SchedulerEvent, Source

# Polite settings made fast for a local test web: no delays, no retries, every page fetched again.
FAST_SETTINGS: dict[str, dict[str, Any]] = {
    "crawl": {"download_delay_seconds": 0.0, "autothrottle": False, "retry_times": 0,
              "revisit_seconds": 0, "download_timeout_seconds": 5.0,
              "process_timeout_seconds": 120},
    "service": {"misfire_grace_seconds": 60, "crawl_jitter_seconds": 0, "takeover_seconds": 3,
                "lock_heartbeat_seconds": 1, "lock_stale_seconds": 10, "progress_log_seconds": 5},
}


def govreports_command() -> list[str]:
    exe = Path(sys.executable).with_name("govreports")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "jobs.cli"]


def write_settings(path: Path, overrides: dict[str, dict[str, Any]] | None = None) -> Path:
    """A settings file: FAST_SETTINGS, then *overrides*, section by section."""
    sections = {k: dict(v) for k, v in FAST_SETTINGS.items()}
    sections.setdefault("service", {})["log_file"] = str(path.with_suffix(".log"))
    for section, values in (overrides or {}).items():
        sections.setdefault(section, {}).update(values)
    lines = []
    for section, values in sections.items():
        lines.append(f"[{section}]")
        for key, value in values.items():
            if isinstance(value, bool):
                text = "true" if value else "false"
            elif isinstance(value, str):
                text = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
            else:
                text = repr(value)
            lines.append(f"{key} = {text}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def add_sources(db_url: str, sources: list[tuple[str, list[str], str | None]]) -> None:
    """(name, start_urls, schedule) rows in the sources table."""
    db = open_database(db_url)
    try:
        with db.session() as s:
            for name, urls, schedule in sources:
                s.add(Source(name=name, start_urls=list(urls), schedule=schedule, hints={},
                             known_columns=[]))
    finally:
        db.dispose()


class Service:
    """One `govreports serve` process; its stdout and stderr go to a file."""

    def __init__(self, workdir: Path, db_url: str, settings: Path, name: str = "serve") -> None:
        self.workdir, self.db_url, self.settings, self.name = workdir, db_url, settings, name
        self.output = workdir / f"{name}.out"
        self.proc: subprocess.Popen | None = None
        self._fh = None

    def start(self) -> "Service":
        self._fh = open(self.output, "ab")
        self.proc = subprocess.Popen(
            [*govreports_command(), "--db", self.db_url, "--config", str(self.settings), "serve"],
            stdout=self._fh, stderr=subprocess.STDOUT, cwd=self.workdir)
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def text(self) -> str:
        return self.output.read_text(encoding="utf-8", errors="replace")

    def wait_log(self, pattern: str, timeout: float = 60.0) -> re.Match:
        found: list[re.Match] = []

        def seen() -> bool:
            m = re.search(pattern, self.text())
            if m:
                found.append(m)
            return bool(m)
        wait_until(seen, timeout, what=f"{self.name} log to show {pattern!r}",
                   on_timeout=lambda: self.text()[-4000:])
        return found[0]

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM, and wait for a clean exit."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=timeout)
        self._close()
        return code

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._close()

    def _close(self) -> None:
        if self._fh:
            self._fh.close()
            self._fh = None

    def cleanup(self) -> None:
        if self.running():
            self.proc.kill()
            self.proc.wait(timeout=30)
        self._close()


def run_cli(workdir: Path, db_url: str, settings: Path, *args: str,
            timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*govreports_command(), "--db", db_url, "--config", str(settings), *args],
                          cwd=workdir, capture_output=True, text=True, timeout=timeout)


def start_cli(workdir: Path, db_url: str, settings: Path, *args: str,
              output: Path | None = None) -> subprocess.Popen:
    out = open(output or workdir / "cli.out", "ab")
    return subprocess.Popen([*govreports_command(), "--db", db_url, "--config", str(settings),
                             *args], cwd=workdir, stdout=out, stderr=subprocess.STDOUT)


def wait_until(predicate: Callable[[], Any], timeout: float, *, what: str = "condition",
               interval: float = 0.1, on_timeout: Callable[[], str] | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            extra = ("\n" + on_timeout()) if on_timeout else ""
            raise AssertionError(f"timed out after {timeout} s waiting for {what}{extra}")
        time.sleep(interval)


def pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[-1].split()[0] != "Z"  # a zombie is dead
    except OSError:
        return False


# --------------------------------------------------------------------------- reading the database

@dataclass(frozen=True)
class Run:
    id: int
    source: str | None
    trigger: str
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    pid: int | None
    error: str | None
    stats: dict[str, Any]


@dataclass(frozen=True)
class Event:
    job_id: str
    event: str
    at: dt.datetime
    detail: str | None

    @property
    def scheduled(self) -> list[dt.datetime]:
        return [dt.datetime.fromisoformat(t) for t in
                re.findall(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?[+-]\d\d:\d\d", self.detail or "")]

    @property
    def node(self) -> str | None:
        m = re.search(r" on (\S+)", self.detail or "")
        return m.group(1) if m else None


class _ReadOnly:
    """Plain sessions on their own engine: reading while the service writes must neither take
    SQLite's write lock (and wait behind a busy writer) nor get in its way."""

    def __init__(self, url: str) -> None:
        from sqlalchemy import create_engine
        from sqlalchemy.orm import sessionmaker
        self.engine = create_engine(url)
        self._sessions = sessionmaker(self.engine)

    @contextlib.contextmanager
    def session(self):
        with self._sessions() as s:
            yield s

    def dispose(self) -> None:
        self.engine.dispose()


class Reader:
    """Reads the service's rows; open while a test needs it."""

    def __init__(self, db_url: str) -> None:
        self.db = _ReadOnly(db_url)

    def close(self) -> None:
        self.db.dispose()

    def runs(self) -> list[Run]:
        with self.db.session() as s:
            rows = s.execute(select(CrawlRun, Source.name)
                             .outerjoin(Source, Source.id == CrawlRun.source_id)
                             .order_by(CrawlRun.id)).all()
            return [Run(r.id, name, r.trigger, r.status, r.started_at, r.finished_at, r.pid,
                        r.error, dict(r.stats or {})) for r, name in rows]

    def events(self, job_prefix: str = "") -> list[Event]:
        with self.db.session() as s:
            rows = s.scalars(select(SchedulerEvent).where(SchedulerEvent.job_id.startswith(job_prefix))
                             .order_by(SchedulerEvent.id))
            return [Event(e.job_id, e.event, e.at, e.detail) for e in rows]

    def capture_states(self) -> dict[str, int]:
        with self.db.session() as s:
            out: dict[str, int] = {}
            for (state,) in s.execute(select(Capture.parse_state)):
                out[state] = out.get(state, 0) + 1
            return out

    def captures_of(self, run_id: int) -> int:
        with self.db.session() as s:
            return len(s.execute(select(Capture.id).where(Capture.run_id == run_id)).all())

    def publications(self) -> dict[str, int]:
        """URL -> report id of every publication."""
        with self.db.session() as s:
            return {url: rid for url, rid in s.execute(select(Publication.url, Publication.report_id))}

    def annual_report_titles(self) -> list[str]:
        with self.db.session() as s:
            return [t for (t,) in s.execute(select(Report.title).where(Report.kind == "annual_report"))]

    def report_hashes(self) -> list[str]:
        with self.db.session() as s:
            return [h for (h,) in s.execute(select(Report.content_sha256))]


def overlapping(runs: list[Run]) -> list[tuple[int, int]]:
    """Pairs of runs of the same source whose times overlap."""
    by_source: dict[str | None, list[Run]] = {}
    for r in runs:
        by_source.setdefault(r.source, []).append(r)
    bad = []
    for rs in by_source.values():
        rs = sorted(rs, key=lambda r: r.started_at)
        for a, b in zip(rs, rs[1:]):
            if a.finished_at is None or a.finished_at > b.started_at:
                bad.append((a.id, b.id))
    return bad


def _span(entry: Any) -> tuple[float, float]:
    """(start, end) of a logged request: tests/web's LogEntry or tests/clusterweb's LoggedRequest."""
    if hasattr(entry, "started"):
        return entry.started, entry.ended
    return entry.start, entry.end


def overlapping_requests(requests: list[Any], *, slack: float = 0.05) -> list[tuple[str, str, str]]:
    """Requests to one host that were in flight at the same time (the web's own log). *slack*
    covers the server noting a request's end just after the client already sent the next one."""
    by_host: dict[str, list[Any]] = {}
    for r in requests:
        by_host.setdefault(r.host, []).append(r)
    bad = []
    for host, reqs in by_host.items():
        reqs = sorted(reqs, key=lambda r: _span(r)[0])
        for a, b in zip(reqs, reqs[1:]):
            if _span(b)[0] < _span(a)[1] - slack:
                bad.append((host, a.path, b.path))
    return bad


@contextlib.contextmanager
def seeds_web(root: Path) -> Iterator[tuple[Any, Any]]:
    """The served seeds test web (tests/web): (manifest, web); crawl it through web.proxy_url."""
    from web.build import build_web
    from web.server import TestWeb
    manifest = build_web(root, profile="seeds", slow_seconds=2.0)
    with TestWeb(manifest.sites_dir) as web:
        yield manifest, web


def web_settings(path: Path, web: Any, overrides: dict[str, dict[str, Any]] | None = None) -> Path:
    """Settings for crawling the seeds web: through its proxy, giving up on its slow page."""
    crawl = {"proxy": web.proxy_url, "download_timeout_seconds": 1.5}
    merged = {k: dict(v) for k, v in (overrides or {}).items()}
    merged["crawl"] = {**crawl, **merged.get("crawl", {})}
    return write_settings(path, merged)


def host_of(url: str) -> str:
    return url.split("/")[2]


def copy_log(service: Service, dest: Path) -> None:
    shutil.copy(service.output, dest)
