"""What the crawl means to fetch and why: targets, the run's state, and the decision for each link
of a list or home page (a candidate report to fetch, a column to visit, a look-alike to record as
skipped, or nothing). Pure: no Scrapy, no database."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlencode, urlsplit

from crawler.links import (
    NAV_AVOID, Anchor, is_file_url, looks_like_article, looks_like_column, nav_score,
)
from pipeline.titles import TitleInfo, classify_title
from pipeline.urls import host_of, site_of, without_session

__all__ = ["Target", "CrawlState", "decide", "scope_of", "PRIORITY", "MAX_NAV_DEPTH"]

# Discovery: menus are followed this many hops from the home page (home -> 政务公开 -> 政府信息公开
# -> 法定主动公开内容 -> 法治政府建设年度报告), when their score reaches MIN_NAV_SCORE.
MAX_NAV_DEPTH = 4
MIN_NAV_SCORE = 3
# Menu entries are short; a longer link text is a document title.
MAX_NAV_TEXT_CHARS = 20
# Column mode follows sub-columns (per department, per township) this deep below the start.
MAX_SUBCOLUMN_DEPTH = 2
# Titles shorter than this are menu words, not documents worth recording as skipped.
MIN_TITLE_CHARS = 6
# Scheduling order: finish what is found before looking further; revalidations last.
PRIORITY = {"start": 50, "home": 50, "attachment": 40, "image": 40, "detail": 30, "list": 20,
            "nav": 10, "revisit": 5}
# A look-alike worth recording as skipped even when not in the list's item region.
_RELATED = re.compile(r"法治|依法行政|法制|年度报告|工作报告")
_PAGER_TEXT = re.compile(r"^\s*(\d+|下一页|上一页|首页|尾页|末页|[<>›‹»«]+)\s*$")


@dataclass(frozen=True)
class Target:
    """A URL the crawl means to fetch, and why."""

    url: str
    role: str  # start | home | list | detail | attachment | image (a picture of a report's page)
    parent_key: int | None = None
    parent_capture_id: int | None = None
    link_text: str | None = None
    column: str | None = None  # the first page of the column this list page belongs to
    page_no: int = 0
    nav_depth: int = 0
    discover: bool = False
    scope: str | None = None  # column mode: sub-columns must live under this URL prefix
    method: str = "GET"
    formdata: tuple[tuple[str, str], ...] = ()
    priority: int = 0

    @property
    def record_url(self) -> str:
        """The URL captured: a POST is recorded as its GET equivalent."""
        if not self.formdata:
            return self.url
        return self.url + ("&" if "?" in self.url else "?") + urlencode(self.formdata)


@dataclass
class CrawlState:
    """What the run has learned so far; middlewares read it too."""

    seen: set[str] = field(default_factory=set)
    blocked_hosts: set[str] = field(default_factory=set)
    blocked_hits: Counter = field(default_factory=Counter)
    requests_per_host: Counter = field(default_factory=Counter)
    found_columns: set[str] = field(default_factory=set)


def _directory(url: str) -> str:
    return url.rsplit("/", 1)[0] + "/"


def scope_of(url: str) -> str | None:
    """Where a column's sub-columns live: under its directory, unless that is the whole site."""
    directory = _directory(url)
    return directory if urlsplit(directory).path not in ("", "/") else None


def decide(a: Anchor, page_url: str, t: Target, *, in_region: bool,
           classify: Callable[[str], TitleInfo] = classify_title) -> tuple[str, Any] | None:
    """What to do with link *a* on the page *t* fetched: ("target", Target) to fetch, ("skip",
    reason) to record as a look-alike not fetched, or None to ignore."""
    text = a.text
    if a.url == page_url or _PAGER_TEXT.match(text):
        return None
    info = classify(text) if len(text) >= 4 else None
    if info is not None and info.is_candidate:
        if info.report_year is None and looks_like_column(a.url) and not looks_like_article(a.url):
            # A menu entry named like the report (法治政府建设年度报告) is the column itself.
            return _nav(a, page_url, t, force=True)
        if is_file_url(a.url):
            return "target", Target(a.url, "attachment", link_text=text)
        return "target", Target(a.url, "detail", link_text=text)
    nav = _nav(a, page_url, t)
    if nav is not None:
        return nav
    if len(text) < MIN_TITLE_CHARS:
        return None
    if in_region or (info is not None and info.kind != "other") or _RELATED.search(text):
        return "skip", info.kind if info is not None else "other"
    return None


def _nav(a: Anchor, page_url: str, t: Target, force: bool = False) -> tuple[str, Target] | None:
    """A menu link worth following: discovery towards reports, or a sub-column in column mode."""
    if len(a.text) > MAX_NAV_TEXT_CHARS or looks_like_article(a.url) or is_file_url(a.url):
        return None
    if site_of(host_of(a.url)) != site_of(host_of(page_url)):
        return None
    if any(p.search(a.text) or p.search(a.url) for p, _ in NAV_AVOID):
        return None
    if t.discover and t.nav_depth < MAX_NAV_DEPTH:
        score = nav_score(a.text, a.url) + (MIN_NAV_SCORE if force else 0)
        if score >= MIN_NAV_SCORE:
            return "target", Target(a.url, "list", column=without_session(a.url), discover=True,
                                    nav_depth=t.nav_depth + 1,
                                    priority=PRIORITY["nav"] + min(score, 9))
        return None
    if (t.scope and a.url.startswith(t.scope) and t.nav_depth < MAX_SUBCOLUMN_DEPTH
            and looks_like_column(a.url) and _directory(a.url) != _directory(page_url)):
        return "target", Target(a.url, "list", column=without_session(a.url), scope=t.scope,
                                nav_depth=t.nav_depth + 1)
    return None
