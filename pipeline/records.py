"""The values that flow through the pipeline: frozen dataclasses, no behaviour."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

__all__ = ["KINDS", "FileLimits", "ParseOptions", "ParsedDocument", "Skipped", "ParseFailure", "Link"]

# What a document is. 政府信息公开工作年度报告 is "other": a different annual report.
KINDS = ("annual_report", "interpretation", "work_summary", "work_plan", "news", "other")


@dataclass(frozen=True)
class FileLimits:
    """How much one document may make a reader hold: every reader stops at these while reading
    (settings.toml [limits] says why each default is what it is)."""

    max_bytes: int = 50_000_000  # the file itself
    max_unpacked_bytes: int = 200_000_000  # all decompressed streams or zip members together
    max_pages: int = 500
    max_xml_part_bytes: int = 50_000_000  # one XML part of a DOCX or OFD package
    max_glyphs: int = 2_000_000  # glyphs drawn in a whole PDF
    max_page_objects: int = 100_000  # glyphs, shapes and pictures drawn on one PDF page
    max_text_chars: int = 5_000_000  # characters of text in one document


@dataclass(frozen=True)
class ParseOptions:
    """Knobs for parse_document; built from settings by jobs, never read from globals."""

    min_report_chars: int = 200
    # Lines seen on many pages of the same host (learned boilerplate), stripped like chrome.
    host_boilerplate: frozenset[str] = frozenset()
    file_limits: FileLimits = FileLimits()


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

    def __reduce__(self):  # travels from a parse worker process (jobs.sandbox) by pickle
        return (ParseFailure, (self.stage, self.reason))
