"""`govreports sources discover` and the service's discovery: from government portals to the sites
of the governments and departments they list, registered as sources.

The discovery itself runs in its own process (jobs.crawl_process, crawler.spiders.portals), with
the crawl's per-host politeness and its own time and memory limits, holding the lock a crawl of the
same URLs would hold. Its findings are written here, in one transaction: each site becomes a source
(name: its host, or host and path), linked to its government (the division read from its name and
its parent portal, the department), unverified, with the portal page it was found on. A site
registered already is updated, never duplicated, and what a user set stays (storage.sources).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import threading
from dataclasses import dataclass, field
from typing import Any, Sequence

from sqlalchemy import select

from crawler.portals import site_key
from jobs.config import Settings, as_dict
from jobs.crawl_watch import run_crawl_process
from jobs.governments import ensure_divisions, government_for
from jobs.locks import LockBusy, Locks, crawl_lock_name, make_locks
from jobs.progress import Progress
from pipeline import divisions
from storage import runs
from storage.db import Database
from storage.models import Source, utcnow
from storage.sources import DiscoveredSite, apply_discovered

__all__ = ["discover", "DiscoverySummary", "SourceChange", "DiscoveryBusy", "apply_findings",
           "discovery_roots"]

log = logging.getLogger("govreports.discovery")


class DiscoveryBusy(Exception):
    """A discovery or crawl of the same URLs is running; the message says which."""


@dataclass
class SourceChange:
    change: str  # added | updated | unchanged
    name: str
    issuer: str | None
    division_code: str | None
    kind: str
    state: str | None
    successor: str | None
    found_from: str | None
    where: str
    official_by: str


@dataclass
class DiscoverySummary:
    run_id: int
    status: str
    error: str | None
    dry_run: bool
    counters: dict[str, int] = field(default_factory=dict)
    changes: list[SourceChange] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def count(self, change: str) -> int:
        return sum(1 for c in self.changes if c.change == change)

    @property
    def requests_per_host(self) -> dict[str, int]:
        prefix = "fetch/requests_per_host/"
        return {k[len(prefix):]: v for k, v in sorted(self.counters.items()) if k.startswith(prefix)}


def discovery_roots(db: Database) -> list[str]:
    """The start URLs of the sources discovery starts from (hints: discover = true), in name order."""
    with db.session() as s:
        sources = s.scalars(select(Source).order_by(Source.name)).all()
        return [url for src in sources if (src.hints or {}).get("discover")
                and src.site_state not in ("moved", "closed", "dead")
                for url in (src.start_urls or [])[:1]]


def discover(settings: Settings, db: Database, start_urls: Sequence[str], *, depth: int | None = None,
             dry_run: bool = False, trigger: str = "cli", stop: threading.Event | None = None,
             progress: Progress | None = None, locks: Locks | None = None) -> DiscoverySummary:
    """Discover from *start_urls* (portals' home pages) *depth* links deep (default: [discover]
    depth) and register what is found (with *dry_run*: report it, register nothing). Raises
    DiscoveryBusy when the same URLs are being crawled or discovered."""
    ensure_divisions(db)
    depth = settings.discover.depth if depth is None else depth
    own_locks = locks is None
    locks = locks or make_locks(db, settings)
    name = crawl_lock_name(None, start_urls)
    try:
        try:
            held = locks.acquire(name, label=f"discover ({trigger})")
        except LockBusy as busy:
            holder = busy.holder.describe() if busy.holder else "another process"
            raise DiscoveryBusy(f"these portals are being crawled or discovered ({holder})") from None
        with held:
            with db.session() as s:
                run_id = runs.start_run(s, start_urls=list(start_urls), trigger="discover")
            try:
                return _discover_locked(settings, db, run_id, list(start_urls), depth=depth,
                                        dry_run=dry_run, stop=stop, progress=progress, lost=held.lost)
            except BaseException as exc:  # recorded here, so the run never stays 'running'
                with db.session() as s:
                    runs.finish_run(s, run_id, status="interrupted" if isinstance(exc, KeyboardInterrupt)
                                    else "failed", error=f"discover: run {run_id}: {exc.__class__.__name__}: {exc}")
                raise
    finally:
        if own_locks:
            locks.close()


def _process_settings(settings: Settings) -> Settings:
    """The crawl settings with the discovery's own process limits."""
    crawl = dataclasses.replace(settings.crawl,
                                process_timeout_seconds=settings.discover.process_timeout_seconds,
                                process_memory_mb=settings.discover.process_memory_mb)
    return dataclasses.replace(settings, crawl=crawl)


