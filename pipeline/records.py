"""The values that flow through the pipeline: frozen dataclasses, no behaviour."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

__all__ = ["KINDS", "ParseOptions", "ParsedDocument", "Skipped", "ParseFailure", "Link"]

# What a document is. 政府信息公开工作年度报告 is "other": a different annual report.
KINDS = ("annual_report", "interpretation", "work_summary", "work_plan", "news", "other")


@dataclass(frozen=True)
class ParseOptions:
    """Knobs for parse_document; built from settings by jobs, never read from globals."""

    min_report_chars: int = 200
    # Lines seen on many pages of the same host (learned boilerplate), stripped like chrome.
    host_boilerplate: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Link:
    url: str
    text: str


@dataclass(frozen=True)
class ParsedDocument:
    """A cleaned document with its fields. `text` is the body: one paragraph per line, no title,
    header lines, footer, addressee or signature."""

    title: str | None
    issuer: str | None
    report_year: int | None
    published_at: dt.date | None
    kind: str
    text: str
    region_code: str | None = None
    region_name: str | None = None
    addressee: str | None = None
    signature: str | None = None
    # (section name, first line) for the required sections found, in order.
    sections: tuple[tuple[str, str], ...] = ()
    keywords: tuple[str, ...] = ()
    # Links to PDF/DOC/DOCX/WPS/OFD files found on an HTML page.
    attachments: tuple[Link, ...] = ()
    source_format: str = "html"  # html | text | pdf | docx | doc | wps | ofd
    # "ok", or "needs_ocr" for a PDF with no text layer (stored, not dropped).
    status: str = "ok"
    meta: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Skipped:
    """An expected outcome that is not a document: a list page, an empty page, an image."""

    stage: str
    reason: str
    # The page's own title, when it has one: what the parse job reads, with the link that led
    # to the page, to tell a likely report that must not be skipped silently.
    title: str | None = None


class ParseFailure(Exception):
    """Broken input (a corrupt PDF, a zip bomb): carries the stage and a reason for the capture."""

    def __init__(self, stage: str, reason: str) -> None:
        super().__init__(f"{stage}: {reason}")
        self.stage = stage
        self.reason = reason
