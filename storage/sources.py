"""The source registry: government sites (or columns) to crawl.

Sources come from a user (`sources add`, `sources set`), a registry file (`sources import`) or a
discovery (`sources discover`). The fields a user set are recorded (`user_fields`): imports and
discoveries never overwrite them. Discoveries also record what became of a site: failing (since
when), dead (failing for longer than the caller allows), moved or closed (with its successor).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.models import Source, utcnow

__all__ = ["SourceSpec", "add_source", "upsert_sources", "remove_source", "get_source",
           "list_sources", "remember_columns", "mark_verified", "set_fields", "EDITABLE",
           "DiscoveredSite", "apply_discovered", "note_reachability", "INACTIVE_STATES"]

# Fields `sources set` edits (and `sources add` sets): a user's value wins over later imports
# and discoveries.
EDITABLE = ("issuer", "division_code", "start_urls", "schedule", "queue", "site_state")
# Sites not crawled any more: moved or closed (their successor is a source of its own), or failing
# for longer than [discover] dead_after_days.
INACTIVE_STATES = ("moved", "closed", "dead")


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
    """A registry entry's fields, but not those a user set."""
    mine = set(source.user_fields or ())
    values = {"start_urls": list(spec.start_urls), "issuer": spec.issuer,
              "division_code": spec.division_code, "schedule": spec.schedule, "queue": spec.queue}
    for name, value in values.items():
        if name not in mine:
            setattr(source, name, value)
    source.hints = {**dict(source.hints or {}), **dict(spec.hints)}


def add_source(session: Session, spec: SourceSpec, *, origin: str = "user") -> Source:
    """A new source; a user's (origin "user") records the fields given as set by the user."""
    if get_source(session, spec.name) is not None:
        raise ValueError(f"a source named {spec.name!r} exists already")
    source = Source(name=spec.name, verified=spec.verified, known_columns=[], origin=origin,
                    user_fields=[], hints={})
    _apply(source, spec)
    if origin == "user":
        source.user_fields = [name for name in EDITABLE if getattr(source, name) not in (None, [])]
    session.add(source)
    session.flush()
    return source


def set_fields(session: Session, name: str, values: dict[str, Any]) -> Source:
    """A user's edit of source *name*: the fields are set and recorded as the user's (a None value
    gives the field back to imports and discoveries)."""
    source = get_source(session, name)
    if source is None:
        raise LookupError(f"no source named {name!r}")
    mine = list(source.user_fields or [])
    for field_name, value in values.items():
        if field_name not in EDITABLE:
            raise ValueError(f"{field_name!r} is not a field of a source that can be set")
        if value is None:
            mine = [f for f in mine if f != field_name]
            continue
        setattr(source, field_name, list(value) if field_name == "start_urls" else value)
        if field_name not in mine:
            mine.append(field_name)
    source.user_fields = mine
    if "issuer" in values or "division_code" in values:
        source.government_id = None  # linked again from the new values
    return source


def upsert_sources(session: Session, specs: Iterable[SourceSpec]) -> tuple[int, int]:
    """Add new sources and update existing ones by name; returns (added, updated).

    What crawls learned (verified, known columns) is kept when a registry file is re-imported.
    """
    added = updated = 0
    for spec in specs:
        source = get_source(session, spec.name)
        if source is None:
            add_source(session, spec, origin="registry")
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


@dataclass(frozen=True)
class DiscoveredSite:
    """A site as a discovery found it."""

    name: str
    start_url: str
    issuer: str | None
    division_code: str | None
    government_id: int | None
    discovered_from: str | None
    state: str = "active"  # active | failing | moved | closed | blocked
    successor_url: str | None = None
    note: str | None = None
    hints: dict[str, Any] = field(default_factory=dict)


# What a discovery sets on a source, and the user fields that protect each (the government link
# follows the issuer and the division: a user who set either chose the government).
_DISCOVERED = (("issuer", ("issuer",)), ("division_code", ("division_code",)),
               ("government_id", ("issuer", "division_code")))


def apply_discovered(session: Session, source: Source | None, site: DiscoveredSite, *,
                     now: dt.datetime | None = None,
                     dead_after: dt.timedelta = dt.timedelta(days=60)) -> tuple[Source, str]:
    """Add *site* as a source, or update *source* (the registered source of the same site) with
    it, keeping what a user set and what crawls learned. Returns (the source, "added" | "updated" |
    "unchanged")."""
    now = now or utcnow()
    if source is None:
        source = Source(name=site.name, start_urls=[site.start_url], issuer=site.issuer,
                        division_code=site.division_code, government_id=site.government_id,
                        hints=dict(site.hints), known_columns=[], verified=False,
                        origin="discovered", user_fields=[], discovered_from=site.discovered_from,
                        discovered_at=now, checked_at=now)
        _set_state(source, site, now, dead_after)
        session.add(source)
        session.flush()
        return source, "added"
    mine = set(source.user_fields or ())
    before = _snapshot(source)
    for attribute, guards in _DISCOVERED:
        value = getattr(site, attribute)
        # What the discovery could not tell (None) leaves the source's value as it is.
        if not mine.intersection(guards) and value is not None:
            setattr(source, attribute, value)
    if "site_state" not in mine:
        _set_state(source, site, now, dead_after)
    source.hints = {**dict(site.hints), **dict(source.hints or {})}
    source.discovered_from = source.discovered_from or site.discovered_from
    source.discovered_at = source.checked_at = now
    return source, ("unchanged" if _snapshot(source) == before else "updated")


def _snapshot(source: Source) -> tuple:
    return (source.issuer, source.division_code, source.government_id, source.site_state,
            source.successor_url, source.failing_since, dict(source.hints or {}),
            list(source.start_urls or []))


def _set_state(source: Source, site: DiscoveredSite, now: dt.datetime, dead_after: dt.timedelta) -> None:
    if site.state in ("moved", "closed"):
        source.site_state, source.successor_url, source.site_note = site.state, site.successor_url, site.note
        source.failing_since = None
    elif site.state == "failing":
        note_reachability(source, False, now=now, dead_after=dead_after, note=site.note)
    else:  # answering (a challenge page answers too: the site is there)
        if source.site_state in ("moved", "closed"):
            source.site_state, source.successor_url, source.site_note = None, None, None
        note_reachability(source, True, now=now, dead_after=dead_after)


def note_reachability(source: Source, reachable: bool, *, now: dt.datetime | None = None,
                      dead_after: dt.timedelta = dt.timedelta(days=60), note: str | None = None) -> None:
    """A fetch of the site's start page answered (or not): failing from the first failure on, dead
    once it has failed for *dead_after*; answering again clears both."""
    now = now or utcnow()
    if reachable:
        if source.site_state in ("failing", "dead"):
            source.site_state, source.site_note = None, None
        source.failing_since = None
        return
    if source.site_state in ("moved", "closed"):
        return
    if source.failing_since is None:
        source.failing_since = now
    failing_since = source.failing_since
    if failing_since.tzinfo is None:
        failing_since = failing_since.replace(tzinfo=dt.timezone.utc)
    source.site_state = "dead" if now - failing_since >= dead_after else "failing"
    source.site_note = note or source.site_note
