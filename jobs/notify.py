"""Notices and alerts after each crawl: new reports found, a source failing crawl after crawl, and
a source that has published nothing on last year past the legal deadline (1 April).

Each is a log line and, when [service] webhook_url is set, a JSON POST to it. A webhook that fails
is logged and never raised: telling people must not break collecting. Alerts are recorded in
scheduler_events (event "alert") so a deadline alert is sent once per source and year.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from jobs.config import Settings
from storage import runs
from storage.db import Database
from storage.models import Capture, Report, SchedulerEvent, Source, utcnow

__all__ = ["Notice", "after_crawl", "emit", "post_webhook", "deadline_alert", "failure_alert"]

log = logging.getLogger("govreports.notify")

# Titles listed in one new-reports log line; the webhook gets them all.
_TITLES_IN_LOG = 5


@dataclass(frozen=True)
class Notice:
    kind: str  # new_reports | failing | past_deadline
    source: str | None
    message: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def is_alert(self) -> bool:
        return self.kind != "new_reports"


def after_crawl(settings: Settings, db: Database, *, run_id: int, source: Source | None,
                started_at: dt.datetime, status: str, today: dt.date | None = None) -> list[Notice]:
    """Work out and send the notices a finished crawl calls for; never raises."""
    try:
        notices = _notices(settings, db, run_id=run_id, source=source, started_at=started_at,
                           status=status, today=today)
    except Exception:
        log.exception("run %s: could not work out its notices", run_id)
        return []
    for notice in notices:
        emit(settings, notice)
    return notices


def _notices(settings: Settings, db: Database, *, run_id: int, source: Source | None,
             started_at: dt.datetime, status: str, today: dt.date | None) -> list[Notice]:
    out: list[Notice] = []
    name = source.name if source else None
    with db.session() as s:
        if source is not None:
            # Alerts are recorded below: write first, so that on SQLite this transaction waits for
            # other writers rather than failing when it turns from reading to writing.
            s.execute(update(Source).where(Source.id == source.id).values(id=Source.id))
        found = runs.reports_found(s, run_id, since=started_at)
        if found:
            titles = "; ".join(str(r["title"]) for r in found[:_TITLES_IN_LOG])
            more = f" (and {len(found) - _TITLES_IN_LOG} more)" if len(found) > _TITLES_IN_LOG else ""
            out.append(Notice("new_reports", name,
                              f"{name or 'crawl'}: run {run_id} found {len(found)} new reports: "
                              f"{titles}{more}",
                              {"run_id": run_id, "reports": found}))
        if source is not None:
            if status == "failed":
                alert = failure_alert(s, source, settings.service.alert_after_failures, run_id)
                if alert:
                    out.append(alert)
            today = today or dt.datetime.now(ZoneInfo(settings.service.timezone)).date()
            alert = deadline_alert(s, source, today, settings.service.report_deadline)
            if alert:
                out.append(alert)
    return out


def _yielded_reports(session, source_id: int) -> bool:
    return session.scalar(select(Capture.id).where(Capture.source_id == source_id,
                                                   Capture.report_id.is_not(None)).limit(1)) is not None


def failure_alert(session, source: Source, after: int, run_id: int) -> Notice | None:
    """An alert when a source that used to yield reports has just failed *after* crawls in a row
    (once per streak: at the failure that makes it *after*)."""
    if after <= 0 or runs.failure_streak(session, source.id) != after:
        return None
    if not _yielded_reports(session, source.id):
        return None
    last = runs.get_run(session, run_id)
    message = (f"ALERT: source {source.name}: {after} crawls in a row failed "
               f"(last: run {run_id}: {last.error if last else '?'})")
    _record_alert(session, source, f"failing {after}: run {run_id}")
    return Notice("failing", source.name, message, {"run_id": run_id, "failures": after})


def deadline_alert(session, source: Source, today: dt.date, deadline: str) -> Notice | None:
    """An alert, once per source and year, when *today* is past the deadline (MM-DD) for the
    report on last year, the source published reports on earlier years, and none on last year."""
    month, day = (int(x) for x in deadline.split("-"))
    if today < dt.date(today.year, month, day):
        return None
    year = today.year - 1
    years = set(session.scalars(
        select(Report.report_year).join(Capture, Capture.report_id == Report.id)
        .where(Capture.source_id == source.id, Report.kind == "annual_report").distinct()))
    years.discard(None)
    if not years or year in years or max(years) > year:
        return None
    marker = f"past_deadline {year}"
    already = session.scalar(select(SchedulerEvent.id).where(
        SchedulerEvent.job_id == _job_id(source), SchedulerEvent.event == "alert",
        SchedulerEvent.detail == marker).limit(1))
    if already is not None:
        return None
    _record_alert(session, source, marker)
    return Notice("past_deadline", source.name,
                  f"ALERT: source {source.name}: no annual report on {year} published by "
                  f"{year + 1}-{deadline} (latest found: {max(years)})",
                  {"year": year, "latest_year": max(years)})


def _job_id(source: Source) -> str:
    return f"crawl:{source.name}"


def _record_alert(session, source: Source, detail: str) -> None:
    session.add(SchedulerEvent(job_id=_job_id(source), event="alert", detail=detail))


def emit(settings: Settings, notice: Notice) -> None:
    """Log the notice, and POST it to the webhook if one is set."""
    (log.warning if notice.is_alert else log.info)("%s", notice.message)
    url = settings.service.webhook_url
    if url:
        payload = {"event": notice.kind, "source": notice.source, "message": notice.message,
                   "at": utcnow().isoformat(), **notice.data}
        post_webhook(url, payload, timeout=settings.service.webhook_timeout_seconds)


def post_webhook(url: str, payload: dict[str, Any], *, timeout: float) -> bool:
    """POST *payload* as JSON; False (logged) on any failure."""
    body = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8",
                                              "User-Agent": "govreports"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
        return True
    except (urllib.error.URLError, OSError, ValueError) as exc:
        log.warning("webhook %s: could not send %s notice: %s", url, payload.get("event"), exc)
        return False
