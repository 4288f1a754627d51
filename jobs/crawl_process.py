"""Entry point of one crawl's own process: `python -m jobs.crawl_process --run ID`, a JSON spec on
stdin.

Started by jobs.tasks.crawl; prints the crawl's counters as one JSON line on stdout at the end (a
spec with "job": "discover", from jobs.discovery, runs a discovery and prints its findings).
(The run id in the arguments lets a later start recognise a crawl process left behind.) It dies
with its parent: a crawl nobody waits for would keep the run 'running' and could overlap the next
crawl of its source.
"""
from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
import threading
import time

from jobs.config import from_dict

# How often the process checks that its parent is still there (where prctl is not available).
_PARENT_CHECK_SECONDS = 1.0
_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent_pid: int) -> None:
    """Be killed when the parent dies: at once on Linux (PR_SET_PDEATHSIG), and within a second
    anywhere (a thread watching for the parent to change)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent_pid:  # it died before the prctl took effect
        os._exit(70)

    def watch() -> None:
        while True:
            time.sleep(_PARENT_CHECK_SECONDS)
            if os.getppid() != parent_pid:
                os._exit(70)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main() -> int:
    spec = json.loads(sys.stdin.read())
    if spec.get("parent_pid"):
        _die_with_parent(int(spec["parent_pid"]))
    settings = from_dict(spec["settings"])
    if spec.get("job") == "discover":
        return _discover(spec, settings)
    from crawler.run import run_crawl  # imported here: Scrapy and Twisted load only in this process

    stats = run_crawl(
        crawl=settings.crawl, database_url=settings.database.url, run_id=spec["run_id"],
        start_urls=spec["start_urls"], source_id=spec.get("source_id"),
        revisit_seconds=spec.get("revisit_seconds"),
        busy_timeout_ms=settings.database.busy_timeout_ms,
        compression_level=settings.database.compression_level)
    sys.stdout.write(json.dumps(stats, sort_keys=True) + "\n")
    sys.stdout.flush()
    return 0


def _discover(spec: dict, settings) -> int:
    """A discovery (jobs.discovery): its findings and counters as the one JSON line."""
    from crawler.discovery import run_discovery

    found = run_discovery(
        crawl=settings.crawl, database_url=settings.database.url if spec.get("store", True) else None,
        run_id=spec["run_id"], start_urls=spec["start_urls"], depth=spec["depth"],
        max_pages_per_portal=settings.discover.max_pages_per_portal,
        max_requests=settings.discover.max_requests,
        busy_timeout_ms=settings.database.busy_timeout_ms,
        compression_level=settings.database.compression_level)
    sys.stdout.write(json.dumps(found) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
