"""The write side: a parsed document at a URL becomes a report, a publication and versions.

One report, however many times and places it is published:
- a URL seen before with the same text            -> "unchanged" (last seen moves on)
- a URL seen before with other text               -> "updated": a new version with a diff; old kept
- a new URL whose text is a report's current text -> "duplicate": one more publication (exact merge)
- a new URL the caller matched to a report          -> "duplicate": one more publication with its own
  (`match`: near-duplicate detection, jobs/parsing.py)   version, merge reason as given
- otherwise                                       -> "new": report, publication, first version
The text key is pipeline.dedup.content_sha256. An official publication's fields (title, issuer,
dates, ...) are what the report shows; an unofficial copy only fills gaps. The full-text index is
updated in the same transaction. Storing the same document at the same URL again changes nothing.
A `signature` given by the caller (pipeline.dedup.signature_bytes) is kept with the publication's
text in `signatures` (storage/signatures.py).
"""
from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pipeline.dedup import content_sha256, normalise_for_hash
from pipeline.records import ParsedDocument
from pipeline.tokens import Tokenizer
from storage.models import Capture, Publication, Report, ReportVersion
from storage.search import index_report
from storage.signatures import save_signature

__all__ = ["StoreOutcome", "store_document", "ACTIONS", "DISPLAYED_FIELDS", "text_diff"]

ACTIONS = ("new", "duplicate", "updated", "unchanged")
# The report columns that come from the publication it is shown from.
DISPLAYED_FIELDS = ("title", "issuer", "region_code", "region_name", "report_year", "published_at",
                    "kind")
# Two writers inserting the same URL at once: the loser's savepoint rolls back and it tries again,
# now finding the winner's row. More than one retry would mean a bug, not a race.
_RACE_RETRIES = 2
# Lines of context around each change in a version's diff (a line is a paragraph).
_DIFF_CONTEXT = 1
# PostgreSQL advisory locks are (space, id) pairs; this space ("grpt") keeps the content-key locks
# apart from other users of advisory locks (the scheduler's leader election).
_LOCK_SPACE = 0x67727074


@dataclass(frozen=True)
class StoreOutcome:
    action: str  # one of ACTIONS
    report_id: int
    publication_id: int


def store_document(session: Session, doc: ParsedDocument, *, url: str, canonical_url: str,
                   host: str, official: bool, is_attachment: bool, capture_id: int | None,
                   seen_at: dt.datetime, tokenizer: Tokenizer,
                   match: tuple[int, dict[str, Any]] | None = None,
                   signature: bytes | None = None) -> StoreOutcome:
    """Store *doc*, found at *canonical_url* at *seen_at* (timezone-aware), in the caller's
    transaction. Safe with concurrent writers on PostgreSQL.

    *match* = (report id, merge reason): a new URL whose text is not a report's current text joins
    that report (if it still exists) instead of making a new one. *signature*: the MinHash bytes of
    doc.text, kept with the publication's text."""
    if seen_at.tzinfo is None:
        raise ValueError(f"{canonical_url}: seen_at must be timezone-aware")
    args = _Args(doc, url, canonical_url, host, official, is_attachment, capture_id, seen_at,
                 tokenizer, content_sha256(doc.text), bool(normalise_for_hash(doc.text)), match)
    for attempt in range(_RACE_RETRIES + 1):
        try:
            with session.begin_nested():
                outcome = _store(session, args)
                if signature is not None:
                    save_signature(session, report_id=outcome.report_id,
                                   publication_id=outcome.publication_id, content_sha256=args.key,
                                   data=signature, issuer=doc.issuer, region_code=doc.region_code,
                                   report_year=doc.report_year, kind=doc.kind)
        except IntegrityError:
            if attempt == _RACE_RETRIES:
                raise
            continue
        if capture_id is not None:
            session.execute(sa.update(Capture).where(Capture.id == capture_id)
                            .values(report_id=outcome.report_id))
        return outcome
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class _Args:
    doc: ParsedDocument
    url: str
    canonical_url: str
    host: str
    official: bool
    is_attachment: bool
    capture_id: int | None
    seen_at: dt.datetime
    tokenizer: Tokenizer
    key: str
    has_text: bool  # an empty text (a scan awaiting OCR) is never merged by its key
    match: tuple[int, dict[str, Any]] | None = None  # (report id, merge reason) from the caller


