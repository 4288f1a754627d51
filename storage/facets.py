"""Facet counts beside a search: how many of its matches are of each year, province and kind.

Counted exactly up to a limit of matches (the web app's [web] exact_count_limit, 1,000); past it
they are counted on the most recently stored matches that many and scaled up to an estimated total
(the share of the collection stored since the oldest of them), shown as estimates. A common word
matches most of a large collection, and counting all its matches three ways would cost more than
the whole rest of a search page.
"""
from __future__ import annotations

from collections import Counter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pipeline.divisions import division
from pipeline.tokens import Tokenizer
from storage.models import Report
from storage.search import Filters, index_first, newest_matching_ids

__all__ = ["search_facets", "province_name"]


def province_name(code: str | None) -> str:
    """The province of a division-code prefix (50 -> 重庆市), or the prefix itself."""
    if not code:
        return "unknown"
    d = division(code[:2] + "0000")
    return d.name if d else code[:2]


def search_facets(session: Session, query: str | None, *, tokenizer: Tokenizer | None,
                  filters: Filters = Filters(), exact_limit: int = 1000) -> dict[str, Any]:
    """{"total", "estimated", "years": [{"value", "count"}], "provinces": [{"code", "name",
    "count"}], "kinds": [{"value", "count"}]} of the reports matching *query* and *filters*,
    largest first (years newest first). Raises QueryError like storage.search.search."""
    window = newest_matching_ids(session, query, tokenizer=tokenizer, filters=filters,
                                 n=exact_limit + 1).subquery("window")
    province = sa.func.substr(Report.region_code, 1, 2)
    # Grouped in the database: a few hundred rows come back, not one per match.
    with index_first(session):
        groups = session.execute(
            sa.select(Report.report_year, province, Report.kind, sa.func.count(), sa.func.min(Report.id))
            .select_from(window).join(Report, Report.id == window.c.rid)
            .group_by(Report.report_year, province, Report.kind)).all()
    sampled = sum(int(g[3]) for g in groups)
    estimated = sampled > exact_limit
    scale = 1.0
    total = sampled
    if estimated:
        # The matches spread over the collection as they do over its newest part.
        lowest = min(int(g[4]) for g in groups)
        since = int(session.scalar(sa.select(sa.func.count()).select_from(Report)
                                   .where(Report.id >= lowest)) or 0)
        everything = int(session.scalar(sa.select(sa.func.count()).select_from(Report)) or 0)
        total = max(sampled, round(sampled * everything / max(since, 1)))
        scale = total / sampled
    years: Counter[Any] = Counter()
    provinces: Counter[Any] = Counter()
    kinds: Counter[Any] = Counter()
    for year, prov, kind, count, _ in groups:
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


def _round_estimate(value: int) -> int:
    """An estimate to two significant figures (12,345 -> 12,000): it is not known better."""
    if value < 100:
        return value
    digits = len(str(value)) - 2
    return int(round(value, -digits))
