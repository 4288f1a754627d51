"""Changing which report a publication belongs to: split one off, merge two reports into one.

Both keep everything (publications, versions, signatures, captures move; nothing is deleted but an
emptied report and its search entry) and record why in each moved publication's merge_reason, the
previous reason kept under "previous". A split publication is pinned: its reason says
{"method": "split", "was_report": N, "apart_from": [publication ids left in N], ...}, and
re-deduplication never puts it together with those publications again (`kept_apart`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pipeline.tokens import Tokenizer
from storage.models import Capture, Publication, Report, ReportVersion, Signature, utcnow
from storage.reports import DISPLAYED_FIELDS
from storage.search import index_report, remove_from_index

__all__ = ["SplitOutcome", "MergeOutcome", "split_publication", "merge_reports", "kept_apart",
           "SplitError", "describe_merge_reason"]


class SplitError(ValueError):
    """A publication that cannot be split off (unknown, or its report's only publication)."""


@dataclass(frozen=True)
class SplitOutcome:
    publication_id: int
    old_report_id: int
    new_report_id: int
    versions_moved: int


@dataclass(frozen=True)
class MergeOutcome:
    into_report_id: int
    from_report_id: int
    publications_moved: int
    versions_moved: int


def _reindex(session: Session, report: Report, tokenizer: Tokenizer) -> None:
    session.flush()
    index_report(session, report.id, report.title, report.text, tokenizer,
                 report_year=report.report_year, region_code=report.region_code, kind=report.kind,
                 published_at=report.published_at)


def _current_version(session: Session, pub: Publication) -> ReportVersion | None:
    """The latest stored version of the publication's current text (any of its versions if that
    one is missing: documents stored before versions were kept per publication)."""
    versions = session.scalars(sa.select(ReportVersion).where(ReportVersion.publication_id == pub.id)
                               .order_by(ReportVersion.created_at.desc(), ReportVersion.id.desc())).all()
    return next((v for v in versions if v.content_sha256 == pub.content_sha256),
                versions[0] if versions else None)


def _show(session: Session, report: Report, pub: Publication, fallback: Report) -> None:
    """Make *pub* what *report* shows, from its current version and the keys stored with its
    signature; what neither holds (dates, region name, sections) comes from *fallback*."""
    version = _current_version(session, pub)
    sig = session.scalar(sa.select(Signature).where(Signature.publication_id == pub.id,
                                                    Signature.content_sha256 == pub.content_sha256))
    for name in DISPLAYED_FIELDS:
        setattr(report, name, getattr(fallback, name))
    if sig is not None:
        report.issuer, report.region_code = sig.issuer, sig.region_code
        report.report_year, report.kind = sig.report_year, sig.kind or fallback.kind
    report.title = (version.title if version is not None else None) or pub.title or fallback.title
    if version is not None:
        report.text, report.content_sha256 = version.text, version.content_sha256
    else:
        report.text, report.content_sha256 = fallback.text, fallback.content_sha256
    report.fields = {**(fallback.fields or {}), "display_publication_id": pub.id}


def _display_choice(pubs: list[Publication]) -> Publication:
    """Official before unofficial, then the earliest seen."""
    return min(pubs, key=lambda p: (not p.official, p.first_seen, p.id))


def split_publication(session: Session, publication_id: int, *, tokenizer: Tokenizer,
                      at: dt.datetime | None = None, note: str | None = None) -> SplitOutcome:
    """Move a publication, its versions, signatures and captures out into a new report of its own,
    and pin it there (see the module docstring). Raises SplitError if it is its report's only one."""
    at = at or utcnow()
    pub = session.get(Publication, publication_id, with_for_update=True)
    if pub is None:
        raise SplitError(f"no publication with id {publication_id}")
    old = session.get(Report, pub.report_id, with_for_update=True)
    assert old is not None
    others = session.scalars(sa.select(Publication).where(Publication.report_id == old.id,
                                                          Publication.id != pub.id)
                             .order_by(Publication.id)).all()
    if not others:
        raise SplitError(f"publication {publication_id} is the only one of report {old.id}")
    new = Report(kind=old.kind, text=old.text, content_sha256=old.content_sha256, fields={},
                 created_at=pub.first_seen, updated_at=at)
    _show(session, new, pub, old)
    new.fields = {k: v for k, v in new.fields.items() if k != "split_from"} | {"split_from": old.id}
    session.add(new)
    session.flush()
    moved = _move(session, old.id, new.id, [pub.id])
    pub.report_id = new.id
    pub.merge_reason = {"method": "split", "was_report": old.id, "at": at.isoformat(),
                        "apart_from": [p.id for p in others],
                        **({"note": note} if note else {}), "previous": pub.merge_reason or {}}
    if (old.fields or {}).get("display_publication_id") == pub.id:
        _show(session, old, _display_choice(list(others)), old)
        _reindex(session, old, tokenizer)
    _reindex(session, new, tokenizer)
    session.flush()
    return SplitOutcome(pub.id, old.id, new.id, moved)


def _move(session: Session, from_id: int, to_id: int, pub_ids: list[int] | None) -> int:
    """Move versions, signatures and captures of the publications *pub_ids* (all if None) of
    report *from_id* to report *to_id*; returns the number of versions moved."""
    def scoped(model: Any, column: Any) -> Any:
        stmt = sa.update(model).where(model.report_id == from_id)
        return stmt if pub_ids is None else stmt.where(column.in_(pub_ids))
    moved = session.execute(scoped(ReportVersion, ReportVersion.publication_id)
                            .values(report_id=to_id)).rowcount or 0
    session.execute(scoped(Signature, Signature.publication_id).values(report_id=to_id))
    if pub_ids is None:
        session.execute(sa.update(Capture).where(Capture.report_id == from_id).values(report_id=to_id))
    else:
        urls = sa.select(Publication.canonical_url).where(Publication.id.in_(pub_ids))
        versions = sa.select(ReportVersion.capture_id).where(ReportVersion.publication_id.in_(pub_ids))
        session.execute(sa.update(Capture).where(
            Capture.report_id == from_id,
            sa.or_(Capture.canonical_url.in_(urls), Capture.id.in_(versions))).values(report_id=to_id))
    session.expire_all()
    return moved


def merge_reports(session: Session, into_id: int, from_id: int, *, reason: dict[str, Any],
                  tokenizer: Tokenizer, at: dt.datetime | None = None) -> MergeOutcome:
    """Make report *from_id* part of report *into_id*: its publications, versions, signatures and
    captures move; each moved publication's merge_reason becomes *reason* (with "was_report", "at"
    and its previous reason); the report shown is the official one (into's if both are); the
    emptied report and its search entry are deleted."""
    at = at or utcnow()
    into = session.get(Report, into_id, with_for_update=True)
    src = session.get(Report, from_id, with_for_update=True)
    if into is None or src is None or into_id == from_id:
        raise ValueError(f"cannot merge report {from_id} into {into_id}")
    pubs = session.scalars(sa.select(Publication).where(Publication.report_id == from_id)
                           .order_by(Publication.id)).all()
    for pub in pubs:
        pub.report_id = into_id
        pub.merge_reason = {**reason, "was_report": from_id, "at": at.isoformat(),
                            "previous": pub.merge_reason or {}}
    session.flush()
    shown = {k: getattr(src, k) for k in (*DISPLAYED_FIELDS, "text", "content_sha256", "fields")}
    src_display = session.get(Publication, (src.fields or {}).get("display_publication_id") or -1)
    into_display = session.get(Publication, (into.fields or {}).get("display_publication_id") or -1)
    moved = _move(session, from_id, into_id, None)
    into = session.get(Report, into_id)
    if src_display is not None and src_display.official and (into_display is None or not into_display.official):
        for name, value in shown.items():
            setattr(into, name, value)
    else:
        for name in DISPLAYED_FIELDS:  # the other report only fills what is missing
            if getattr(into, name) is None and shown[name] is not None:
                setattr(into, name, shown[name])
    into.created_at = min(into.created_at, src.created_at)
    into.updated_at = max(into.updated_at, at)
    remove_from_index(session, from_id)
    session.execute(sa.delete(Report).where(Report.id == from_id))
    _reindex(session, into, tokenizer)
    session.flush()
    return MergeOutcome(into_id, from_id, len(pubs), moved)


def kept_apart(session: Session) -> dict[int, frozenset[int]]:
    """Split (pinned) publications and the publications each must never be merged with again."""
    out: dict[int, frozenset[int]] = {}
    for pub_id, reason in session.execute(sa.select(Publication.id, Publication.merge_reason)):
        apart: set[int] = set()
        pinned = False
        while isinstance(reason, dict):  # a later merge keeps the split under "previous"
            if reason.get("method") == "split":
                pinned = True
                apart.update(int(p) for p in reason.get("apart_from") or ())
            reason = reason.get("previous")
        if pinned:
            out[pub_id] = frozenset(apart)
    return out


def describe_merge_reason(reason: dict[str, Any]) -> str:
    """A publication's merge_reason in words: how it came to this report, then earlier steps."""
    parts = []
    while isinstance(reason, dict) and reason:
        method = reason.get("method")
        if method == "first":
            text = "first publication of the report"
        elif method == "exact":
            text = "same text (exact content hash)"
        elif method == "near":
            text = f"near duplicate, similarity {reason.get('score')}"
        elif method == "split":
            text = f"split off report {reason.get('was_report')} at {reason.get('at')}"
        else:
            text = str(method)
        if reason.get("reason") and method in ("exact", "near"):
            text += f" ({reason['reason']})"
        if reason.get("job"):
            text += f", merged by the {reason['job']} job from report {reason.get('was_report')}"
            text += f" at {reason.get('at')}" if reason.get("at") else ""
        if reason.get("note"):
            text += f": {reason['note']}"
        parts.append(text)
        reason = reason.get("previous")
    return "; before that: ".join(parts) or "unknown"
