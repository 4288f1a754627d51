"""The one spider: from report columns (list pages) or a site's home page to the report pages and
their attachments, fetching only what may be a report and only what is new.

- A column start URL is crawled in column mode: its pagination, its items, its sub-columns.
- A home page start URL is crawled in discovery mode: menus scored towards reports, within the
  per-site budget.
- List items are classified by title before fetching (pipeline.titles): candidates are fetched,
  look-alikes recorded as skipped captures with the reason.
- Known pages are not fetched again within the revisit interval (their stored body is read for
  links instead), and are revalidated with If-None-Match / If-Modified-Since after it.
Every fetch and every failure becomes a capture (crawler.capture writes them).
"""
from __future__ import annotations

import functools
import itertools
import logging
from collections import deque
from dataclasses import dataclass, replace
from typing import Any, Iterable, Iterator

from scrapy import FormRequest, Request, Spider
from scrapy.http import Response, TextResponse
from scrapy.responsetypes import responsetypes

from crawler.capture import CaptureStore
from crawler.items import CaptureItem
from crawler.links import Anchor, anchors, attachment_links, is_home_url, looks_like_article, page_root
from crawler.listing import (
    PageRequest, gkmlpt_list_request, hanweb_datastore, hanweb_next, json_list, json_next,
    list_region, next_static_page,
)
from crawler.outcomes import SkipRequest, failure_outcome, response_outcome
from crawler.plan import PRIORITY, CrawlState, Target, decide, scope_of
from crawler.scrapy_settings import MAX_REDIRECTS
from pipeline.extract import extract_html, scan_images
from pipeline.titles import classify_title
from pipeline.urls import canonical_url, host_of, without_session
from storage.captures import Revalidation
from storage.models import utcnow

__all__ = ["ReportSpider"]

log = logging.getLogger(__name__)

# A host's second WAF page ends the run's requests to it (a WAF may guard a single URL).
WAF_HITS_TO_LEAVE = 2


@dataclass
class _Page:
    url: str
    text: str | None  # None for a binary body (PDF, DOCX)
    content_type: str
    _root: Any = None
    _parsed: bool = False

    @property
    def root(self):
        if not self._parsed:
            self._parsed = True
            self._root = page_root(self.text) if self.text and self.kind == "html" else None
        return self._root

    @property
    def kind(self) -> str:
        if self.text is None:
            return "binary"
        ct = self.content_type.lower()
        head = self.text.lstrip()[:1]
        if "json" in ct or head in ("{", "["):
            return "json"
        if "xml" in ct and "html" not in ct:
            return "xml"
        return "html"


def page_pictures(text: str, url: str) -> tuple:
    """The pictures of pages a report page is made of (a report posted as scans), to fetch with
    it: what the parser will read by OCR (pipeline.extract.scan_images); () for other pages."""
    if "<img" not in text and "<IMG" not in text:
        return ()
    return tuple(link for link in scan_images(extract_html(text, url=url))
                 if link.url.startswith(("http://", "https://")))


