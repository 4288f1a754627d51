"""Stored MinHash signatures: written with each publication's text, read back in batches.

One row per (publication, text): the bytes of pipeline.dedup.signature_bytes and what was read of
that document (issuer, region, year, kind), which is all that near-duplicate decisions need. The
signatures are computed by the jobs (storage never runs the pipeline) and reloaded at the start of
a parse job or a re-deduplication run, so texts never have to be read again to compare them.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.models import Publication, Signature, utcnow

__all__ = ["SignatureRow", "PublicationRow", "save_signature", "iter_signatures",
           "iter_publications", "signatures_by_id", "publication_signature"]

_COLUMNS = (Signature.id, Signature.report_id, Signature.publication_id, Signature.content_sha256,
            Signature.issuer, Signature.region_code, Signature.report_year, Signature.kind,
            Signature.data)


@dataclass(frozen=True)
class SignatureRow:
    id: int
    report_id: int
    publication_id: int
    content_sha256: str
    issuer: str | None
    region_code: str | None
    report_year: int | None
    kind: str | None
    data: bytes


@dataclass(frozen=True)
class PublicationRow:
    """A publication in dedup order, with the signature of its current text (None if not stored)."""

    id: int
    report_id: int
    first_seen: dt.datetime
    official: bool
    merge_reason: dict[str, Any]
    signature: SignatureRow | None


def _row(values: Any) -> SignatureRow:
    return SignatureRow(*values[:8], bytes(values[8]))


def save_signature(session: Session, *, report_id: int, publication_id: int, content_sha256: str,
                   data: bytes, issuer: str | None, region_code: str | None,
                   report_year: int | None, kind: str | None) -> bool:
    """Keep the signature of a publication's text unless it is stored already; True if written.
    (Two writers racing on one row: the unique constraint fails the loser's savepoint.)"""
    exists = session.scalar(sa.select(Signature.id).where(
        Signature.publication_id == publication_id, Signature.content_sha256 == content_sha256))
    if exists is not None:
        return False
    session.add(Signature(report_id=report_id, publication_id=publication_id,
                          content_sha256=content_sha256, data=data, issuer=issuer,
                          region_code=region_code, report_year=report_year, kind=kind,
                          created_at=utcnow()))
    session.flush()
    return True


def iter_signatures(session: Session, *, batch_size: int = 2000) -> Iterator[SignatureRow]:
    """Every stored signature in id order, read batch_size rows at a time (memory stays flat)."""
    last = 0
    while True:
        rows = session.execute(sa.select(*_COLUMNS).where(Signature.id > last)
                               .order_by(Signature.id).limit(batch_size)).all()
        if not rows:
            return
        for values in rows:
            yield _row(values)
        last = rows[-1][0]


def signatures_by_id(session: Session, ids: list[int]) -> list[SignatureRow]:
    """The signatures with these ids, in id order."""
    out: list[SignatureRow] = []
    for start in range(0, len(ids), 500):
        out += [_row(v) for v in session.execute(
            sa.select(*_COLUMNS).where(Signature.id.in_(ids[start:start + 500])).order_by(Signature.id))]
    return out


def publication_signature(session: Session, publication_id: int) -> SignatureRow | None:
    """The signature of the publication's current text."""
    values = session.execute(
        sa.select(*_COLUMNS).join(Publication, Publication.id == Signature.publication_id)
        .where(Publication.id == publication_id,
               Signature.content_sha256 == Publication.content_sha256)).first()
    return None if values is None else _row(values)


def iter_publications(session: Session, *, after: tuple[dt.datetime, int] | None = None,
                      until: tuple[dt.datetime, int] | None = None,
                      limit: int = 1000) -> list[PublicationRow]:
    """Up to *limit* publications in the order (first_seen, id) strictly after *after* and up to
    *until* (inclusive), each with the signature of its current text: the fixed order in which
    re-deduplication visits the collection, whatever order things arrived in."""
    pub = Publication
    stmt = (sa.select(pub.id, pub.report_id, pub.first_seen, pub.official, pub.merge_reason, *_COLUMNS)
            .outerjoin(Signature, sa.and_(Signature.publication_id == pub.id,
                                          Signature.content_sha256 == pub.content_sha256))
            .order_by(pub.first_seen, pub.id).limit(limit))
    if after is not None:
        stmt = stmt.where(sa.or_(pub.first_seen > after[0],
                                 sa.and_(pub.first_seen == after[0], pub.id > after[1])))
    if until is not None:
        stmt = stmt.where(sa.or_(pub.first_seen < until[0],
                                 sa.and_(pub.first_seen == until[0], pub.id <= until[1])))
    out = []
    for values in session.execute(stmt):
        sig = _row(values[5:]) if values[5] is not None else None
        out.append(PublicationRow(values[0], values[1], values[2], bool(values[3]),
                                  dict(values[4] or {}), sig))
    return out
