"""The DNS resolver of a crawl that must stay on the public internet ([crawl]
refuse_private_addresses, set for one-off crawls of URLs submitted through the web app): a name
that resolves to a loopback, private, link-local or metadata address is not connected to.

Checking the URL when it is submitted is not enough: its name can resolve to a public address
then and to 127.0.0.1 when the crawler connects (DNS rebinding), and every link and redirect of
the crawl is a new name. The check is made on the address the connection will use (what this
resolver returns and caches), not on a second look-up of its own. URLs holding an address
itself are not resolved: crawler.middlewares.PublicOnlyMiddleware refuses those."""
from __future__ import annotations

from typing import Any, Sequence

from scrapy.resolver import CachingThreadedResolver
from twisted.internet.error import DNSLookupError

from pipeline.addresses import refused_address

__all__ = ["PublicOnlyResolver", "ALLOWED_HOSTS_SETTING", "REFUSAL", "refusal_for"]

REFUSAL = "refused (this crawl may reach public addresses only)"

# Names this resolver lets through whatever they resolve to: the configured proxy's host.
ALLOWED_HOSTS_SETTING = "GOVREPORTS_PRIVATE_HOSTS_ALLOWED"


class PublicOnlyResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing non-public addresses (as a failed look-up)."""

    allowed: frozenset[str] = frozenset()

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> "PublicOnlyResolver":
        resolver = super().from_crawler(crawler, reactor)
        resolver.allowed = frozenset(h.lower() for h in crawler.settings.getlist(ALLOWED_HOSTS_SETTING))
        return resolver

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Any:  # noqa: N802 (Twisted's name)
        d = super().getHostByName(name, timeout)
        if name.lower() not in self.allowed:
            d.addCallback(_public, name)
        return d


# Why each refused name was refused: Twisted's connection reports only "no results for hostname
# lookup", and the capture's error should say what happened (crawler/outcomes.py). One crawl
# per process, a few names each.
_REFUSED: dict[str, str] = {}


def refusal_for(host: str | None) -> str | None:
    """Why this crawl refused to connect to *host*, if it did."""
    return _REFUSED.get((host or "").lower())


def _public(address: str, name: str) -> str:
    why = refused_address(address)
    if why:
        _REFUSED[name.lower()] = f"{name} resolves to {why}: {REFUSAL}"
        raise DNSLookupError(_REFUSED[name.lower()])
    return address