def _discover_locked(settings: Settings, db: Database, run_id: int, start_urls: list[str], *,
                     depth: int, dry_run: bool, stop: threading.Event | None,
                     progress: Progress | None, lost: threading.Event) -> DiscoverySummary:
    limited = _process_settings(settings)
    spec = {"job": "discover", "settings": as_dict(limited), "run_id": run_id,
            "start_urls": start_urls, "depth": depth, "store": not dry_run, "parent_pid": os.getpid()}
    if progress is not None:
        progress.stage("discover", unit="pages")
    status, error, out = run_crawl_process(limited, db, run_id, spec, stop=stop, lost=lost,
                                           progress=progress)
    counters = {k: int(v) for k, v in (out.get("counters") or {}).items() if isinstance(v, (int, float))}
    summary = DiscoverySummary(run_id=run_id, status=status, error=error, dry_run=dry_run,
                               counters=counters, rejected=list(out.get("rejected") or []))
    if status == "succeeded" and not out.get("sites") and counters.get("fetch/requests", 0) \
            and not counters.get("fetch/pages"):
        summary.status, summary.error = "failed", (
            f"discover: no page could be fetched from {', '.join(start_urls[:3])}")
    if status == "succeeded":
        try:
            summary.changes = apply_findings(db, out.get("sites") or [], settings=settings,
                                             dry_run=dry_run)
        except Exception as exc:  # the fetches are recorded; what they found is reported, not lost
            log.exception("discover: run %s: writing the sources failed", run_id)
            summary.status, summary.error = "failed", f"discover: run {run_id}: writing the sources: {exc}"
    stats = {**counters, "discover/sources_added": summary.count("added"),
             "discover/sources_updated": summary.count("updated"),
             "discover/sources_unchanged": summary.count("unchanged"),
             "discover/not_sources": len(summary.rejected)}
    with db.session() as s:
        runs.finish_run(s, run_id, status=summary.status, error=summary.error, stats=stats)
    if progress is not None:
        progress.close()
    return summary


def _issuer(found: dict[str, Any]) -> str | None:
    code = found.get("code")
    if not code or divisions.division(code) is None:
        return None
    if found.get("department"):
        return divisions.department_issuer(code, found["department"])
    return divisions.government_name(code)


# Governments before their departments, moved sites after their successors are known.
def _order(found: dict[str, Any]) -> tuple:
    return (found.get("depth", 0), bool(found.get("department")), found.get("key", ""))


def apply_findings(db: Database, found: list[dict[str, Any]], *, settings: Settings,
                   dry_run: bool = False, now: dt.datetime | None = None) -> list[SourceChange]:
    """Register the sites a discovery found (PortalSpider.results()["sites"]) as sources, in one
    transaction; with *dry_run* the transaction is rolled back. Returns what changed, per site."""
    now = now or utcnow()
    dead_after = dt.timedelta(days=settings.discover.dead_after_days)
    changes: list[SourceChange] = []
    with db.sessions() as s:
        s.begin()
        try:
            sources = list(s.scalars(select(Source)))
            by_name = {src.name: src for src in sources}
            by_key: dict[str, Source] = {}
            for src in sources:
                for url in src.start_urls or []:
                    by_key.setdefault(site_key(url), src)
            for item in sorted(found, key=_order):
                key = item["key"]
                issuer = _issuer(item)
                government = government_for(s, item.get("code"), issuer, origin="discovered") \
                    if issuer else None
                state = item.get("state") or "active"
                site = DiscoveredSite(
                    name=key,
                    start_url=(item.get("final_url") or item["url"]) if state not in ("moved", "closed")
                    else item["url"],
                    issuer=issuer, division_code=item.get("code"),
                    government_id=government.id if government is not None else None,
                    discovered_from=item.get("found_from"),
                    state="failing" if state == "failing" else state,
                    successor_url=item.get("successor"),
                    note=item.get("notice") or item.get("error"),
                    hints={"discover": True} if item.get("root") else {})
                existing = by_name.get(key) or by_key.get(key)
                source, change = apply_discovered(s, existing, site, now=now, dead_after=dead_after)
                by_name[source.name] = source
                by_key.setdefault(key, source)
                changes.append(SourceChange(
                    change=change, name=source.name, issuer=source.issuer,
                    division_code=source.division_code,
                    kind="department" if item.get("department") else "government",
                    state=source.site_state, successor=source.successor_url,
                    found_from=item.get("found_from"), where=item.get("where") or "",
                    official_by=item.get("official_by") or ""))
            if dry_run:
                s.rollback()
            else:
                s.commit()
        except BaseException:
            s.rollback()
            raise
    return changes
