"""Guards on what the web app is asked to do: crawl URLs that must not reach inside the network
(SSRF), and request-rate limits per client address."""
from __future__ import annotations

import ipaddress
import socket
import threading
import time
from typing import Callable, Iterable
from urllib.parse import urlsplit

from jobs.web.errors import WebError
from pipeline.addresses import refused_address

__all__ = ["check_crawl_url", "resolve_host", "RateLimiter", "refused_address"]


def resolve_host(host: str, port: int) -> list[str]:
    """Every address *host* resolves to (the system resolver); tests replace this function."""
    return sorted({info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})


def check_crawl_url(url: str, *, allow_private: bool = False, max_length: int = 500,
                    resolver: Callable[[str, int], Iterable[str]] | None = None) -> str:
    """*url* if the web app may crawl it: http(s), a host, and (unless *allow_private*) every
    address the host resolves to public. Raises WebError(400) saying why not."""
    resolver = resolver or resolve_host
    if not isinstance(url, str) or not url.strip():
        raise WebError(400, "crawl URL: empty")
    url = url.strip()
    if len(url) > max_length:
        raise WebError(400, f"crawl URL: longer than {max_length} characters")
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise WebError(400, f"crawl URL {url!r}: not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise WebError(400, f"crawl URL {url!r}: only http and https URLs are crawled")
    host = parts.hostname
    if not host:
        raise WebError(400, f"crawl URL {url!r}: no host")
    if allow_private:
        return url
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        try:
            addresses = list(resolver(host, port))
        except (OSError, UnicodeError) as exc:
            raise WebError(400, f"crawl URL {url!r}: host {host} does not resolve ({exc})") from None
    if not addresses:
        raise WebError(400, f"crawl URL {url!r}: host {host} does not resolve")
    for address in addresses:
        why = refused_address(address)
        if why:
            raise WebError(400, f"crawl URL {url!r} refused: {host} resolves to {why} "
                                "(set [web] allow_private_crawl_urls to allow it)")
    return url


class RateLimiter:
    """At most *per_minute* requests per key in any minute-long fixed window (in memory, per
    process: enough for one server on 127.0.0.1 or behind one proxy)."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Count a request; None if allowed, else the seconds until the key may try again."""
        if self.per_minute <= 0:
            return None
        now = self._clock()
        with self._lock:
            start, count = self._windows.get(key, (now, 0))
            if now - start >= 60:
                start, count = now, 0
            if count >= self.per_minute:
                return max(1.0, 60 - (now - start))
            self._windows[key] = (start, count + 1)
            if len(self._windows) > 10000:  # forget old windows rather than grow without end
                self._windows = {k: v for k, v in self._windows.items() if now - v[0] < 60}
            return None
