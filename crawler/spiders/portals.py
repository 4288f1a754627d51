"""The discovery spider: from government portals to the sites they list (subordinate governments'
portals, departments' sites), one page each, within a request budget.

- A portal's home page, and up to `max_pages_per_portal - 1` of its own pages that carry the lists
  (政府网站导航, 部门网站), are read for links (crawler.portals.directory_links).
- Each link's text is read as a government's or department's name under the portal's division
  (pipeline.divisions.read_site_name); a link whose text names no government site is dropped, and
  reported when it was in a list of sites (a 友情链接 to a news site).
- Each linked site is fetched once (its home page): who it says it is (SiteName, 网站标识码), whether
  it is official (a gov.cn host, or a 网站标识码 of a real division: the rule every government site
  follows and no news site can), whether it moved (a redirect to another host, a 网站已迁移 page) or
  closed (已关停). Governments' portals within the depth are then read for their own lists.
Every fetch becomes a capture (role home or list: kept raw, never parsed as a report). The findings
are `PortalSpider.results()`, for jobs to write into the registry.
"""
from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from scrapy import Request, Spider
from scrapy.http import Response, TextResponse

from crawler.capture import CaptureStore
from crawler.items import CaptureItem
from crawler.links import anchors, page_root
from crawler.outcomes import SkipRequest, failure_outcome, response_outcome
from crawler.plan import CrawlState
from crawler.portals import (
    PortalLink, SiteIdentity, SiteNotice, directory_links, directory_pages, script_redirect,
    site_identity, site_key, site_notice,
)
from crawler.scrapy_settings import MAX_REDIRECTS
from pipeline import divisions
from pipeline.divisions import SiteName, read_site_name
from pipeline.regions import PROVINCE_DOMAINS
from pipeline.urls import canonical_url, host_of, is_official_host, site_of

__all__ = ["PortalSpider"]

log = logging.getLogger(__name__)

# Contexts of links listed as sites: a link there whose name is no government's is reported.
LISTED = ("governments", "departments", "sites", "friends")
# A portal's home page that is only a script redirect is followed this many times.
MAX_SCRIPT_HOPS = 2
# Pages larger than this are not read for lists: real portals' pages are well under 1 MB, and a
# 1 MB page of 5,000 links takes about a second to read (measured); a bigger one is a trap.
MAX_LIST_PAGE_BYTES = 3_000_000


@dataclass
class Sighting:
    """One link to a site: where it was, its text, and what the text says."""

    found_from: str
    text: str
    heading: str
    context: str
    method: str
    name: SiteName


@dataclass
class SiteRecord:
    key: str
    url: str
    depth: int
    root_code: str | None
    root: bool = False
    sightings: list[Sighting] = field(default_factory=list)
    portal_code: str | None = None  # the division of the portal that first linked it
    final_url: str | None = None
    status: int | None = None
    error: str | None = None
    identity: SiteIdentity = field(default_factory=SiteIdentity)
    state: str = "active"  # active | moved | closed | failing | blocked
    successor: str | None = None
    notice: str | None = None
    predecessor: str | None = None  # the key of the site that moved here
    fetched: bool = False
    pages: int = 0
    code: str | None = None
    department: str = ""
    resolved_by: str = ""


