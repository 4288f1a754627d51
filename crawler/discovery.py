"""Run one discovery (crawler.spiders.portals) in the current process and return what it found.

Like crawler.run, it starts Twisted's reactor, so a process runs at most one: jobs starts a fresh
process for each (jobs.crawl_process with a discovery spec).
"""
from __future__ import annotations

from typing import Any

from scrapy.crawler import AsyncCrawlerProcess

from crawler.capture import CaptureStore
from crawler.run import COUNTER_PREFIXES, CrawlConfig, _offline_public_suffixes
from crawler.scrapy_settings import scrapy_settings
from crawler.spiders.portals import PortalSpider
from storage.db import open_database

__all__ = ["run_discovery"]


def run_discovery(*, crawl: CrawlConfig, database_url: str | None, run_id: int | None,
                  start_urls: list[str], depth: int, max_pages_per_portal: int,
                  max_requests: int, busy_timeout_ms: int = 30000,
                  compression_level: int = 6) -> dict[str, Any]:
    """Discover from *start_urls* (portals' home pages), *depth* links deep; captures go to the
    database under *run_id* (none without a database). Returns {"counters": {...}, "sites":
    [...], "rejected": [...]}: see PortalSpider.results."""
    db = open_database(database_url, busy_timeout_ms=busy_timeout_ms,
                       compression_level=compression_level) if database_url else None
    try:
        store = (CaptureStore(db, run_id=run_id, source_id=None, compression_level=compression_level)
                 if db is not None and run_id is not None else None)
        _offline_public_suffixes()
        settings = scrapy_settings(crawl)
        if store is None:
            settings["ITEM_PIPELINES"] = {}
        process = AsyncCrawlerProcess(settings)
        crawler = process.create_crawler(PortalSpider)
        process.crawl(crawler, start_urls=list(start_urls), store=store, crawl=crawl, depth=depth,
                      max_pages_per_portal=max_pages_per_portal, max_requests=max_requests)
        process.start()
        stats: dict[str, Any] = crawler.stats.get_stats() if crawler.stats else {}
        found = crawler.spider.results()
    finally:
        if db is not None:
            db.dispose()
    counters = {k: int(v) for k, v in stats.items()
                if k.startswith(COUNTER_PREFIXES) and isinstance(v, (int, float))}
    counters["fetch/retries"] = int(stats.get("retry/count", 0))
    for key in ("fetch/requests", "fetch/pages", "fetch/errors"):
        counters.setdefault(key, 0)
    return {"counters": counters, **found}
