"""Downloader middlewares: the per-site request budget and blocked hosts, the configured proxy,
retries that back off from the host, and the request count per host.

Politeness itself (one request at a time per host, a delay, AutoThrottle) is Scrapy's own, set in
crawler/scrapy_settings.py.
"""
from __future__ import annotations

import logging
from collections import Counter

import ipaddress
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest

from crawler.outcomes import SkipRequest
from pipeline.urls import host_of

__all__ = ["HostGuardMiddleware", "ProxyMiddleware", "BackoffRetryMiddleware", "RequestCountMiddleware",
           "PrivateRedirectMiddleware", "PublicOnlyMiddleware"]

log = logging.getLogger(__name__)

# First retry waits this long (seconds) after the failure, doubling per retry: a server that just
# answered 500 or timed out gets room, as a person pressing reload would give it.
RETRY_BACKOFF_SECONDS = 1.0


def _host(request) -> str:
    return host_of(request.url)


class HostGuardMiddleware:
    """Drops requests to hosts that answered with a challenge (blocked) or spent their budget.

    Runs first, so a dropped request costs nothing, not even a robots.txt fetch."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.budget = int(crawler.spider.crawl.max_requests_per_site)

    @classmethod
    def from_crawler(cls, crawler) -> "HostGuardMiddleware":
        return cls(crawler)

    def process_request(self, request):
        host = _host(request)
        state = getattr(self.crawler.spider, "state", None)
        if state is None:
            return None
        if host in state.blocked_hosts:
            raise SkipRequest("host_blocked")
        if self.budget and state.requests_per_host[host] >= self.budget:
            raise SkipRequest("budget")
        return None


class ProxyMiddleware:
    """Sends every request (robots.txt included) through `crawl.proxy` when it is set; without it,
    Scrapy's HttpProxyMiddleware uses http_proxy / https_proxy / no_proxy from the environment."""

    def __init__(self, proxy: str) -> None:
        self.proxy = proxy

    @classmethod
    def from_crawler(cls, crawler) -> "ProxyMiddleware":
        return cls(crawler.spider.crawl.proxy or "")

    def process_request(self, request):
        if self.proxy and "proxy" not in request.meta:
            request.meta["proxy"] = self.proxy
        return None


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries (5xx, 408, 429, timeouts, resets), and each retry slows the host down:
    its download delay becomes at least RETRY_BACKOFF_SECONDS * 2^(retry-1). A later success
    halves it back towards the configured delay."""

    def _slot(self, request):
        engine = getattr(self.crawler, "engine", None)
        key = request.meta.get("download_slot")
        if engine is None or key is None:
            return None
        return engine.downloader.slots.get(key)

    def _retry(self, request, reason):
        new = super()._retry(request, reason)
        slot = self._slot(request)
        if new is not None and slot is not None:
            wait = RETRY_BACKOFF_SECONDS * 2 ** (new.meta.get("retry_times", 1) - 1)
            cap = float(self.crawler.spider.crawl.autothrottle_max_delay_seconds)
            slot.delay = max(slot.delay, min(wait, cap))
        return new

    def process_response(self, request, response, spider=None):
        result = super().process_response(request, response)
        if result is response and 200 <= response.status < 400:
            slot = self._slot(request)
            crawl = self.crawler.spider.crawl
            base = float(crawl.download_delay_seconds)
            # AutoThrottle, when on, brings the delay back down by itself.
            if slot is not None and slot.delay > base and not crawl.autothrottle:
                slot.delay = max(base, slot.delay / 2)
        return result


class RequestCountMiddleware:
    """Counts requests actually sent, per host: runs last, right before the download."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.local = Counter()

    @classmethod
    def from_crawler(cls, crawler) -> "RequestCountMiddleware":
        return cls(crawler)

    def process_request(self, request):
        host = _host(request)
        state = getattr(self.crawler.spider, "state", None)
        counts = state.requests_per_host if state is not None else self.local
        counts[host] += 1
        stats = self.crawler.stats
        stats.inc_value("fetch/requests")
        stats.inc_value(f"fetch/requests_per_host/{host}")
        return None


def is_private_host(host: str | None) -> bool:
    """localhost, or an address literal in a loopback, link-local, private or reserved range."""
    if not host:
        return False
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return False
    return (addr.is_loopback or addr.is_link_local or addr.is_private or addr.is_reserved
            or addr.is_unspecified or addr.is_multicast)


class PrivateRedirectMiddleware:
    """Refuses a redirect from a public host to a loopback, link-local or private address: a
    crawled site must not send the crawler to the machine's own services or a cloud metadata
    address (169.254.169.254). Recorded as a failed fetch; a crawl started on such an address on
    purpose (a local mirror) is not affected."""

    def process_request(self, request):
        chain = request.meta.get("redirect_urls")
        if not chain:
            return None
        target = urlsplit(request.url).hostname
        if is_private_host(target) and not is_private_host(urlsplit(chain[0]).hostname):
            raise IgnoreRequest(f"redirect to the private address {target} refused "
                                f"(from {chain[0]})")
        return None


class PublicOnlyMiddleware:
    """In a crawl that must stay on the public internet ([crawl] refuse_private_addresses), refuses
    every request to a URL holding a non-public address itself (http://127.0.0.1/, http://[::1]/,
    http://169.254.169.254/): those are connected to without a look-up, so
    crawler.resolver.PublicOnlyResolver, which checks the names, never sees them."""

    def process_request(self, request):
        host = urlsplit(request.url).hostname or ""
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return None
        from crawler.resolver import REFUSAL
        from pipeline.addresses import refused_address
        why = refused_address(host)
        if why:
            raise IgnoreRequest(f"{why}: {REFUSAL}")
        return None
