"""The `sources` command group: the registry of government sites to crawl."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from jobs.cli.base import Context, cli, pass_ctx


@cli.group()
def sources() -> None:
    """The registry of government sites to crawl."""


@sources.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def sources_list(obj: Context, as_json: bool) -> None:
    from storage.sources import list_sources
    with obj.db.session() as s:
        rows = [_source_dict(src) for src in list_sources(s)]
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    for row in rows:
        mark = "verified" if row["verified"] else "unverified"
        state = f" [{row['site_state']}{' -> ' + row['successor_url'] if row['successor_url'] else ''}]" \
            if row["site_state"] else ""
        click.echo(f"{row['name']:<32} {mark:<10} {row['division_code'] or '-':<7} "
                   f"{row['issuer'] or ''}  {' '.join(row['start_urls'])}{state}")


@sources.command("show")
@click.argument("name")
@pass_ctx
def sources_show(obj: Context, name: str) -> None:
    from storage.sources import get_source
    with obj.db.session() as s:
        src = get_source(s, name)
        if src is None:
            raise click.ClickException(f"no source named {name!r}")
        click.echo(json.dumps(_source_dict(src), ensure_ascii=False, indent=1))


@sources.command("add")
@click.argument("name")
@click.argument("urls", nargs=-1, required=True)
@click.option("--issuer")
@click.option("--division", "division_code", metavar="CODE", help="Administrative division code.")
@click.option("--schedule", help="'every 24h' or 'cron: 0 3 * * *' (default: daily with jitter).")
@click.option("--queue", help="Worker queue for this source's crawls.")
@pass_ctx
def sources_add(obj: Context, name: str, urls: tuple[str, ...], issuer: str | None,
                division_code: str | None, schedule: str | None, queue: str | None) -> None:
    """Add a source NAME with its start URLs (a home page, or known report columns)."""
    from storage.sources import SourceSpec, add_source
    _check(urls, schedule)
    from jobs.governments import ensure_divisions, link_sources
    ensure_divisions(obj.db)
    try:
        with obj.db.session() as s:
            add_source(s, SourceSpec(name=name, start_urls=urls, issuer=issuer,
                                     division_code=division_code, schedule=schedule, queue=queue))
            link_sources(s)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"added source {name}")


@sources.command("set")
@click.argument("name")
@click.option("--issuer", help="The government or department whose site it is (长春市司法局).")
@click.option("--division", "division_code", metavar="CODE", help="Administrative division code.")
@click.option("--url", "urls", multiple=True, help="Start URL (repeat for several); replaces them.")
@click.option("--schedule", help="'every 24h' or 'cron: 0 3 * * *'.")
@click.option("--queue", help="Worker queue for this source's crawls.")
@click.option("--state", "site_state", type=click.Choice(["active", "moved", "closed", "dead"]),
              help="What became of the site, as you know it (active: crawl it again).")
@click.option("--unset", "unset", multiple=True,
              type=click.Choice(["issuer", "division_code", "start_urls", "schedule", "queue",
                                 "site_state"]),
              help="Give a field back to imports and discoveries (they may set it again).")
@pass_ctx
def sources_set(obj: Context, name: str, issuer: str | None, division_code: str | None,
                urls: tuple[str, ...], schedule: str | None, queue: str | None,
                site_state: str | None, unset: tuple[str, ...]) -> None:
    """Edit source NAME. What you set is yours: `sources import` and `sources discover` keep it."""
    from jobs.governments import ensure_divisions, link_sources
    from storage.sources import set_fields
    _check(urls, schedule)
    values: dict[str, Any] = {k: v for k, v in {
        "issuer": issuer, "division_code": division_code, "start_urls": list(urls) or None,
        "schedule": schedule, "queue": queue,
        "site_state": None if site_state is None else ("" if site_state == "active" else site_state),
    }.items() if v is not None}
    values.update({field: None for field in unset})
    if not values:
        raise click.UsageError("nothing to set: give an option (see --help)")
    ensure_divisions(obj.db)
    try:
        with obj.db.session() as s:
            source = set_fields(s, name, values)
            if source.site_state == "":
                source.site_state = None
            link_sources(s)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"updated source {name}: " + ", ".join(
        f"{k} {'unset' if v is None else v}" for k, v in values.items()))


@sources.command("discover")
@click.argument("urls", nargs=-1, required=True)
@click.option("--depth", type=click.IntRange(0, 5), default=None,
              help="Links deep from each portal: 1 finds a province's prefecture and county portals, "
                   "2 also their departments' sites (default: [discover] depth).")
@click.option("--dry-run", is_flag=True, help="Fetch and report; register nothing.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: changes, not-sources, requests.")
@pass_ctx
def sources_discover(obj: Context, urls: tuple[str, ...], depth: int | None, dry_run: bool,
                     as_json: bool) -> None:
    """Find the government sites that portals URLS list (subordinate governments' portals, their
    departments' sites) and register each as an unverified source, with its issuer and division.

    One page per site, at the crawl's per-host pace. Run it again and it adds nothing it has; a
    site that moved, closed or stopped answering is marked so. Prints every source added or
    updated, every listed site that is not a government's (and why), and the requests per host.
    """
    from jobs.cli.base import EXIT_BUSY, EXIT_INTERRUPTED, stop_on_signals
    from jobs.discovery import DiscoveryBusy, discover
    from jobs.progress import console_logging, progress_for
    _check(urls, None)
    stop = stop_on_signals("stopping the discovery")
    progress = progress_for("discovery", interval=obj.settings.service.progress_log_seconds)
    try:
        with console_logging(progress):
            summary = discover(obj.settings, obj.db, list(urls), depth=depth, dry_run=dry_run,
                               stop=stop, progress=progress)
    except DiscoveryBusy as busy:
        click.echo(f"not discovering: {busy}. Try again later.", err=True)
        sys.exit(EXIT_BUSY)
    if as_json:
        click.echo(json.dumps({
            "run_id": summary.run_id, "status": summary.status, "error": summary.error,
            "dry_run": summary.dry_run, "changes": [c.__dict__ for c in summary.changes],
            "not_sources": summary.rejected, "requests": summary.counters.get("fetch/requests", 0),
            "requests_per_host": summary.requests_per_host}, ensure_ascii=False, indent=1))
    else:
        _print_discovery(summary)
    if summary.status == "interrupted":
        sys.exit(EXIT_INTERRUPTED)
    if summary.status == "failed":
        sys.exit(1)


def _print_discovery(summary) -> None:
    verb = {"added": "would add" if summary.dry_run else "added",
            "updated": "would update" if summary.dry_run else "updated"}
    click.echo(f"discovery run {summary.run_id}: {summary.status}"
               + (" (dry run: nothing registered)" if summary.dry_run else ""))
    if summary.error:
        click.echo(f"  {summary.error}", err=True)
    c = summary.counters
    click.echo(f"  requests:          {c.get('fetch/requests', 0)}")
    click.echo(f"  sites found:       {len(summary.changes)}")
    click.echo(f"  sources added:     {summary.count('added')}")
    click.echo(f"  sources updated:   {summary.count('updated')}")
    click.echo(f"  sources unchanged: {summary.count('unchanged')}")
    click.echo(f"  not sources:       {len(summary.rejected)}")
    for ch in summary.changes:
        if ch.change == "unchanged":
            continue
        state = f" [{ch.state}{' -> ' + ch.successor if ch.successor else ''}]" if ch.state else ""
        where = f" ({ch.where} on {ch.found_from})" if ch.found_from else ""
        click.echo(f"  {verb[ch.change]:<12} {ch.name:<36} {ch.division_code or '-':<7} "
                   f"{ch.issuer or '-'}{state}{where}")
    for r in summary.rejected:
        where = f"{r.get('where') or ''} on {r.get('found_from')}" if r.get("found_from") else "start"
        click.echo(f"  not a source: {r['url']} ({r.get('text') or ''}, {where}): {r['reason']}")
    for host, n in summary.requests_per_host.items():
        click.echo(f"  requests to {host}: {n}")


def _check(urls: tuple[str, ...], schedule: str | None) -> None:
    """Usage errors for URLs that are not http(s) and schedules that are not schedules."""
    from jobs.scheduler import parse_schedule
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise click.UsageError(f"not an http(s) URL: {url}")
    if schedule:
        try:
            parse_schedule(schedule, default_interval_seconds=1, jitter_seconds=0)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from exc


@sources.command("remove")
@click.argument("name")
@pass_ctx
def sources_remove(obj: Context, name: str) -> None:
    from storage.sources import remove_source
    with obj.db.session() as s:
        if not remove_source(s, name):
            raise click.ClickException(f"no source named {name!r}")
    click.echo(f"removed source {name}")


@sources.command("import")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False))
@pass_ctx
def sources_import(obj: Context, file: str | None) -> None:
    """Add or update sources from a registry file (default: the starter registry)."""
    from jobs.governments import ensure_divisions, link_sources
    from jobs.registry import STARTER_REGISTRY, RegistryError, load_registry
    from storage.sources import upsert_sources
    try:
        specs = load_registry(Path(file) if file else STARTER_REGISTRY)
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from exc
    ensure_divisions(obj.db)
    with obj.db.session() as s:
        added, updated = upsert_sources(s, specs)
        link_sources(s)
    click.echo(f"{added} sources added, {updated} updated")


def _source_dict(src) -> dict[str, Any]:
    return {"name": src.name, "issuer": src.issuer, "division_code": src.division_code,
            "start_urls": list(src.start_urls or []), "known_columns": list(src.known_columns or []),
            "verified": bool(src.verified), "schedule": src.schedule, "queue": src.queue,
            "hints": dict(src.hints or {}), "government_id": src.government_id,
            "origin": src.origin, "discovered_from": src.discovered_from,
            "user_fields": list(src.user_fields or []), "site_state": src.site_state,
            "successor_url": src.successor_url, "site_note": src.site_note,
            "failing_since": src.failing_since.isoformat() if src.failing_since else None}
