"""The canonical form of a URL, hosts and sites, and which hosts are official.

Pure: strings in, strings out. A canonical URL names a document, not a way to fetch it: two URLs
with the same canonical form are the same page (same captures, same publication). w3lib does the
general part (sorted query, percent-encoding, no fragment); the rules below are what Chinese
government sites add, each with a real example.
"""
from __future__ import annotations

import re
from typing import Iterable
from urllib.parse import urlsplit, urlunsplit

from w3lib.url import canonicalize_url

__all__ = ["canonical_url", "without_session", "host_of", "site_of", "is_official_host",
           "OFFICIAL_SUFFIX"]

# Only *.gov.cn is official: spam clones copy reports verbatim onto other hosts.
OFFICIAL_SUFFIX = ".gov.cn"

# Query parameters that name a visit, not a document: (pattern, real example).
VOLATILE_PARAMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"utm_[a-z]+"), "http://www.gd.gov.cn/zwgk/t1.html?utm_source=wechat"),
    (re.compile(r"spm"), "https://www.hangzhou.gov.cn/art/2024/3/1/art_1_1.html?spm=a2c4g.1"),
    (re.compile(r"(j|php|asp\.net_)?session_?id", re.I), "http://x.gov.cn/list.jsp?jsessionid=9A1B"),
    (re.compile(r"from|isappinstalled|scene|clicktime|enterid|share(_token|from)?"),
     "http://www.gov.cn/zhengce/content_1.htm?from=groupmessage&isappinstalled=0"),
    # jQuery's cache buster `_=1711599123456`.
    (re.compile(r"_"), "http://x.gov.cn/api/list?page=2&_=1711599123456"),
)

# Path parameters carrying a session: `/index.jsp;jsessionid=0A1B2C3D`.
_PATH_SESSION = re.compile(r";(jsessionid|phpsessid|sid)=[^/?#]*", re.I)
# TRS mobile twin of an article: t20240328_6583952_wap.html -> t20240328_6583952.html.
_WAP_TWIN = re.compile(r"(/t\d{8}_\d+)_wap(\.s?html?)$")
# Big5 gateway mirror: http://big5.www.gov.cn/gate/big5/www.gov.cn/zhengce/content_1.htm
_BIG5_GATE = re.compile(r"^/gate/big5/([^/]+)(/.*)?$", re.I)
# A directory's index page is the directory: /col/col1/index.html == /col/col1/
_DIR_INDEX = re.compile(r"/(index|default)\.(s?html?|aspx?|jsp|php)$", re.I)
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Second-level suffixes under which the registrable name is the third label from the right.
_CN_SECOND_LEVEL = {"gov.cn", "com.cn", "net.cn", "org.cn", "edu.cn", "ac.cn"}


def host_of(url: str) -> str:
    """Lower-case host name of *url*, without port or trailing dot ('' if there is none)."""
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""
    return host.rstrip(".").lower()


def site_of(host: str) -> str:
    """The registrable name a host belongs to: sfj.youyang.gov.cn -> youyang.gov.cn,
    news.example.com -> example.com. Hosts of one site share it."""
    labels = host.lower().rstrip(".").split(".")
    if len(labels) >= 3 and ".".join(labels[-2:]) in _CN_SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def is_official_host(host: str, extra_hosts: Iterable[str] = ()) -> bool:
    """True for *.gov.cn, and for the configured sources' own hosts (and their sub-hosts)."""
    host = host.lower().rstrip(".")
    if not host:
        return False
    if host == OFFICIAL_SUFFIX[1:] or host.endswith(OFFICIAL_SUFFIX):
        return True
    for extra in extra_hosts:
        extra = extra.lower().strip().strip(".")
        if extra and (host == extra or host.endswith("." + extra)):
            return True
    return False


def _volatile(name: str) -> bool:
    return any(p.fullmatch(name) for p, _ in VOLATILE_PARAMS)


def without_session(url: str) -> str:
    """*url* without session ids and tracking parameters, otherwise untouched: the URL to fetch
    (a cookie jar carries the session) and to show.

    >>> without_session("http://x.gov.cn/a/1.jhtml;jsessionid=0A1B?id=2&utm_source=wx")
    'http://x.gov.cn/a/1.jhtml?id=2'
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    path = _PATH_SESSION.sub("", parts.path)
    query = "&".join(pair for pair in parts.query.split("&")
                     if pair and not _volatile(pair.split("=", 1)[0]))
    if path == parts.path and query == parts.query:
        return url
    return urlunsplit((parts.scheme, parts.netloc, path, query, parts.fragment))


def canonical_url(url: str) -> str:
    """One form per document: no fragment or session/tracking parameters, sorted query, lower-case
    host, http for https, no default port, mobile twins and big5 mirrors mapped to the original.

    >>> canonical_url("HTTPS://Www.Hechuan.gov.cn:443/zwgk/t20250124_1_wap.html?utm_source=x#top")
    'http://www.hechuan.gov.cn/zwgk/t20250124_1.html'
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return canonicalize_url(url) if scheme else url
    host = (parts.hostname or "").rstrip(".").lower()
    path = _PATH_SESSION.sub("", parts.path) or "/"
    # Big5 gateway: the mirrored host and path are inside the path.
    if host.startswith("big5."):
        gate = _BIG5_GATE.match(path)
        if gate:
            host, path = gate.group(1).lower(), gate.group(2) or "/"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{host}:{port}"
    path = _WAP_TWIN.sub(r"\1\2", path)
    path = _DIR_INDEX.sub("/", path)
    # Raw pairs, not parse_qsl: a GBK-encoded value (%D6%D0) must survive unchanged.
    query = "&".join(pair for pair in parts.query.split("&")
                     if pair and not _volatile(pair.split("=", 1)[0]))
    # http and https serve the same document on government hosts; one form for both.
    rebuilt = urlunsplit(("http", netloc, path, query, ""))
    return canonicalize_url(rebuilt, keep_fragments=False)
