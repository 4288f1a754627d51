"""The source registry: government sites (or columns) to crawl."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.models import Source

__all__ = ["SourceSpec", "add_source", "upsert_sources", "remove_source", "get_source",
           "list_sources", "remember_columns", "mark_verified"]


@dataclass(frozen=True)
class SourceSpec:
    name: str
    start_urls: tuple[str, ...]
    issuer: str | None = None
    division_code: str | None = None
    hints: dict[str, Any] = field(default_factory=dict)
    schedule: str | None = None
    queue: str | None = None
    verified: bool = False


def _apply(source: Source, spec: SourceSpec) -> None:
    source.start_urls = list(spec.start_urls)
    source.issuer = spec.issuer
    source.division_code = spec.division_code
    source.hints = dict(spec.hints)
    source.schedule = spec.schedule
    source.queue = spec.queue


def add_source(session: Session, spec: SourceSpec) -> Source:
    if get_source(session, spec.name) is not None:
        raise ValueError(f"a source named {spec.name!r} exists already")
    source = Source(name=spec.name, verified=spec.verified, known_columns=[])
    _apply(source, spec)
    session.add(source)
    session.flush()
    return source


def upsert_sources(session: Session, specs: Iterable[SourceSpec]) -> tuple[int, int]:
    """Add new sources and update existing ones by name; returns (added, updated).

    What crawls learned (verified, known columns) is kept when a registry file is re-imported.
    """
    added = updated = 0
    for spec in specs:
        source = get_source(session, spec.name)
        if source is None:
            add_source(session, spec)
            added += 1
        else:
            _apply(source, spec)
            updated += 1
    return added, updated


def remove_source(session: Session, name: str) -> bool:
    return bool(session.execute(delete(Source).where(Source.name == name)).rowcount)


def get_source(session: Session, name: str) -> Source | None:
    return session.scalar(select(Source).where(Source.name == name))


def list_sources(session: Session) -> list[Source]:
    return list(session.scalars(select(Source).order_by(Source.name)))


def remember_columns(session: Session, source_id: int, columns: Sequence[str]) -> None:
    """Keep the columns where reports were found, so later crawls go straight there."""
    source = session.get(Source, source_id)
    if source is None:
        return
    known = list(source.known_columns or [])
    for url in columns:
        if url not in known:
            known.append(url)
    source.known_columns = known


def mark_verified(session: Session, source_id: int) -> None:
    source = session.get(Source, source_id)
    if source is not None:
        source.verified = True
