"""Possible reports, not parsed: a capture the pipeline skipped (a list page, too little text, no
main text) although the crawl marked it as a likely report. It is recorded as such, with the
reason, instead of disappearing among the skipped pages; `govreports status` lists them and each
run counts them (parse/possible_reports).

A capture is a likely report when (in this order, the first that holds is the reason given):
- the link that led to it reads as a report by the title grammar (pipeline.titles: the crawl
  fetched it for that), or
- the page's own title does, or
- it was listed on a report column: a crawl's start URL, a column the source is known to publish
  reports in, or a list page whose own link reads as a report column (法治政府建设年度报告).
A possible report whose attachment gave a stored report is no loss (the page was the notice of
the file): it goes back to plain "skipped" when its run's parsing ends (`settle`).
"""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.records import Skipped
from pipeline.titles import classify_title
from storage.models import Capture, CrawlRun, Source

__all__ = ["POSSIBLE_REPORT", "why_likely", "settle"]

# The parse_state of a possible report, not parsed (parse_error holds the reason).
POSSIBLE_REPORT = "possible_report"
# Reasons worth the mark: the skips that a page nobody tuned for can cause.
_LOSSY = ("extract", "clean")


def _reads_as_report(text: str | None) -> bool:
    return bool(text) and len(text) >= 4 and classify_title(text).is_candidate


def why_likely(session: Session, capture: Capture, skipped: Skipped) -> str | None:
    """Why the skipped capture is a likely report ("link text …", "title …", "column …"), or
    None for a skip that loses nothing (an unsupported format, a page no sign marks)."""
    if skipped.stage not in _LOSSY or capture.role not in ("detail", "attachment"):
        return None
    if _reads_as_report(capture.link_text):
        return f"link text «{capture.link_text}»"
    if _reads_as_report(skipped.title):
        return f"title «{skipped.title}»"
    parent = session.get(Capture, capture.parent_capture_id) if capture.parent_capture_id else None
    if parent is None or parent.role != "list":
        return None
    columns: set[str] = set()
    if capture.run_id is not None:
        run = session.get(CrawlRun, capture.run_id)
        columns.update(run.start_urls or [] if run is not None else [])
    if capture.source_id is not None:
        source = session.get(Source, capture.source_id)
        columns.update(source.known_columns or [] if source is not None else [])
    if parent.url in columns or parent.canonical_url in columns or _reads_as_report(parent.link_text):
        return f"column {parent.url}"
    return None


def settle(session: Session, capture_ids: Iterable[int]) -> list[Capture]:
    """The possible reports among *capture_ids* that are still lost once the run's parsing is
    done; those whose attachment was stored as a report become plain skips again."""
    ids = list(capture_ids)
    if not ids:
        return []
    still: list[Capture] = []
    for capture in session.scalars(select(Capture).where(Capture.id.in_(ids),
                                                         Capture.parse_state == POSSIBLE_REPORT)):
        stored = session.scalar(select(Capture.id).where(Capture.parent_capture_id == capture.id,
                                                         Capture.report_id.is_not(None)).limit(1))
        if stored is not None:
            capture.parse_state = "skipped"
            capture.parse_error = f"{capture.parse_error}; its attachment holds the report"
        else:
            still.append(capture)
    return still
