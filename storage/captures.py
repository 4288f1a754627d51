"""Raw captures: every fetched response and every failed or skipped fetch, one row each.

Write side for the crawler's item pipeline (one transaction per batch), and the read side it needs
to fetch only what is new: which URLs are known, and how to revalidate them (ETag, Last-Modified,
when they were last fetched, which body they had).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from sqlalchemy import and_, bindparam, case, func, insert, or_, select, update
from sqlalchemy.orm import Session

from storage.models import Capture, utcnow
from storage.raw import put_bodies, sha256_hex

__all__ = [
    "FETCH_STATES", "NewCapture", "Revalidation", "KnownDocument", "record_capture",
    "record_captures", "revalidation_info", "known_urls", "known_documents",
]

# ok | not_modified (a 304: the body is the previous one) | http_error | network_error | blocked
# (412/521 challenge, WAF) | too_large | robots (disallowed) | skipped (a list item not fetched:
# not a candidate; the reason is in parse_error, e.g. "candidates: interpretation").
FETCH_STATES = ("ok", "not_modified", "http_error", "network_error", "blocked", "too_large",
                "robots", "skipped")
# Roles whose stored 2xx bodies are documents to parse; list and home pages are not.
PARSED_ROLES = ("detail", "attachment")
# States whose capture holds the page's body (a 304 points at the body it confirmed).
_BODY_STATES = ("ok", "not_modified")
# SQLite allows 32766 bound parameters; PostgreSQL 65535. Stay well below both.
_IN_CHUNK = 500


@dataclass(frozen=True)
class NewCapture:
    """One capture to write. `body_sha256` refers to a stored body instead of passing `body`
    (a 304 confirms the body it revalidated)."""

    url: str
    canonical_url: str
    role: str
    fetch_state: str
    run_id: int | None = None
    source_id: int | None = None
    final_url: str | None = None
    parent_capture_id: int | None = None
    # Or the parent's position in the same batch, when it is written together with this one.
    parent_index: int | None = None
    link_text: str | None = None
    http_status: int | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body: bytes | None = None
    body_sha256: str | None = None
    fetch_error: str | None = None
    skip_reason: str | None = None
    fetched_at: dt.datetime | None = None


@dataclass(frozen=True)
class Revalidation:
    """What is known about a URL from earlier captures."""

    canonical_url: str
    # The latest fetch attempt (any outcome but "skipped").
    last_attempt_at: dt.datetime | None
    last_state: str | None
    # The latest capture holding the page's body (200 or 304), for conditional requests.
    capture_id: int | None
    fetched_at: dt.datetime | None
    etag: str | None
    last_modified: str | None
    body_sha256: str | None
    http_status: int | None
    content_type: str | None
    final_url: str | None
    # Set when the URL was only ever skipped (never fetched): why.
    skip_reason: str | None = None


def _parse_state(c: NewCapture, digest: str | None, previous: dict[str, str]) -> tuple[str, str | None]:
    if c.fetch_state == "skipped":
        return "skipped", c.skip_reason or "candidates: not a candidate"
    if c.fetch_state == "not_modified":
        return "skipped", "not modified"
    if c.fetch_state == "ok" and c.role == "image":
        return "skipped", "a picture of a page: read by OCR with its report page"
    if c.fetch_state != "ok" or digest is None or c.role not in PARSED_ROLES:
        return "skipped", None
    if previous.get(c.canonical_url) == digest:
        # Same bytes as the URL's latest capture (a server without validators): nothing new to parse.
        return "skipped", "unchanged body"
    return "pending", None


def _latest_bodies(session: Session, urls: Sequence[str]) -> dict[str, str]:
    """canonical URL -> body SHA-256 of its latest capture with a body."""
    out: dict[str, str] = {}
    for i in range(0, len(urls), _IN_CHUNK):
        for row in session.execute(_latest_per_class(urls[i:i + _IN_CHUNK])):
            if row.klass == "body":
                out[row.canonical_url] = row.body_sha256
    return out


_CAPTURES = Capture.__table__


def record_captures(session: Session, captures: Sequence[NewCapture], *,
                    compression_level: int = 6) -> list[int]:
    """Write *captures* (bodies once by SHA-256) and return their ids, in order. A capture may
    name an earlier one of the same batch as its parent (parent_index). Three statements per
    batch, whatever its size: bodies, captures, then parents inside the batch."""
    for c in captures:
        if c.fetch_state not in FETCH_STATES:
            raise ValueError(f"capture of {c.url}: unknown fetch_state {c.fetch_state!r}")
    bodies: dict[str, bytes] = {}
    digests: list[str | None] = []
    for c in captures:
        digest = c.body_sha256
        if c.body is not None:
            digest = sha256_hex(c.body)
            bodies.setdefault(digest, c.body)
        digests.append(digest)
    put_bodies(session, bodies, level=compression_level)
    urls = sorted({c.canonical_url for c in captures if c.fetch_state == "ok" and c.body is not None})
    previous = _latest_bodies(session, urls) if urls else {}
    rows = []
    for c, digest in zip(captures, digests):
        parse_state, parse_error = _parse_state(c, digest, previous)
        if c.fetch_state == "ok" and digest is not None:
            previous[c.canonical_url] = digest
        rows.append({
            "run_id": c.run_id, "source_id": c.source_id, "url": c.url,
            "canonical_url": c.canonical_url, "final_url": c.final_url, "role": c.role,
            "parent_capture_id": c.parent_capture_id, "link_text": c.link_text,
            "http_status": c.http_status,
            "content_type": (c.content_type or None) and c.content_type[:200],
            "etag": (c.etag or None) and c.etag[:500],
            "last_modified": (c.last_modified or None) and c.last_modified[:100],
            "fetched_at": c.fetched_at or utcnow(), "body_sha256": digest,
            "fetch_state": c.fetch_state, "fetch_error": c.fetch_error,
            "parse_state": parse_state, "parse_error": parse_error,
            "parsed_at": None, "report_id": None})
    conn = session.connection()
    result = conn.execute(insert(_CAPTURES).returning(_CAPTURES.c.id, sort_by_parameter_order=True), rows)
    ids = [row[0] for row in result]
    links = [{"cid": ids[i], "pid": ids[c.parent_index]} for i, c in enumerate(captures)
             if c.parent_capture_id is None and c.parent_index is not None]
    if links:
        conn.execute(update(_CAPTURES).where(_CAPTURES.c.id == bindparam("cid"))
                     .values(parent_capture_id=bindparam("pid")), links)
    return ids


def record_capture(session: Session, *, run_id: int | None, source_id: int | None, url: str,
                   canonical_url: str, final_url: str | None, role: str,
                   parent_capture_id: int | None, link_text: str | None, http_status: int | None,
                   content_type: str | None, etag: str | None, last_modified: str | None,
                   body: bytes | None, fetch_state: str, fetch_error: str | None,
                   compression_level: int = 6, body_sha256: str | None = None,
                   skip_reason: str | None = None, fetched_at: dt.datetime | None = None) -> int:
    """Write one capture; parse_state is "pending" for a new 2xx body of a detail page or
    attachment, "skipped" otherwise (list and home pages, failures, 304s, unchanged bodies)."""
    return record_captures(session, [NewCapture(
        url=url, canonical_url=canonical_url, role=role, fetch_state=fetch_state, run_id=run_id,
        source_id=source_id, final_url=final_url, parent_capture_id=parent_capture_id,
        link_text=link_text, http_status=http_status, content_type=content_type, etag=etag,
        last_modified=last_modified, body=body, body_sha256=body_sha256, fetch_error=fetch_error,
        skip_reason=skip_reason, fetched_at=fetched_at)], compression_level=compression_level)[0]


def _latest_per_class(urls: Sequence[str]):
    """The latest capture of each URL in each class: "body" (a 200/304 holding the page's body),
    "skip" (not fetched), "fail" (any other outcome). One query, at most 3 rows per URL."""
    klass = case((and_(Capture.fetch_state.in_(_BODY_STATES), Capture.body_sha256.is_not(None)), "body"),
                 (Capture.fetch_state == "skipped", "skip"), else_="fail")
    ranked = (select(Capture.id, Capture.canonical_url, Capture.fetched_at, Capture.fetch_state,
                     Capture.etag, Capture.last_modified, Capture.body_sha256, Capture.http_status,
                     Capture.content_type, Capture.final_url, Capture.parse_error,
                     klass.label("klass"),
                     func.row_number().over(partition_by=(Capture.canonical_url, klass),
                                            order_by=Capture.id.desc()).label("rn"))
              .where(Capture.canonical_url.in_(urls)).subquery())
    return select(ranked).where(ranked.c.rn == 1)


def revalidation_info(session: Session, canonical_urls: Iterable[str]) -> dict[str, Revalidation]:
    """For each known URL: its latest fetch attempt, and the validators and body of its latest
    200/304 capture. URLs never captured are absent."""
    urls = sorted(set(canonical_urls))
    latest: dict[str, dict[str, Any]] = {}
    for i in range(0, len(urls), _IN_CHUNK):
        for row in session.execute(_latest_per_class(urls[i:i + _IN_CHUNK])):
            latest.setdefault(row.canonical_url, {})[row.klass] = row
    out: dict[str, Revalidation] = {}
    for url, rows in latest.items():
        good, skip = rows.get("body"), rows.get("skip")
        attempts = [r for r in (good, rows.get("fail")) if r is not None]
        a = max(attempts, key=lambda r: r.id) if attempts else None
        out[url] = Revalidation(
            canonical_url=url,
            last_attempt_at=a.fetched_at if a else None, last_state=a.fetch_state if a else None,
            capture_id=good.id if good else None, fetched_at=good.fetched_at if good else None,
            etag=good.etag if good else None, last_modified=good.last_modified if good else None,
            body_sha256=good.body_sha256 if good else None,
            http_status=good.http_status if good else None,
            content_type=good.content_type if good else None,
            final_url=good.final_url if good else None,
            skip_reason=skip.parse_error if (skip is not None and a is None) else None)
    return out


def known_urls(session: Session, canonical_urls: Iterable[str]) -> set[str]:
    """The URLs among *canonical_urls* that have any capture (fetched, failed or skipped)."""
    urls = sorted(set(canonical_urls))
    found: set[str] = set()
    for i in range(0, len(urls), _IN_CHUNK):
        found.update(session.scalars(select(Capture.canonical_url).distinct()
                                     .where(Capture.canonical_url.in_(urls[i:i + _IN_CHUNK]))))
    return found


@dataclass(frozen=True)
class KnownDocument:
    """A page or file captured as a document before: to revalidate on the next crawl."""

    url: str
    canonical_url: str
    role: str
    link_text: str | None
    parent_capture_id: int | None


def known_documents(session: Session, *, hosts: Iterable[str] = (), source_id: int | None = None,
                    limit: int = 10_000) -> list[KnownDocument]:
    """Detail pages and attachments fetched successfully before, of *source_id* or on *hosts*:
    they are revalidated even when the list that led to them is not read again."""
    conditions = [Capture.canonical_url.like(f"http://{h.lower()}/%") for h in hosts]
    if source_id is not None:
        conditions.append(Capture.source_id == source_id)
    if not conditions:
        return []
    latest = (select(func.max(Capture.id).label("id"))
              .where(or_(*conditions), Capture.role.in_(PARSED_ROLES),
                     Capture.fetch_state.in_(_BODY_STATES))
              .group_by(Capture.canonical_url).subquery())
    rows = session.execute(
        select(Capture.url, Capture.canonical_url, Capture.role, Capture.link_text,
               Capture.parent_capture_id).join(latest, Capture.id == latest.c.id)
        .order_by(Capture.id).limit(limit))
    return [KnownDocument(*row) for row in rows]
