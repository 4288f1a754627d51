"""Run a real crawl against the test web in a child process (a Twisted reactor cannot restart in
the pytest process) and read back what it captured."""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Mapping, Sequence

from jobs.config import CrawlSettings
from storage.db import Database
from storage.runs import start_run

__all__ = ["FAST", "crawl_settings", "run_crawl_process", "captures"]

REPO = Path(__file__).resolve().parents[2]

# Politeness turned down for speed; tests about politeness turn it back up.
FAST = dict(download_delay_seconds=0.0, autothrottle=False, retry_times=1,
            download_timeout_seconds=2.0, concurrent_requests=16, log_level="WARNING")

_CHILD = """
import json, sys
from jobs.config import CrawlSettings
from crawler.run import run_crawl
spec = json.loads(sys.stdin.read())
stats = run_crawl(crawl=CrawlSettings(**spec["crawl"]), database_url=spec["db"], run_id=spec["run_id"],
                  start_urls=spec["start_urls"], source_id=spec["source_id"],
                  revisit_seconds=spec["revisit_seconds"])
sys.stdout.write(json.dumps(stats) + "\\n")
"""


def crawl_settings(**overrides: Any) -> CrawlSettings:
    return CrawlSettings(**{**FAST, **overrides})


def run_crawl_process(db: Database, start_urls: Sequence[str], *, crawl: CrawlSettings,
                      source_id: int | None = None, revisit_seconds: int | None = None,
                      env: Mapping[str, str] | None = None, timeout: float = 120) -> dict[str, int]:
    """Crawl in `python -c …`; returns the crawl's counters (with "run_id" added)."""
    with db.session() as s:
        run_id = start_run(s, start_urls=list(start_urls), source_id=source_id, trigger="test")
    spec = {"crawl": dataclasses.asdict(crawl), "db": db.url, "run_id": run_id,
            "start_urls": list(start_urls), "source_id": source_id, "revisit_seconds": revisit_seconds}
    child_env = {k: v for k, v in os.environ.items()
                 if k.lower() not in ("http_proxy", "https_proxy", "no_proxy", "all_proxy")}
    child_env.update(env or {})
    child_env["PYTHONPATH"] = str(REPO)
    proc = subprocess.run([sys.executable, "-c", _CHILD], input=json.dumps(spec), text=True,
                          capture_output=True, cwd=REPO, env=child_env, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f"crawl process failed ({proc.returncode}):\n{proc.stderr[-5000:]}")
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    stats = json.loads(lines[-1])
    stats["run_id"] = run_id
    stats["_stderr"] = proc.stderr  # type: ignore[assignment]
    return stats


def captures(db: Database, run_id: int | None = None) -> list:
    """Every capture in *db* (of one run, if given), in the order they were written."""
    from sqlalchemy import select

    from storage.models import Capture
    with db.session() as s:
        stmt = select(Capture).order_by(Capture.id)
        if run_id is not None:
            stmt = stmt.where(Capture.run_id == run_id)
        return list(s.scalars(stmt))
