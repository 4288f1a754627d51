"""Facet counts beside a search: how many of its matches are of each year, province and kind.

Counted exactly below a limit of matches (the web app's [web] exact_count_limit, 300); from it
on they are counted on the most recently stored matches that many and scaled up to an estimated
total (the share of the collection's id range they span), shown as estimates. A common word matches
most of a large collection, and counting all its matches three ways would cost more than the
whole rest of a search page; so would counting the reports to scale by (a scan of the table on
PostgreSQL), which is why the estimate is taken from the ids' range instead.
"""
from __future__ import annotations

import json
from collections import Counter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from pipeline.divisions import division
from pipeline.tokens import Tokenizer
from storage.models import Report
from storage.search import (Filters, MatchWindow, newest_filtered_ids,
                            newest_matches)

__all__ = ["search_facets", "province_name", "newest_filtered_ids"]


def province_name(code: str | None) -> str:
    """The province of a division-code prefix (50 -> 重庆市), or the prefix itself."""
    if not code:
        return "unknown"
    d = division(code[:2] + "0000")
    return d.name if d else code[:2]


def search_facets(session: Session, query: str | None, *, tokenizer: Tokenizer | None,
                  filters: Filters = Filters(), exact_limit: int = 300,
                  window: MatchWindow | None = None) -> dict[str, Any]:
    """{"total", "estimated", "years": [{"value", "count"}], "provinces": [{"code", "name",
    "count"}], "kinds": [{"value", "count"}]} of the reports matching *query* and *filters*,
    largest first (years newest first). Exact below *exact_limit* matches, estimated from
    *exact_limit* on. *window*: the query's newest_matches (storage.search), at least
    *exact_limit* of them, when the caller has them already (a search page: search() takes the
    same). Raises QueryError like storage.search.search."""
    if window is not None:
        window.check_for(query, filters)
    ids = window.newest(exact_limit) if window is not None else None
    if ids is None:
        # The window on its own, then its reports grouped: as a subquery of the grouping,
        # PostgreSQL planned the window anew, and worse (a sequential scan of the pairs: 310 ms
        # where the window alone took 130 ms at 20,000 reports).
        ids = list(newest_matches(session, query, tokenizer=tokenizer, filters=filters,
                                  n=exact_limit).ids)
    groups = _grouped(session, ids) if ids else []
    sampled = len(ids)
    estimated = sampled >= exact_limit
    scale = 1.0
    total = sampled
    if estimated:
        # The matches spread over the collection as they do over its newest part: the sample
        # spans ids lowest..last of first..last (ids are given in storing order, and gaps left by
        # merged reports are spread over the whole range).
        lowest = min(ids)
        first, last = groups[0][4], groups[0][5]
        span = max(int(last or 0) - int(first or 0) + 1, 1)
        total = min(span, max(sampled, round(sampled * span / max(int(last or 0) - lowest + 1, 1))))
        scale = total / sampled
    years: Counter[Any] = Counter()
    provinces: Counter[Any] = Counter()
    kinds: Counter[Any] = Counter()
    for year, prov, kind, count, _, _ in groups:
        years[year] += int(count)
        provinces[prov] += int(count)
        kinds[kind] += int(count)

    def n(count: int) -> int:
        return int(round(count * scale)) if estimated else count

    return {
        "total": _round_estimate(total) if estimated else total, "estimated": estimated,
        "years": [{"value": y, "count": n(c)} for y, c in sorted(
            years.items(), key=lambda kv: (kv[0] is None, -(kv[0] or 0)))],
        "provinces": [{"code": p, "name": province_name(p), "count": n(c)}
                      for p, c in sorted(provinces.items(), key=lambda kv: (-kv[1], kv[0] or ""))],
        "kinds": [{"value": k, "count": n(c)} for k, c in kinds.most_common()],
    }


def _grouped(session: Session, ids: list[int]) -> list[Any]:
    """(year, province, kind, count, first id, last id) of the reports *ids*: a few dozen rows,
    not one per id. The collection's first and last ids (the same on every row: two index
    look-ups) come with them rather than in a query of their own."""
    if session.get_bind().dialect.name == "sqlite":
        # One parameter (a JSON array), not one per id.
        wanted = Report.id.in_(sa.select(sa.column("value", sa.Integer)).select_from(
            sa.func.json_each(sa.bindparam("ids", json.dumps(ids)))))
    else:
        wanted = Report.id == sa.any_(sa.bindparam("ids", ids, type_=ARRAY(sa.Integer)))
    province = sa.func.substr(Report.region_code, 1, 2)
    return list(session.execute(
        sa.select(Report.report_year, province, Report.kind, sa.func.count(),
                  sa.select(sa.func.min(Report.id)).correlate(None).scalar_subquery(),
                  sa.select(sa.func.max(Report.id)).correlate(None).scalar_subquery())
        .where(wanted).group_by(Report.report_year, province, Report.kind)).all())


def _round_estimate(value: int) -> int:
    """An estimate to two significant figures (12,345 -> 12,000): it is not known better."""
    if value < 100:
        return value
    digits = len(str(value)) - 2
    return int(round(value, -digits))