class PortalSpider(Spider):
    name = "govreports-portals"

    def __init__(self, *, start_urls: Iterable[str], store: CaptureStore | None, crawl: Any,
                 depth: int, max_pages_per_portal: int, max_requests: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_urls = list(start_urls)
        self.store = store
        self.crawl = crawl
        self.depth = int(depth)
        self.max_pages = max(1, int(max_pages_per_portal))
        self.max_requests = int(max_requests)
        self.state = CrawlState()  # requests per host and blocked hosts, for the middlewares
        self.sites: dict[str, SiteRecord] = {}
        self.rejected: dict[str, dict[str, Any]] = {}
        self.scheduled = 0
        self._keys = itertools.count(1)

    # ------------------------------------------------------------------ requests
    async def start(self):
        for url in self.start_urls:
            key = site_key(url)
            if key in self.sites:
                continue
            rec = SiteRecord(key=key, url=url, depth=0, root_code=None, root=True)
            self.sites[key] = rec
            request = self._request(url, rec, "home")
            if request is not None:
                yield request

    def _inc(self, key: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(key, n)

    def _request(self, url: str, rec: SiteRecord, role: str, hops: int = 0) -> Request | None:
        if self.max_requests and self.scheduled >= self.max_requests:
            self._inc("discover/skipped/request_budget")
            return None
        if rec.pages >= self.max_pages:
            self._inc("discover/skipped/portal_budget")
            return None
        rec.pages += 1
        self.scheduled += 1
        # Sites before their lists' pages: finish checking what is found before looking further.
        priority = 10 - min(rec.depth, 9) if role == "home" else 0
        return Request(url, callback=self.on_response, errback=self.on_error, dont_filter=True,
                       priority=priority, meta={"site": rec.key, "role": role, "hops": hops})

    # ------------------------------------------------------------------ responses
    def _capture(self, response: Response, role: str, state: str, error: str | None) -> CaptureItem:
        def header(name: bytes) -> str | None:
            return (response.headers.get(name) or b"").decode("latin-1") or None
        url = response.request.url
        item = CaptureItem(
            key=next(self._keys), url=url, canonical_url=canonical_url(url), role=role,
            fetch_state=state, fetch_error=error,
            final_url=response.url if response.url != url else None, http_status=response.status,
            content_type=header(b"Content-Type"), etag=header(b"ETag"),
            last_modified=header(b"Last-Modified"), link_text="discovery")
        if state in ("ok", "http_error", "blocked"):
            item.body = response.body
        return item

    def on_response(self, response: Response) -> Iterator[CaptureItem | Request]:
        meta = response.meta
        rec = self.sites[meta["site"]]
        role = "home" if meta["role"] == "home" else "list"
        state, error = response_outcome(response.request.url, response.status, response.body)
        yield self._capture(response, role, state, error)
        self._inc("fetch/pages" if state == "ok" else "fetch/errors")
        if meta["role"] != "home":
            if state == "ok" and isinstance(response, TextResponse):
                yield from self._read_lists(rec, page_root(response.text), response.url,
                                            len(response.body))
            return
        rec.fetched = True
        rec.status = response.status
        if state != "ok" or not isinstance(response, TextResponse):
            rec.error = error or f"fetch: {response.url}: not a web page"
            rec.state = "blocked" if state == "blocked" else "failing"
            self._resolve(rec)
            return
        root = page_root(response.text)
        hop = script_redirect(root, response.text, response.url)
        if hop and meta.get("hops", 0) < MAX_SCRIPT_HOPS:
            if host_of(hop) == host_of(response.url):
                request = self._request(hop, rec, "home", hops=meta.get("hops", 0) + 1)
                if request is not None:
                    yield request
                    return
            else:
                yield from self._moved(rec, hop, "moved", f"the page sends the browser to {hop}")
                return
        rec.final_url = response.url
        if host_of(response.url).removeprefix("www.") != host_of(rec.url).removeprefix("www."):
            # Redirected to another host: the site moved; the answer is the successor's page.
            rec.state, rec.successor = "moved", response.url
            rec.notice = f"HTTP redirect to {response.url}"
            self._resolve(rec)
            successor = self._successor(rec, response.url)
            if successor is None:
                return
            rec = successor
            rec.fetched, rec.status, rec.final_url = True, response.status, response.url
            rec.pages += 1
        rec.identity = site_identity(root, response.text)
        notice = site_notice(root, response.url)
        if notice is not None:
            yield from self._noticed(rec, notice)
            return
        self._resolve(rec)
        if rec.code is None and not rec.root:
            return
        if not rec.department and rec.depth < self.depth and self._official(rec)[0]:
            yield from self._read_lists(rec, root, response.url, len(response.body))
            for url in directory_pages(anchors(root, response.url), response.url):
                request = self._request(url, rec, "directory")
                if request is None:
                    break
                yield request

    def _noticed(self, rec: SiteRecord, notice: SiteNotice) -> Iterator[Request]:
        rec.notice = notice.text
        yield from self._moved(rec, notice.successor, notice.state, notice.text)

    def _moved(self, rec: SiteRecord, successor: str | None, state: str, why: str) -> Iterator[Request]:
        rec.state, rec.successor, rec.notice = state, successor, why
        self._resolve(rec)
        if successor:
            nxt = self._successor(rec, successor)
            if nxt is not None:
                request = self._request(successor, nxt, "home")
                if request is not None:
                    yield request

    def _successor(self, rec: SiteRecord, url: str) -> SiteRecord | None:
        """The record of the site *rec* moved to, taking over what the links said of *rec*."""
        key = site_key(url)
        if key == rec.key:
            return None
        existing = self.sites.get(key)
        if existing is not None:
            return None
        nxt = SiteRecord(key=key, url=url, depth=rec.depth, root_code=rec.root_code,
                         sightings=list(rec.sightings), portal_code=rec.portal_code,
                         predecessor=rec.key)
        self.sites[key] = nxt
        return nxt

    def on_error(self, failure) -> Iterator[CaptureItem]:
        request = failure.request
        meta = request.meta
        exc = failure.value
        rec = self.sites.get(meta.get("site", ""))
        if isinstance(exc, SkipRequest):
            self._inc(f"fetch/skipped/{exc.reason}")
            if rec is not None and meta.get("role") == "home":
                rec.error = f"fetch: {request.url}: not requested ({exc.reason})"
                self._resolve(rec)
            return
        state, error = failure_outcome(
            request.url, exc, timeout=float(self.crawl.download_timeout_seconds),
            max_bytes=int(self.crawl.max_response_bytes), max_redirects=MAX_REDIRECTS)
        self._inc("fetch/errors")
        log.warning("%s", error)
        yield CaptureItem(key=next(self._keys), url=request.url,
                          canonical_url=canonical_url(request.url),
                          role="home" if meta.get("role") == "home" else "list",
                          fetch_state=state, fetch_error=error, link_text="discovery")
        if rec is not None and meta.get("role") == "home":
            rec.fetched = True
            rec.error = error
            rec.state = "failing" if state != "robots" else "active"
            self._resolve(rec)

    # ------------------------------------------------------------------ links
    def _read_lists(self, portal: SiteRecord, root, page_url: str, size: int = 0) -> Iterator[Request]:
        """Requests for the sites a portal's page lists (each once). A page that cannot be read
        is logged once, with its URL, and the discovery goes on."""
        if size > MAX_LIST_PAGE_BYTES:
            self._inc("discover/skipped/page_too_large")
            log.warning("discover: %s: %d bytes, larger than %d: not read for lists", page_url, size,
                        MAX_LIST_PAGE_BYTES)
            return
        try:
            links = directory_links(root, page_url)
        except Exception as exc:  # hostile markup must not end the run; counted and named
            self._inc("discover/errors")
            log.warning("discover: %s: reading its lists failed: %s: %s", page_url,
                        exc.__class__.__name__, exc)
            return
        for link in links:
            request = self._sighting(portal, link, page_url)
            if request is not None:
                yield request

    def _sighting(self, portal: SiteRecord, link: PortalLink, page_url: str) -> Request | None:
        key = site_key(link.url)
        if key == portal.key:
            return None
        name = read_site_name(link.text, within_code=portal.code, root=portal.root_code or portal.code)
        if name is None:
            # Reported when listed as a site and off the portal's own site (更多>> is neither).
            if link.context in LISTED and site_of(host_of(link.url)) != site_of(host_of(page_url)):
                scope = portal.root_code or portal.code
                under = divisions.place_name(scope) if divisions.division(scope) else "China"
                self._reject(link, page_url, f"its name ({link.text}) names no government or "
                                              f"department in {under}")
            return None
        if name.code is not None and name.code == portal.code and not name.department:
            return None  # the portal's own government, under another address
        sighting = Sighting(found_from=page_url, text=link.text, heading=link.heading,
                            context=link.context, method=link.method, name=name)
        rec = self.sites.get(key)
        if rec is not None:
            rec.sightings.append(sighting)
            if rec.fetched and rec.code is None:
                self._resolve(rec)
            return None
        if portal.depth + 1 > self.depth:
            return None
        rec = SiteRecord(key=key, url=link.url, depth=portal.depth + 1,
                         root_code=portal.root_code or portal.code, sightings=[sighting],
                         portal_code=portal.code)
        self.sites[key] = rec
        self._inc("discover/links")
        request = self._request(link.url, rec, "home")
        if request is None:
            rec.error = f"fetch: {link.url}: not requested (the discovery's request budget is spent)"
        return request

    def _reject(self, link: PortalLink, page_url: str, reason: str) -> None:
        if link.url in self.rejected or site_key(link.url) in self.sites:
            return
        where = f"{link.heading} " if link.heading else ""
        self.rejected[link.url] = {"url": link.url, "text": link.text, "heading": link.heading,
                                   "found_from": page_url, "reason": reason,
                                   "where": f"{where}{link.method}".strip()}
        self._inc("discover/rejected")

    # ------------------------------------------------------------------ who a site is
    def _root_code(self, rec: SiteRecord) -> str | None:
        code = rec.identity.code[:6]
        if divisions.division(code) is not None:
            return code
        for text in (rec.identity.name, rec.identity.title):
            name = read_site_name(text) if text else None
            if name is not None and name.code:
                return name.code
        host = host_of(rec.final_url or rec.url)
        for domain, prefix in PROVINCE_DOMAINS:
            if host == domain or host.endswith("." + domain):
                return prefix + "0000"
        return None

    def _resolve(self, rec: SiteRecord) -> None:
        """The site's division and department: the first link that names it unambiguously, else
        the candidates its links left that its 网站标识码 or its own name settles."""
        if rec.root:
            rec.code, rec.department, rec.resolved_by = self._root_code(rec), "", "site"
            rec.root_code = rec.code
            return
        for s in rec.sightings:
            if s.name.code:
                rec.code, rec.department, rec.resolved_by = s.name.code, s.name.department, "link"
                return
        candidates: set[str] | None = None
        for s in rec.sightings:
            options = set(s.name.candidates)
            candidates = options if candidates is None else (candidates & options or candidates)
        department = rec.sightings[0].name.department if rec.sightings else ""
        site_code = rec.identity.code[:6]
        if candidates and site_code in candidates:
            rec.code, rec.department, rec.resolved_by = site_code, department, "site_code"
            return
        if rec.identity.name:
            own = read_site_name(rec.identity.name, within_code=rec.portal_code, root=rec.root_code)
            if own is not None and own.code and (not candidates or own.code in candidates):
                rec.code, rec.department, rec.resolved_by = own.code, own.department, "site_name"
                return
        rec.code = None

    def _official(self, rec: SiteRecord) -> tuple[bool, str]:
        """Whether *rec* is a government site, and by what rule."""
        host = host_of(rec.final_url or rec.url)
        if is_official_host(host):
            return True, "gov.cn host"
        code = rec.identity.code
        if code and (divisions.division(code[:6]) is not None or code.lower().startswith("bm")):
            return True, f"网站标识码 {code}"
        if not rec.fetched or rec.error:
            return False, "not a gov.cn host, and its page could not be read for a 网站标识码"
        return False, "not a gov.cn host and no 网站标识码"

    # ------------------------------------------------------------------ results
    def results(self) -> dict[str, Any]:
        """Every site found ({"sites": [...]}) and every listed link that is not one ("rejected")."""
        sites: list[dict[str, Any]] = []
        rejected = [r for r in self.rejected.values() if site_key(r["url"]) not in self.sites]
        for rec in self.sites.values():
            if rec.code is None and not rec.root:
                self._resolve(rec)
            official, rule = self._official(rec)
            first = rec.sightings[0] if rec.sightings and not rec.root else None
            base = {"url": rec.url, "text": first.text if first else rec.identity.name,
                    "heading": first.heading if first else "",
                    "found_from": first.found_from if first else None,
                    "where": f"{first.heading} {first.method}".strip() if first else "start"}
            if not official and rec.state not in ("moved", "closed"):
                rejected.append({**base, "reason": rule})
                continue
            if rec.code is None and not rec.root:
                options = sorted({c for s in rec.sightings for c in s.name.candidates})
                why = (f"its name ({base['text']}) is that of several divisions "
                       f"({', '.join(options)}) and the site does not say which"
                       if options else "no division could be read from its name or its page")
                rejected.append({**base, "reason": why})
                continue
            sites.append({
                **base, "key": rec.key, "final_url": rec.final_url, "depth": rec.depth,
                "root": rec.root, "code": rec.code, "department": rec.department,
                "kind": "department" if rec.department else "government",
                "resolved_by": rec.resolved_by, "official_by": rule, "state": rec.state,
                "successor": rec.successor, "notice": rec.notice, "error": rec.error,
                "status": rec.status, "site_name": rec.identity.name,
                "site_code": rec.identity.code, "predecessor": rec.predecessor,
                "links": len(rec.sightings),
            })
        return {"sites": sites, "rejected": rejected}