class ReportSpider(Spider):
    name = "govreports"

    def __init__(self, *, start_urls: Iterable[str], store: CaptureStore, crawl: Any,
                 revisit_seconds: int, known_columns: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_urls = list(start_urls)
        self.known_columns = list(known_columns)
        self.store = store
        self.crawl = crawl
        self.revisit_seconds = int(revisit_seconds)
        self.state = CrawlState()
        self._keys = itertools.count(1)
        self._info: dict[str, Revalidation | None] = {}
        # Menus, footers and list items repeat on every page of a site: classify and canonicalise
        # each link text and URL once per run.
        self._classify = functools.lru_cache(maxsize=100_000)(classify_title)
        self._canon = functools.lru_cache(maxsize=100_000)(canonical_url)

    # ------------------------------------------------------------------ planning
    async def start(self):
        targets = []
        for url in self.known_columns:
            targets.append(Target(url, "list", column=without_session(url), scope=scope_of(url)))
        for url in self.start_urls:
            if is_home_url(url):
                # Once a source's report columns are known, later crawls go straight there; the
                # home page is still read for reports it links itself, not explored again.
                targets.append(Target(url, "home", discover=not self.known_columns))
            else:
                targets.append(Target(url, "start", column=without_session(url), scope=scope_of(url)))
        # Documents captured before are revalidated when due, even when the list that led to them
        # stops before their page (pagination stops at known items).
        hosts = sorted({host_of(u) for u in self.start_urls + self.known_columns})
        for doc in self.store.documents(hosts):
            targets.append(Target(doc.url, doc.role, link_text=doc.link_text,
                                  parent_capture_id=doc.parent_capture_id, priority=PRIORITY["revisit"]))
        for out in self._emit(targets):
            yield out

    def _inc(self, key: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(key, n)

    def _canonical(self, t: Target) -> str:
        return self._canon(t.record_url)

    def _admit(self, t: Target) -> bool:
        canonical = self._canonical(t)
        if canonical in self.state.seen:
            return False
        self.state.seen.add(canonical)
        if len(t.url) > int(self.crawl.max_url_length):
            self._inc("fetch/skipped/url_too_long")
            return False
        if t.role == "list" and t.page_no >= int(self.crawl.max_list_pages):
            self._inc("fetch/skipped/max_list_pages")
            return False
        if host_of(t.url) in self.state.blocked_hosts:
            self._inc("fetch/skipped/host_blocked")
            return False
        return True

    def _lookup(self, canonicals: Iterable[str]) -> dict[str, Revalidation | None]:
        """Revalidation info for URLs, cached for the run (it describes earlier runs only)."""
        missing = [c for c in set(canonicals) if c not in self._info]
        if missing:
            found = self.store.lookup(missing)
            for c in missing:
                self._info[c] = found.get(c)
        return self._info

    def _fresh(self, rv: Revalidation) -> bool:
        if self.revisit_seconds <= 0 or rv.last_attempt_at is None:
            return False
        return (utcnow() - rv.last_attempt_at).total_seconds() < self.revisit_seconds

    def _emit(self, targets: Iterable[Target]) -> Iterator[Request | CaptureItem]:
        """Requests for *targets*, skipping what was fetched within the revisit interval (whose
        stored body is read for links instead: a re-crawl of an unchanged site costs nothing)."""
        pending = deque(targets)
        while pending:
            batch = [pending.popleft() for _ in range(len(pending))]
            # Fetched without session ids and tracking parameters (the cookie jar keeps sessions).
            batch = [replace(t, url=without_session(t.url)) if t.method == "GET" else t for t in batch]
            wave = [t for t in batch if self._admit(t)]
            info = self._lookup(self._canonical(t) for t in wave)
            for t in wave:
                rv = info.get(self._canonical(t))
                if rv is not None and self._fresh(rv):
                    self._inc("fetch/skipped/fresh")
                    # A page's stored body is read again for its links; not for a revalidation
                    # (its attachments are known documents themselves) or a file.
                    if rv.body_sha256 and t.role not in ("attachment", "image") \
                            and t.priority != PRIORITY["revisit"]:
                        page = self._stored_page(rv, rv.final_url or t.url)
                        if page is not None:
                            role = self._role(t, page)
                            items, more = self._follow(page, t, role, parent_key=None,
                                                       parent_capture_id=rv.capture_id)
                            yield from items
                            pending.extend(more)
                    continue
                yield self._request(t, rv)

    def _request(self, t: Target, rv: Revalidation | None) -> Request:
        meta = {"target": t, "revalidation": rv}
        priority = t.priority or PRIORITY.get(t.role, 0)
        if t.method == "POST":
            return FormRequest(t.url, formdata=dict(t.formdata), callback=self.on_response,
                               errback=self.on_error, meta=meta, priority=priority, dont_filter=True)
        headers = {}
        # Conditional only when the stored body can stand in for a 304's missing one.
        if rv is not None and rv.body_sha256:
            if rv.etag:
                headers["If-None-Match"] = rv.etag
            if rv.last_modified:
                headers["If-Modified-Since"] = rv.last_modified
        return Request(t.url, callback=self.on_response, errback=self.on_error, meta=meta,
                       headers=headers, priority=priority, dont_filter=True)

    # ------------------------------------------------------------------ responses
    def _stored_page(self, rv: Revalidation, url: str) -> _Page | None:
        body = self.store.load_body(rv.body_sha256) if rv.body_sha256 else None
        if body is None:
            return None
        headers = {"Content-Type": rv.content_type} if rv.content_type else {}
        cls = responsetypes.from_args(headers=headers, url=url, body=body)
        return self._page(cls(url=url, body=body, headers=headers))

    def _page(self, response: Response) -> _Page:
        ctype = response.headers.get(b"Content-Type", b"").decode("latin-1")
        text = response.text if isinstance(response, TextResponse) else None
        return _Page(url=response.url, text=text, content_type=ctype)

    def _role(self, t: Target, page: _Page | None) -> str:
        if t.role != "start":
            return t.role
        if page is not None and page.kind == "binary":
            return "attachment"
        root = page.root if page is not None else None
        return "detail" if looks_like_article(t.url, root) else "list"

    def on_response(self, response: Response) -> Iterator[CaptureItem | Request]:
        """Every response becomes a capture; a page's links are followed from it (a 304's from
        the body it confirmed)."""
        t: Target = response.meta["target"]
        rv: Revalidation | None = response.meta.get("revalidation")
        body = response.body
        state, error = response_outcome(t.record_url, response.status, body)

        def header(name: bytes) -> str | None:
            return (response.headers.get(name) or b"").decode("latin-1") or None

        page = self._page(response) if state == "ok" else None
        item = CaptureItem(
            key=next(self._keys), url=t.record_url, canonical_url=self._canonical(t),
            role=self._role(t, page), fetch_state=state, fetch_error=error,
            final_url=response.url if response.url != t.url else None, parent_key=t.parent_key,
            parent_capture_id=t.parent_capture_id, link_text=t.link_text,
            http_status=response.status, content_type=header(b"Content-Type"),
            etag=header(b"ETag"), last_modified=header(b"Last-Modified"))
        if state == "not_modified":
            if rv is None or not rv.body_sha256:
                item.fetch_state = "http_error"
                item.fetch_error = f"fetch: {t.record_url}: HTTP 304 to an unconditional request"
            else:
                item.body_sha256 = rv.body_sha256
                item.etag = item.etag or rv.etag
                item.last_modified = item.last_modified or rv.last_modified
                item.content_type = item.content_type or rv.content_type
                page = self._stored_page(rv, response.url)
                item.role = self._role(t, page)
                self._inc("fetch/not_modified")
        if item.fetch_state in ("ok", "http_error", "blocked"):
            item.body = body  # error and challenge pages too: they show what the site answered
        if item.fetch_state == "ok":
            self._inc("fetch/pages")
            self._inc(f"fetch/pages_by_role/{item.role}")
        elif item.fetch_state == "blocked":
            self._inc("fetch/blocked")
            self._back_off(response, error or "")
        elif item.fetch_state != "not_modified":
            self._inc("fetch/errors")
            log.warning("%s", item.fetch_error)
        yield item
        if page is None or item.fetch_state not in ("ok", "not_modified"):
            return
        items, targets = self._follow(page, t, item.role, parent_key=item.key, parent_capture_id=None)
        yield from items
        yield from self._emit(targets)

    def _back_off(self, response: Response, error: str) -> None:
        """A JavaScript challenge guards the whole host: leave it for this run. A WAF page may
        guard one URL only: slow the host down, and leave it at the second."""
        host = host_of(response.url)
        self.state.blocked_hits[host] += 1
        if response.status == 403 and self.state.blocked_hits[host] < WAF_HITS_TO_LEAVE:
            slot = self.crawler.engine.downloader.slots.get(response.meta.get("download_slot", ""))
            if slot is not None:  # half the longest delay AutoThrottle may use: a long pause
                slot.delay = max(slot.delay, float(self.crawl.autothrottle_max_delay_seconds) / 2)
            log.warning("%s (slowing down on this host)", error)
            return
        self.state.blocked_hosts.add(host)
        log.warning("%s (no more requests to this host in this run)", error)

    def on_error(self, failure) -> Iterator[CaptureItem]:
        """A failed fetch becomes a capture naming the URL and the stage; a request the crawl
        dropped itself (budget, blocked host) is only counted."""
        request = failure.request
        t: Target = request.meta["target"]
        exc = failure.value
        if isinstance(exc, SkipRequest):
            self._inc(f"fetch/skipped/{exc.reason}")
            return
        state, error = failure_outcome(
            t.record_url, exc, timeout=float(self.crawl.download_timeout_seconds),
            max_bytes=int(self.crawl.max_response_bytes), max_redirects=MAX_REDIRECTS)
        self._inc("fetch/robots" if state == "robots" else "fetch/errors")
        if state == "too_large":
            self._inc("fetch/too_large")
        log.warning("%s", error)
        yield CaptureItem(
            key=next(self._keys), url=t.record_url, canonical_url=self._canonical(t),
            role=self._role(t, None), fetch_state=state, fetch_error=error,
            parent_key=t.parent_key, parent_capture_id=t.parent_capture_id, link_text=t.link_text)

    # ------------------------------------------------------------------ links
    def _follow(self, page: _Page, t: Target, role: str, *, parent_key: int | None,
                parent_capture_id: int | None) -> tuple[list[CaptureItem], list[Target]]:
        """Capture items (skipped look-alikes) and targets found on a fetched or stored page."""
        parent = {"parent_key": parent_key, "parent_capture_id": parent_capture_id}
        if role == "attachment" or page.kind == "binary":
            return [], []
        if role == "detail":
            files = [Target(a.url, "attachment", link_text=a.text or None, **parent)
                     for a in attachment_links(page.root, page.url, page.text or "")]
            return [], files + [Target(link.url, "image", link_text=link.text or None, **parent)
                                for link in page_pictures(page.text or "", page.url)]
        column = t.column or t.url
        records: list[Anchor] = []
        next_page: PageRequest | None = None
        page_anchors: list[Anchor] = []
        if page.kind == "json":
            records, total = json_list(page.text or "", page.url)
            nxt = json_next(t.url, len(records), total)
            next_page = PageRequest(nxt) if nxt else None
        else:
            records, next_page = hanweb_datastore(page.text or "", page.url)
            if next_page is not None and t.method == "POST":
                next_page = hanweb_next(page.text or "", t.url, t.formdata)
            if page.kind == "html":
                page_anchors = anchors(page.root, page.url)
                if next_page is None:
                    nxt = next_static_page(page.text or "", page.url, page_anchors)
                    next_page = PageRequest(nxt) if nxt else None
        region = list_region(page_anchors, page.url) if role == "list" else []
        items = records + region
        in_region = {id(a) for a in items}
        targets: list[Target] = []
        skips: list[tuple[Anchor, str, str]] = []
        candidates = 0
        for a in records + page_anchors:
            decision = decide(a, page.url, t, in_region=id(a) in in_region, classify=self._classify)
            if decision is None:
                continue
            kind, value = decision
            if kind == "target":
                if value.role in ("detail", "attachment"):
                    candidates += 1
                targets.append(replace(value, **parent))
            else:
                canonical = self._canon(a.url)
                if canonical not in self.state.seen:
                    self.state.seen.add(canonical)
                    skips.append((a, canonical, value))
        # One lookup for the items and the look-alikes: what was captured before this run.
        info = self._lookup([self._canon(a.url) for a in items] + [c for _, c, _ in skips])
        # New = never captured before this run (an item also shown on the home page is new too).
        fresh_items = [a for a in items if info.get(self._canon(a.url)) is None]
        out_items: list[CaptureItem] = []
        for a, canonical, reason in skips:
            self._inc(f"fetch/skipped/{reason}")
            if info.get(canonical) is None:  # recorded once: a known URL needs no new row
                out_items.append(CaptureItem(
                    key=next(self._keys), url=without_session(a.url), canonical_url=canonical,
                    role="detail", fetch_state="skipped", skip_reason=f"candidates: {reason}",
                    link_text=a.text[:500], **parent))
        if candidates and role == "list":
            if column not in self.state.found_columns:
                self.state.found_columns.add(column)
                self._inc("discover/columns_found")
        self._inc("fetch/candidates", candidates)
        gk = gkmlpt_list_request(page.text or "", page.url) if page.kind == "html" else None
        if gk:
            targets.append(Target(gk, "list", column=t.column or page.url, discover=t.discover,
                                  nav_depth=t.nav_depth, **parent))
        # Sequential pagination, stopped at a page whose items were all known before.
        if next_page is not None and role == "list":
            if fresh_items:
                targets.append(Target(next_page.url, "list", method=next_page.method,
                                      formdata=next_page.formdata, column=column,
                                      page_no=t.page_no + 1, discover=t.discover, scope=t.scope,
                                      nav_depth=t.nav_depth, **parent))
            elif items:
                self._inc("fetch/skipped/pagination_known")
        return out_items, targets

    def closed(self, reason: str) -> None:
        self.store.remember_columns(self.state.found_columns)
