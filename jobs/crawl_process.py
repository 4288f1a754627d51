"""Entry point of one crawl's own process: `python -m jobs.crawl_process` with a JSON spec on stdin.

Started by jobs.tasks.crawl; prints the crawl's counters as one JSON line on stdout at the end.
"""
from __future__ import annotations

import json
import sys

from jobs.config import from_dict


def main() -> int:
    spec = json.loads(sys.stdin.read())
    settings = from_dict(spec["settings"])
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


if __name__ == "__main__":
    sys.exit(main())