def _store(session: Session, a: _Args) -> StoreOutcome:
    pub = session.scalar(sa.select(Publication).where(Publication.canonical_url == a.canonical_url)
                         .with_for_update())
    if pub is not None:
        report = session.get(Report, pub.report_id, with_for_update=True)
        assert report is not None
        if pub.content_sha256 == a.key:
            return _unchanged(session, a, pub, report)
        return _changed(session, a, pub, report)
    report = None
    if a.has_text:
        if session.get_bind().dialect.name == "postgresql":
            # Two writers storing the same text at two new URLs would each find no report and
            # make two: the first to take this lock (held to commit) makes it, the other finds it.
            session.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOCK_SPACE, _lock_id(a.key))))
        report = session.scalar(sa.select(Report).where(Report.content_sha256 == a.key)
                                .order_by(Report.id).limit(1).with_for_update())
    if report is not None:
        return _duplicate(session, a, report)
    if a.match is not None:
        report = session.get(Report, a.match[0], with_for_update=True)  # None: merged away meanwhile
        if report is not None:
            return _duplicate(session, a, report, a.match[1])
    return _new(session, a)


def _lock_id(key: str) -> int:
    """A signed 32-bit advisory-lock id for a content key (a hex SHA-256)."""
    return int.from_bytes(bytes.fromhex(key[:8]), "big", signed=True)


def _doc_fields(doc: ParsedDocument) -> dict[str, Any]:
    """The parsed values that have no column of their own."""
    return {
        "sections": [list(s) for s in doc.sections], "keywords": list(doc.keywords),
        "addressee": doc.addressee, "signature": doc.signature,
        "attachments": [{"url": link.url, "text": link.text} for link in doc.attachments],
        "source_format": doc.source_format, "status": doc.status, "meta": dict(doc.meta),
    }


def _show_from(report: Report, doc: ParsedDocument, pub: Publication, seen_at: dt.datetime) -> None:
    """Make *pub*'s version of the document what the report shows."""
    for name in DISPLAYED_FIELDS:
        setattr(report, name, getattr(doc, name))
    report.text = doc.text
    report.content_sha256 = pub.content_sha256
    report.fields = {**_doc_fields(doc), "display_publication_id": pub.id}
    report.updated_at = max(report.updated_at, seen_at) if report.updated_at else seen_at


def _may_show(session: Session, report: Report, pub: Publication) -> bool:
    """Whether *pub* decides what the report shows: it already does, or it is official and the
    one that does is not. (A report stored by other means names no publication: it keeps its
    fields.)"""
    shown_id = (report.fields or {}).get("display_publication_id")
    if shown_id == pub.id:
        return True
    if shown_id is None or not pub.official:
        return False
    shown = session.get(Publication, shown_id)
    return shown is None or not shown.official


def _touch(pub: Publication, a: _Args) -> None:
    if a.seen_at >= pub.last_seen:
        pub.last_seen = a.seen_at
        if a.capture_id is not None:
            pub.last_capture_id = a.capture_id
    pub.first_seen = min(pub.first_seen, a.seen_at)


def _reindex(session: Session, report: Report, a: _Args) -> None:
    session.flush()
    index_report(session, report.id, report.title, report.text, a.tokenizer,
                 report_year=report.report_year, region_code=report.region_code, kind=report.kind,
                 published_at=report.published_at)


def _unchanged(session: Session, a: _Args, pub: Publication, report: Report) -> StoreOutcome:
    _touch(pub, a)
    # Same text, but a better parser may read better fields: the publication shown keeps them fresh.
    if (report.fields or {}).get("display_publication_id") == pub.id:
        before = [getattr(report, n) for n in DISPLAYED_FIELDS]
        if before != [getattr(a.doc, n) for n in DISPLAYED_FIELDS] or \
                {k: v for k, v in report.fields.items() if k != "display_publication_id"} != _doc_fields(a.doc):
            for name in DISPLAYED_FIELDS:
                setattr(report, name, getattr(a.doc, name))
            report.fields = {**_doc_fields(a.doc), "display_publication_id": pub.id}
            if before != [getattr(report, n) for n in DISPLAYED_FIELDS]:
                _reindex(session, report, a)  # title words and filter tokens
    session.flush()
    return StoreOutcome("unchanged", report.id, pub.id)


def text_diff(old: str, new: str, *, old_label: str = "before", new_label: str = "after") -> str:
    """A unified diff of two texts, one paragraph per line."""
    return "\n".join(difflib.unified_diff(old.splitlines(), new.splitlines(), old_label, new_label,
                                          lineterm="", n=_DIFF_CONTEXT))


