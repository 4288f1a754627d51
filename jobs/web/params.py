"""Search parameters as the URL carries them (q, year, region, issuer, kind, from, to, page, size),
checked against the [web] limits and turned into storage.search.Filters."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus

from jobs.config import WebSettings
from jobs.web.errors import WebError
from storage.search import Filters

__all__ = ["SearchParams", "parse_search", "KINDS", "DEFAULT_PAGE_SIZE"]

KINDS = ("annual_report", "interpretation", "work_summary", "work_plan", "news", "other")
DEFAULT_PAGE_SIZE = 20


@dataclass(frozen=True)
class SearchParams:
    q: str = ""
    year: int | None = None
    region: str = ""  # as typed: a code (50, 5001, 500117) or a name (重庆市, 酉阳县)
    region_code: str | None = None  # the division-code prefix it means
    issuer: str = ""
    kind: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    offset: int = 0
    size: int = DEFAULT_PAGE_SIZE

    @property
    def filters(self) -> Filters:
        return Filters(year=self.year, issuer=self.issuer or None, region=self.region_code,
                       kind=self.kind or None, date_from=self.date_from, date_to=self.date_to)

    @property
    def page(self) -> int:
        return self.offset // self.size + 1

    def query_items(self, **changes: Any) -> list[tuple[str, str]]:
        """The URL query of these parameters (with *changes*), empty ones left out."""
        def v(name: str) -> Any:
            return changes[name] if name in changes else getattr(self, name)
        year, date_from, date_to = v("year"), v("date_from"), v("date_to")
        items = [("q", v("q")), ("year", "" if year is None else str(year)), ("region", v("region")),
                 ("issuer", v("issuer")), ("kind", v("kind")),
                 ("from", date_from.isoformat() if date_from else ""),
                 ("to", date_to.isoformat() if date_to else "")]
        if changes.get("page") and changes["page"] > 1:
            items.append(("page", str(changes["page"])))
        if v("size") != DEFAULT_PAGE_SIZE:
            items.append(("size", str(v("size"))))
        return [(k, x) for k, x in items if x]

    def url(self, path: str = "/search", **changes: Any) -> str:
        # A search page links every facet value: the query's words are quoted once, not per link.
        query = "&".join(f"{k}={_quote(x)}" for k, x in self.query_items(**changes))
        return f"{path}?{query}" if query else path


_quote = lru_cache(maxsize=4096)(quote_plus)


def _int(name: str, value: str | None, *, low: int, high: int) -> int | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        n = int(str(value).strip())
    except ValueError:
        raise WebError(400, f"{name}: not a whole number: {value!r}") from None
    if not low <= n <= high:
        raise WebError(400, f"{name}: must be between {low} and {high}, got {n}")
    return n


def _date(name: str, value: str | None) -> dt.date | None:
    if not value or not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise WebError(400, f"{name}: not a date (YYYY-MM-DD): {value!r}") from None


def region_prefix(text: str) -> str | None:
    """The division-code prefix a region filter means: digits as they are, a name resolved
    (重庆市 -> 50, 重庆市合川区 -> 500117)."""
    text = (text or "").strip()
    if not text:
        return None
    if text.isdigit():
        if len(text) > 12:
            raise WebError(400, f"region: a division code has at most 12 digits: {text!r}")
        return text
    from pipeline.regions import resolve_region
    region = resolve_region(text)
    if region is None:
        raise WebError(400, f"region: no division is named {text!r} (give its name in full, "
                            "or its division code)")
    code = region.code
    if region.level == "province":
        return code[:2]
    if region.level == "city":
        return code[:4]
    return code


def parse_search(params: Any, web: WebSettings, *, paging: str = "page") -> SearchParams:
    """Read and check the parameters (a mapping of the query string). *paging*: "page" (page,
    size: the pages) or "offset" (offset, limit: the API)."""
    get = lambda k: params.get(k)  # noqa: E731
    q = (get("q") or "").strip()
    if len(q) > web.max_query_chars:
        raise WebError(400, f"q: the query is longer than {web.max_query_chars} characters")
    issuer = (get("issuer") or "").strip()
    if len(issuer) > 200:
        raise WebError(400, "issuer: longer than 200 characters")
    kind = (get("kind") or "").strip()
    if kind and kind not in KINDS:
        raise WebError(400, f"kind: one of {', '.join(KINDS)}, got {kind!r}")
    region = (get("region") or "").strip()
    if len(region) > 100:
        raise WebError(400, "region: longer than 100 characters")
    date_from, date_to = _date("from", get("from")), _date("to", get("to"))
    if date_from and date_to and date_from > date_to:
        raise WebError(400, "from: after to")
    size_key = "size" if paging == "page" else "limit"
    size = _int(size_key, get(size_key), low=1, high=web.max_page_size) or DEFAULT_PAGE_SIZE
    if paging == "page":
        page = _int("page", get("page"), low=1, high=max(1, web.max_offset // size + 1)) or 1
        offset = (page - 1) * size
    else:
        offset = _int("offset", get("offset"), low=0, high=web.max_offset) or 0
    return SearchParams(q=q, year=_int("year", get("year"), low=1949, high=2100), region=region,
                        region_code=region_prefix(region), issuer=issuer, kind=kind,
                        date_from=date_from, date_to=date_to, offset=offset, size=size)
