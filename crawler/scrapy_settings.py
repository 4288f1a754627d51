"""Scrapy's settings for one crawl, from govreports' crawl settings. The only place Scrapy's
UPPER_CASE names appear."""
from __future__ import annotations

from typing import Any

__all__ = ["scrapy_settings", "MAX_REDIRECTS"]

# Real sites need a few hops (http -> https -> trailing slash -> cookie gate); more is a loop.
MAX_REDIRECTS = 5
# Scrapy 2.19 on the asyncio reactor starts every queued request of a host at once when
# DOWNLOAD_DELAY is 0: the slot's "transferring" set is filled by a task that has not run yet, so
# CONCURRENT_REQUESTS_PER_DOMAIN is not enforced (seen in the test web's request log). Any delay
# above 0 takes the path that waits for the slot, so 0 is raised to this (seconds).
MIN_DOWNLOAD_DELAY = 0.001
CONCURRENT_ITEMS = 4
# Stats kept in the log only when debugging: the run's counters go to the database.
_DEBUG_LEVELS = ("DEBUG",)


def scrapy_settings(crawl: Any) -> dict[str, Any]:
    """Settings for CrawlerProcess. *crawl* is a CrawlSettings (read by attribute)."""
    delay = max(float(crawl.download_delay_seconds), MIN_DOWNLOAD_DELAY)
    out = {
        "BOT_NAME": "govreports",
        "USER_AGENT": crawl.user_agent,
        "ROBOTSTXT_OBEY": bool(crawl.obey_robots),
        "ROBOTSTXT_USER_AGENT": "govreports",
        # Politeness: one request at a time per host, spaced by the delay (randomised by +-50%),
        # AutoThrottle stretching it when the server slows down.
        "CONCURRENT_REQUESTS": int(crawl.concurrent_requests),
        "CONCURRENT_REQUESTS_PER_DOMAIN": int(crawl.concurrent_requests_per_host),
        "DOWNLOAD_DELAY": delay,
        "DOWNLOAD_DELAY_JITTER": 0.5,
        "AUTOTHROTTLE_ENABLED": bool(crawl.autothrottle),
        # Scrapy starts AutoThrottle at 5 s; the configured delay is already the polite start.
        "AUTOTHROTTLE_START_DELAY": max(delay, 0.1),
        "AUTOTHROTTLE_MAX_DELAY": float(crawl.autothrottle_max_delay_seconds),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
        "RETRY_ENABLED": int(crawl.retry_times) > 0,
        "RETRY_TIMES": int(crawl.retry_times),
        # The spider logs each failed fetch once, with its URL and stage.
        "RETRY_GIVE_UP_LOG_LEVEL": "DEBUG",
        "DOWNLOAD_TIMEOUT": float(crawl.download_timeout_seconds),
        "DOWNLOAD_MAXSIZE": int(crawl.max_response_bytes),
        "DOWNLOAD_WARNSIZE": 0,
        "DOWNLOAD_VERIFY_CERTIFICATES": bool(crawl.verify_tls),
        "URLLENGTH_LIMIT": int(crawl.max_url_length),
        "REDIRECT_MAX_TIMES": MAX_REDIRECTS,
        "COOKIES_ENABLED": True,
        # Every status reaches the spider, which records 404s, 304s and challenges as captures.
        "HTTPERROR_ALLOW_ALL": True,
        # The spider de-duplicates by canonical URL; Scrapy's filter would also drop the
        # redirect of a cookie gate back to the same URL.
        "DUPEFILTER_CLASS": "scrapy.dupefilters.BaseDupeFilter",
        "DOWNLOADER_MIDDLEWARES": {
            "crawler.middlewares.HostGuardMiddleware": 40,
            "crawler.middlewares.PrivateRedirectMiddleware": 45,
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "crawler.middlewares.BackoffRetryMiddleware": 550,
            "crawler.middlewares.ProxyMiddleware": 740,
            "crawler.middlewares.RequestCountMiddleware": 960,
        },
        "ITEM_PIPELINES": {"crawler.capture.CapturePipeline": 300},
        # Scrapy re-reads each callback's source (inspect + ast) to warn about `return value` in
        # generators: 10 ms per response in the test web's profile, and ours return nothing.
        "WARN_ON_GENERATOR_RETURN_VALUE": False,
        # Scrapy starts this many asyncio tasks for every response's output (100 by default: two
        # thirds of the event loop's work in bench/crawl_speed.py); our item pipeline is
        # synchronous, so parallel item processing gains nothing.
        "CONCURRENT_ITEMS": CONCURRENT_ITEMS,
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "LOG_LEVEL": str(crawl.log_level).upper(),
        "STATS_DUMP": str(crawl.log_level).upper() in _DEBUG_LEVELS,
        "LOGSTATS_INTERVAL": 60.0,
    }
    if getattr(crawl, "refuse_private_addresses", False):
        # Checked where the crawler connects (crawler/resolver.py), not only where the URL was
        # submitted. Through a proxy, the proxy resolves the sites' names: only address
        # literals are refused then.
        from urllib.parse import urlsplit

        from crawler.resolver import ALLOWED_HOSTS_SETTING
        out["TWISTED_DNS_RESOLVER"] = "crawler.resolver.PublicOnlyResolver"
        out["DOWNLOADER_MIDDLEWARES"]["crawler.middlewares.PublicOnlyMiddleware"] = 46
        proxy = urlsplit(crawl.proxy).hostname if crawl.proxy else None
        out[ALLOWED_HOSTS_SETTING] = [proxy] if proxy else []
    return out
