"""Run one crawl in the current process and return its counters.

Twisted's reactor cannot be restarted, so a process runs at most one crawl: jobs starts a fresh
process for each (jobs.crawl_process), and so do the tests.
"""
from __future__ import annotations

import logging
from typing import Any, Protocol

from scrapy.crawler import AsyncCrawlerProcess

from crawler.capture import CaptureStore
from crawler.scrapy_settings import scrapy_settings
from crawler.spiders.reports import ReportSpider
from storage.db import open_database
from storage.models import Source

__all__ = ["run_crawl", "CrawlConfig", "COUNTER_PREFIXES"]

log = logging.getLogger(__name__)

# The run's counters are the stats under these prefixes (plus Scrapy's retry count).
COUNTER_PREFIXES = ("fetch/", "discover/", "capture/")


class CrawlConfig(Protocol):
    """What run_crawl reads from jobs.config.CrawlSettings (crawler never imports jobs)."""

    user_agent: str
    obey_robots: bool
    concurrent_requests_per_host: int
    concurrent_requests: int
    download_delay_seconds: float
    autothrottle: bool
    autothrottle_max_delay_seconds: float
    retry_times: int
    download_timeout_seconds: float
    max_response_bytes: int
    max_requests_per_site: int
    max_list_pages: int
    max_url_length: int
    revisit_seconds: int
    verify_tls: bool
    proxy: str
    refuse_private_addresses: bool
    log_level: str


def _offline_public_suffixes() -> None:
    """Scrapy's cookie middleware asks tldextract which domains are public suffixes, and
    tldextract downloads the list from GitHub on first use. A crawl must not depend on (or send
    requests to) a third host: use the list bundled with tldextract instead."""
    from scrapy.downloadermiddlewares import cookies
    from tldextract import TLDExtract

    cookies._split_domain = TLDExtract(suffix_list_urls=(), include_psl_private_domains=True)


def run_crawl(*, crawl: CrawlConfig, database_url: str, run_id: int, start_urls: list[str],
              source_id: int | None = None, revisit_seconds: int | None = None,
              busy_timeout_ms: int = 30000, compression_level: int = 6) -> dict[str, int]:
    """Crawl *start_urls* (report columns, or home pages for discovery), writing every capture to
    the database under *run_id*; return namespaced counters (fetch/pages, fetch/errors, ...).

    Starts the Twisted reactor: call it once per process."""
    db = open_database(database_url, busy_timeout_ms=busy_timeout_ms,
                       compression_level=compression_level)
    try:
        known_columns: list[str] = []
        if source_id is not None:
            with db.session() as s:
                source = s.get(Source, source_id)
                known_columns = list(source.known_columns or []) if source else []
        store = CaptureStore(db, run_id=run_id, source_id=source_id,
                             compression_level=compression_level)
        _offline_public_suffixes()
        process = AsyncCrawlerProcess(scrapy_settings(crawl))
        crawler = process.create_crawler(ReportSpider)
        process.crawl(crawler, start_urls=list(start_urls), store=store, crawl=crawl,
                      known_columns=known_columns,
                      revisit_seconds=crawl.revisit_seconds if revisit_seconds is None else revisit_seconds)
        process.start()
        stats: dict[str, Any] = crawler.stats.get_stats() if crawler.stats else {}
    finally:
        db.dispose()
    counters = {k: int(v) for k, v in stats.items()
                if k.startswith(COUNTER_PREFIXES) and isinstance(v, (int, float))}
    counters["fetch/retries"] = int(stats.get("retry/count", 0))
    for key in ("fetch/requests", "fetch/pages", "fetch/not_modified", "fetch/errors", "fetch/blocked"):
        counters.setdefault(key, 0)
    return counters