def _changed(session: Session, a: _Args, pub: Publication, report: Report) -> StoreOutcome:
    versions = session.scalars(sa.select(ReportVersion).where(ReportVersion.report_id == report.id)
                               .order_by(ReportVersion.created_at, ReportVersion.id)).all()
    if a.seen_at < pub.last_seen:
        # An older capture parsed late (or parsed again): history, not the current text.
        if any(v.content_sha256 == a.key for v in versions):
            pub.first_seen = min(pub.first_seen, a.seen_at)
            session.flush()
            return StoreOutcome("unchanged", report.id, pub.id)
        earlier = [v for v in versions if v.created_at <= a.seen_at]
        base = earlier[-1] if earlier else None
        _add_version(session, a, report, pub, base)
        pub.first_seen = min(pub.first_seen, a.seen_at)
        session.flush()
        return StoreOutcome("updated", report.id, pub.id)
    # The text this publication showed until now.
    base = next((v for v in reversed(versions) if v.content_sha256 == pub.content_sha256), None)
    _add_version(session, a, report, pub, base, fallback_text=report.text)
    show = _may_show(session, report, pub)
    pub.content_sha256 = a.key
    pub.title = a.doc.title
    _touch(pub, a)
    if show:
        _show_from(report, a.doc, pub, a.seen_at)
        _reindex(session, report, a)
    session.flush()
    return StoreOutcome("updated", report.id, pub.id)


def _add_version(session: Session, a: _Args, report: Report, pub: Publication,
                 base: ReportVersion | None, fallback_text: str | None = None) -> None:
    old = base.text if base is not None else fallback_text
    label = f"version {base.id}" if base is not None else "previous text"
    session.add(ReportVersion(
        report_id=report.id, publication_id=pub.id, capture_id=a.capture_id,
        content_sha256=a.key, title=a.doc.title, text=a.doc.text,
        diff=text_diff(old, a.doc.text, old_label=label, new_label=a.canonical_url)
        if old is not None else None,
        created_at=a.seen_at))


def _new_publication(a: _Args, report_id: int, merge_reason: dict[str, Any]) -> Publication:
    return Publication(
        report_id=report_id, url=a.url, canonical_url=a.canonical_url, host=a.host,
        official=a.official, is_attachment=a.is_attachment, title=a.doc.title,
        content_sha256=a.key, first_seen=a.seen_at, last_seen=a.seen_at,
        last_capture_id=a.capture_id, merge_reason=merge_reason)


def _duplicate(session: Session, a: _Args, report: Report,
               reason: dict[str, Any] | None = None) -> StoreOutcome:
    pub = _new_publication(a, report.id, reason or {"method": "exact", "content_sha256": a.key})
    session.add(pub)
    session.flush()  # the unique URL constraint fires here, inside the savepoint
    if a.key != report.content_sha256:  # a near copy: its own text is kept (and can be split off)
        _add_version(session, a, report, pub, None, fallback_text=report.text)
    if _may_show(session, report, pub) and (report.fields or {}).get("display_publication_id") != pub.id:
        _show_from(report, a.doc, pub, a.seen_at)
        _reindex(session, report, a)
    else:
        filled = False
        for name in DISPLAYED_FIELDS:  # an unofficial copy only fills what is missing
            if getattr(report, name) is None and getattr(a.doc, name) is not None:
                setattr(report, name, getattr(a.doc, name))
                filled = True
        if filled:
            _reindex(session, report, a)
    session.flush()
    return StoreOutcome("duplicate", report.id, pub.id)


def _new(session: Session, a: _Args) -> StoreOutcome:
    doc = a.doc
    report = Report(text=doc.text, content_sha256=a.key, fields=_doc_fields(doc),
                    created_at=a.seen_at, updated_at=a.seen_at,
                    **{name: getattr(doc, name) for name in DISPLAYED_FIELDS})
    session.add(report)
    session.flush()
    pub = _new_publication(a, report.id, {"method": "first"})
    session.add(pub)
    session.flush()
    report.fields = {**report.fields, "display_publication_id": pub.id}
    session.add(ReportVersion(report_id=report.id, publication_id=pub.id, capture_id=a.capture_id,
                              content_sha256=a.key, title=doc.title, text=doc.text, diff=None,
                              created_at=a.seen_at))
    _reindex(session, report, a)
    session.flush()
    return StoreOutcome("new", report.id, pub.id)
