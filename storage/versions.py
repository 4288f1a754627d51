"""A report's versions and what changed between them: line-by-line side-by-side rows, with the
changed words inside changed lines marked (difflib), JSON-ready."""
from __future__ import annotations

import difflib
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.models import ReportVersion

__all__ = ["version_diff", "diff_rows"]

# Texts longer than this (characters) are compared line by line only: the word-level pass is
# quadratic in a line's length.
_INLINE_MAX = 2000


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in (text or "").splitlines() if line.strip()]


def _inline(old: str, new: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The two lines as (tag, piece) runs: tag "same", "del" (old side) or "ins" (new side)."""
    if len(old) + len(new) > _INLINE_MAX:
        return [("del", old)], [("ins", new)]
    a, b = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            a.append(("same", old[i1:i2]))
            b.append(("same", new[j1:j2]))
        else:
            if i2 > i1:
                a.append(("del", old[i1:i2]))
            if j2 > j1:
                b.append(("ins", new[j1:j2]))
    return a, b


def diff_rows(old: str, new: str, *, context: int | None = 3) -> list[dict[str, Any]]:
    """Side-by-side rows: {"tag": same | changed | added | removed | gap, "old": [(tag, text)],
    "new": [(tag, text)], "old_no", "new_no"}. Unchanged runs longer than 2 * *context* lines
    become one "gap" row (context=None keeps every line)."""
    a, b = _lines(old), _lines(new)
    rows: list[dict[str, Any]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            span = list(range(i2 - i1))
            if context is not None and len(span) > 2 * context + 1:
                keep = span[:context] if rows else []
                tail = span[-context:] if i2 < len(a) or j2 < len(b) else []
                for k in keep:
                    rows.append(_same(a, i1 + k, j1 + k))
                rows.append({"tag": "gap", "old": [], "new": [], "old_no": None, "new_no": None,
                             "lines": len(span) - len(keep) - len(tail)})
                for k in tail:
                    rows.append(_same(a, i1 + k, j1 + k))
            else:
                rows += [_same(a, i1 + k, j1 + k) for k in span]
        elif tag == "replace":
            for k in range(max(i2 - i1, j2 - j1)):
                o = a[i1 + k] if i1 + k < i2 else None
                n = b[j1 + k] if j1 + k < j2 else None
                if o is not None and n is not None:
                    left, right = _inline(o, n)
                    rows.append({"tag": "changed", "old": left, "new": right,
                                 "old_no": i1 + k + 1, "new_no": j1 + k + 1})
                elif o is not None:
                    rows.append({"tag": "removed", "old": [("del", o)], "new": [],
                                 "old_no": i1 + k + 1, "new_no": None})
                else:
                    rows.append({"tag": "added", "old": [], "new": [("ins", n or "")],
                                 "old_no": None, "new_no": j1 + k + 1})
        elif tag == "delete":
            rows += [{"tag": "removed", "old": [("del", a[i])], "new": [], "old_no": i + 1,
                      "new_no": None} for i in range(i1, i2)]
        else:
            rows += [{"tag": "added", "old": [], "new": [("ins", b[j])], "old_no": None,
                      "new_no": j + 1} for j in range(j1, j2)]
    return rows


def _same(a: list[str], i: int, j: int) -> dict[str, Any]:
    return {"tag": "same", "old": [("same", a[i])], "new": [("same", a[i])], "old_no": i + 1,
            "new_no": j + 1}


def _version_dict(v: ReportVersion) -> dict[str, Any]:
    return {"id": v.id, "created_at": v.created_at.isoformat(), "title": v.title,
            "publication_id": v.publication_id, "capture_id": v.capture_id,
            "content_sha256": v.content_sha256, "chars": len(v.text or "")}


def version_diff(session: Session, report_id: int, version_id: int, *,
                 against: int | None = None, context: int | None = 3) -> dict[str, Any] | None:
    """What changed from the version before *version_id* (of the same publication, else of the
    report; or version *against*) to it. None when the version is not the report's."""
    v = session.get(ReportVersion, version_id)
    if v is None or v.report_id != report_id:
        return None
    if against is not None:
        before = session.get(ReportVersion, against)
        if before is None or before.report_id != report_id:
            return None
    else:
        earlier = sa.select(ReportVersion).where(
            ReportVersion.report_id == report_id,
            sa.or_(ReportVersion.created_at < v.created_at,
                   sa.and_(ReportVersion.created_at == v.created_at, ReportVersion.id < v.id)))
        order = (ReportVersion.created_at.desc(), ReportVersion.id.desc())
        before = session.scalars(earlier.where(ReportVersion.publication_id == v.publication_id)
                                 .order_by(*order).limit(1)).first() \
            or session.scalars(earlier.order_by(*order).limit(1)).first()
    rows = diff_rows(before.text if before else "", v.text, context=context)
    return {"report_id": report_id, "version": _version_dict(v),
            "previous": _version_dict(before) if before else None,
            "lines_added": sum(1 for r in rows if r["tag"] in ("added", "changed")),
            "lines_removed": sum(1 for r in rows if r["tag"] in ("removed", "changed")),
            "rows": rows}
