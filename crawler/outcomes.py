"""What a fetch came to: a capture's fetch_state and an error naming the URL and the stage.

Responses: 2xx ok, 304 not_modified, JavaScript challenges and WAF pages blocked, the rest
http_error. Failures: timeouts, resets, refused connections, broken HTTP, too large, robots.txt.
"""
from __future__ import annotations

import re
import zlib
from urllib.parse import urlsplit

from OpenSSL import SSL
from service_identity.exceptions import VerificationError
from twisted.internet import error as tx_error
from twisted.web._newclient import ParseError, ResponseFailed, ResponseNeverReceived

from scrapy.exceptions import (
    CannotResolveHostError, DownloadCancelledError, DownloadConnectionRefusedError,
    DownloadTimeoutError, IgnoreRequest, ResponseDataLossError,
)

__all__ = ["STAGE", "SkipRequest", "challenge_reason", "response_outcome", "failure_outcome"]

STAGE = "fetch"


class SkipRequest(IgnoreRequest):
    """A request the crawler chose not to send (budget spent, host blocked); counted, not captured."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# Protection pages: (status or None for any, pattern over the first bytes of the body, reason,
# real example). Challenges need a browser to run their JavaScript: recorded, never retried.
CHALLENGES: tuple[tuple[int | None, re.Pattern[str], str, str], ...] = (
    (412, re.compile(r".", re.S), "HTTP 412 JavaScript cookie challenge",
     "412 with <script>…document.cookie=…;location.reload()</script> (Ruishu/瑞数)"),
    (521, re.compile(r".", re.S), "HTTP 521 JavaScript cookie challenge (jiasule)",
     "521 with <script>document.cookie=('__jsl_clearance=…')</script> (加速乐)"),
    (403, re.compile(r"waf|安全狗|云锁|防火墙|拦截|访问被阻断|Request blocked", re.I),
     "HTTP 403 web application firewall",
     "403 <title>访问被拦截</title> 您的访问被网站防火墙拦截 (安全狗 / 云锁 / WAF)"),
    (None, re.compile(r"__jsl_clearance|acw_sc__v2|\$_ts\s*=\s*window"),
     "JavaScript cookie challenge",
     "200 page whose only content is a script setting __jsl_clearance / acw_sc__v2"),
)
# Challenge pages are small; a full page that merely mentions "WAF" is content.
_CHALLENGE_MAX_BYTES = 20_000


def challenge_reason(status: int, body: bytes) -> str | None:
    """Why a response is a protection page rather than content, or None."""
    head = body[:_CHALLENGE_MAX_BYTES]
    # Either encoding may be served; undecodable bytes are simply dropped for matching.
    text = head.decode("utf-8", "ignore") + head.decode("gb18030", "ignore")
    for want, pattern, reason, _ in CHALLENGES:
        if want is not None and status != want:
            continue
        if want is None and (status >= 300 or len(body) > _CHALLENGE_MAX_BYTES):
            continue
        if pattern.search(text):
            return reason
    return None


def response_outcome(url: str, status: int, body: bytes) -> tuple[str, str | None]:
    """(fetch_state, fetch_error) for a response to *url*."""
    blocked = challenge_reason(status, body)
    if blocked:
        return "blocked", f"{STAGE}: {url}: blocked: {blocked}"
    if 200 <= status < 300:
        return "ok", None
    if status == 304:
        return "not_modified", None
    return "http_error", f"{STAGE}: {url}: HTTP {status}"


# (exception types, message). First match wins; all are network errors.
_FAILURES: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((DownloadTimeoutError, tx_error.TimeoutError), "timeout after {timeout:g} s"),
    ((CannotResolveHostError, tx_error.DNSLookupError), "host name not found"),
    ((DownloadConnectionRefusedError, tx_error.ConnectionRefusedError), "connection refused"),
    ((tx_error.SSLError,), "TLS handshake failed"),
    ((ResponseDataLossError,), "connection closed before the whole body arrived"),
    ((zlib.error,), "broken compressed body (Content-Encoding)"),
    ((tx_error.ConnectError,), "connection failed"),
)
# Why Twisted's HTTP client gave up on a response: (reason type, message).
_RESPONSE_FAILURES: tuple[tuple[type[BaseException], str], ...] = (
    (ParseError, "not an HTTP response (garbage from the server)"),
    (VerificationError, "TLS certificate rejected (not valid for the host; crawl.verify_tls is on)"),
    (SSL.Error, "TLS certificate rejected or handshake failed (crawl.verify_tls is on)"),
    (tx_error.ConnectionLost, "connection reset by the server"),
    (tx_error.ConnectionDone, "connection closed by the server"),
)


def _response_failure(exc: BaseException) -> str | None:
    """What a ResponseFailed (wrapped by Scrapy in DownloadFailedError) says went wrong."""
    cause = exc if isinstance(exc, ResponseFailed) else exc.__cause__
    if not isinstance(cause, ResponseFailed):
        return None
    when = "before a response" if isinstance(cause, ResponseNeverReceived) else "while reading the body"
    for reason in getattr(cause, "reasons", []):
        for kind, text in _RESPONSE_FAILURES:
            if reason.check(kind):
                return text if kind in (ParseError, VerificationError, SSL.Error) else f"{text}, {when}"
    return f"connection failed {when}"


def failure_outcome(url: str, exc: BaseException, *, timeout: float, max_bytes: int,
                    max_redirects: int) -> tuple[str, str]:
    """(fetch_state, fetch_error) for a fetch of *url* that raised *exc*."""
    message = str(exc)
    if isinstance(exc, DownloadCancelledError) or (isinstance(exc, IgnoreRequest)
                                                   and "DOWNLOAD_MAXSIZE" in message):
        return "too_large", f"{STAGE}: {url}: larger than the {max_bytes} bytes limit"
    if isinstance(exc, IgnoreRequest):
        if "robots.txt" in message:
            return "robots", f"{STAGE}: {url}: disallowed by robots.txt"
        if "redirections" in message:
            return "http_error", f"{STAGE}: {url}: more than {max_redirects} redirects (redirect loop)"
        return "network_error", f"{STAGE}: {url}: dropped: {message}"
    if isinstance(exc, (CannotResolveHostError, tx_error.DNSLookupError)):
        # A look-up refused on purpose (a crawl of public addresses only): Twisted reports it
        # as "no results", the resolver kept why.
        from crawler.resolver import refusal_for
        refused = refusal_for(urlsplit(url).hostname)
        if refused:
            return "network_error", f"{STAGE}: {url}: {refused}"
    for types, text in _FAILURES:
        if isinstance(exc, types):
            return "network_error", f"{STAGE}: {url}: {text.format(timeout=timeout)}"
    response_failure = _response_failure(exc)
    if response_failure:
        return "network_error", f"{STAGE}: {url}: {response_failure}"
    name = type(exc).__name__
    return "network_error", f"{STAGE}: {url}: {name}: {message}"[:1000]
